;; Copy kernels of `cat` fusion (see packages/core/src/kernels/wasm.ts). Pointers and sizes in bytes.
(module
  (memory (export "memory") 1)

  ;; Multiplies the float32 in [p, p + 4n) by f in place, four lanes at a time (n rounded up to 4).
  (func (export "scale") (param $p i32) (param $n i32) (param $f f32)
    (local $end i32) (local $v v128)
    (local.set $v (f32x4.splat (local.get $f)))
    (local.set $end (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (v128.store (local.get $p) (f32x4.mul (v128.load (local.get $p)) (local.get $v)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $next))))

  ;; Copies `rows` rows of `width` bytes (a multiple of 4) from src, packed, to dst, `stride` bytes apart.
  (func (export "interleave") (param $dst i32) (param $stride i32) (param $src i32) (param $width i32) (param $rows i32)
    (local $end i32) (local $k i32) (local $vectorEnd i32)
    (local.set $end (i32.add (local.get $src) (i32.mul (local.get $width) (local.get $rows))))
    (local.set $vectorEnd (i32.and (local.get $width) (i32.const -16)))
    (block $done
      (loop $row
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $k (i32.const 0))
        (block $vectorsDone
          (loop $vector
            (br_if $vectorsDone (i32.ge_u (local.get $k) (local.get $vectorEnd)))
            (v128.store (i32.add (local.get $dst) (local.get $k)) (v128.load (i32.add (local.get $src) (local.get $k))))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $vector)))
        (block $wordsDone
          (loop $word
            (br_if $wordsDone (i32.ge_u (local.get $k) (local.get $width)))
            (i32.store (i32.add (local.get $dst) (local.get $k)) (i32.load (i32.add (local.get $src) (local.get $k))))
            (local.set $k (i32.add (local.get $k) (i32.const 4)))
            (br $word)))
        (local.set $src (i32.add (local.get $src) (local.get $width)))
        (local.set $dst (i32.add (local.get $dst) (local.get $stride)))
        (br $row)))))
