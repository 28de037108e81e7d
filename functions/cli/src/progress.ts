/**
 * A one-line progress bar on a terminal (redrawn in place), or a plain line per update when
 * output is not a TTY, so logs stay readable. Items (adapters pushed, images embedded) count one by
 * one; transfers (uploads, downloads) count bytes, with their rate and the time left.
 */
import { bar, bytes } from "./format.js";

export interface Progress {
  update(done: number, detail?: string): void;
  finish(detail?: string): void;
}

export function progressBar(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const started = performance.now();
  const line = (done: number, detail = "") => {
    const fraction = total > 0 ? done / total : 1;
    const seconds = (performance.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    return `${label} ${bar(fraction, 30)} ${done}/${total} ${(fraction * 100).toFixed(0)}% ${rate.toFixed(1)}/s${detail ? ` ${detail}` : ""}`;
  };
  return {
    update(done, detail) {
      if (stream.isTTY) stream.write(`\r${line(done, detail)}\u001b[K`);
      else stream.write(`${line(done, detail)}\n`);
    },
    finish(detail) {
      stream.write(`${stream.isTTY ? "\r" : ""}${line(total, detail)}\n`);
    },
  };
}

/** "1:05", "12 s": the time left at the current rate. */
function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.ceil(seconds);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/**
 * One transfer's line: `uploading ████······ 12.0 MiB/40.0 MiB 30% 4.0 MiB/s ETA 7 s` (pure: the
 * bytes done, the total and the seconds since it started).
 */
export function transferLine(label: string, done: number, total: number, seconds: number): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const rate = seconds > 0 ? done / seconds : 0;
  const eta = done >= total ? "done" : rate > 0 ? `ETA ${duration((total - done) / rate)}` : "ETA ?";
  return `${label} ${bar(fraction, 30)} ${bytes(done)}/${bytes(total)} ${(fraction * 100).toFixed(0)}% ${bytes(Math.round(rate))}/s ${eta}`;
}

/** Transfers smaller than this finish before a bar would say anything: they show none. */
export const TRANSFER_PROGRESS_MIN_BYTES = 1024 * 1024;

/**
 * A byte-counting bar for one transfer of `total` bytes: redrawn at most every 100 ms on a
 * terminal, a line at most every 2 s otherwise, and a last line when it is done; none at all for a
 * transfer under TRANSFER_PROGRESS_MIN_BYTES.
 */
export function transferProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (total < TRANSFER_PROGRESS_MIN_BYTES) return { update() {}, finish() {} };
  const started = performance.now();
  let last = -Infinity;
  let finished = false;
  const every = stream.isTTY ? 100 : 2000;
  return {
    update(done) {
      const now = performance.now();
      if (finished || now - last < every || done >= total) return;
      last = now;
      const line = transferLine(label, done, total, (now - started) / 1000);
      stream.write(stream.isTTY ? `\r${line}\u001b[K` : `${line}\n`);
    },
    finish() {
      if (finished) return;
      finished = true;
      stream.write(`${stream.isTTY ? "\r" : ""}${transferLine(label, total, total, (performance.now() - started) / 1000)}${stream.isTTY ? "\u001b[K" : ""}\n`);
    },
  };
}
