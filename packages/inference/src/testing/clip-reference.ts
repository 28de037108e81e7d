// Test support (not exported): CLIPVisionModelWithProjection's forward pass written out as dense
// loops in Float64, reading the same weights as the ONNX graph. Agreement with ONNX Runtime shows
// every node is wired as transformers computes CLIP.
import { onnx } from "@semla/models";

type Matrix = { rows: number; cols: number; data: Float64Array };

function matrix(rows: number, cols: number): Matrix {
  return { rows, cols, data: new Float64Array(rows * cols) };
}

/** x [T, in] · Wᵀ + b with W [out, in] (PyTorch's Linear). */
function linear(x: Matrix, weight: ArrayLike<number>, bias: ArrayLike<number> | null, out: number): Matrix {
  const y = matrix(x.rows, out);
  for (let t = 0; t < x.rows; t++) {
    for (let o = 0; o < out; o++) {
      let sum = bias ? bias[o]! : 0;
      for (let i = 0; i < x.cols; i++) sum += x.data[t * x.cols + i]! * weight[o * x.cols + i]!;
      y.data[t * out + o] = sum;
    }
  }
  return y;
}

function layerNorm(x: Matrix, weight: ArrayLike<number>, bias: ArrayLike<number>, eps: number): Matrix {
  const y = matrix(x.rows, x.cols);
  for (let t = 0; t < x.rows; t++) {
    let mean = 0;
    for (let i = 0; i < x.cols; i++) mean += x.data[t * x.cols + i]!;
    mean /= x.cols;
    let variance = 0;
    for (let i = 0; i < x.cols; i++) variance += (x.data[t * x.cols + i]! - mean) ** 2;
    variance /= x.cols;
    const scale = 1 / Math.sqrt(variance + eps);
    for (let i = 0; i < x.cols; i++) y.data[t * x.cols + i] = (x.data[t * x.cols + i]! - mean) * scale * weight[i]! + bias[i]!;
  }
  return y;
}

function add(a: Matrix, b: Matrix): Matrix {
  return { rows: a.rows, cols: a.cols, data: a.data.map((v, i) => v + b.data[i]!) };
}

function attention(x: Matrix, heads: number, q: Matrix, k: Matrix, v: Matrix): Matrix {
  const width = x.cols;
  const headDim = width / heads;
  const scale = headDim ** -0.5;
  const out = matrix(x.rows, width);
  for (let h = 0; h < heads; h++) {
    for (let i = 0; i < x.rows; i++) {
      const scores = new Float64Array(x.rows);
      for (let j = 0; j < x.rows; j++) {
        let dot = 0;
        for (let d = 0; d < headDim; d++) dot += q.data[i * width + h * headDim + d]! * scale * k.data[j * width + h * headDim + d]!;
        scores[j] = dot;
      }
      const max = Math.max(...scores);
      const exp = scores.map((s) => Math.exp(s - max));
      const total = exp.reduce((a, b) => a + b, 0);
      for (let d = 0; d < headDim; d++) {
        let sum = 0;
        for (let j = 0; j < x.rows; j++) sum += (exp[j]! / total) * v.data[j * width + h * headDim + d]!;
        out.data[i * width + h * headDim + d] = sum;
      }
    }
  }
  return out;
}

/** image_embeds [projectionDim] of one image [3, H, W] (CHW, already normalised). */
export function clipVisionReference(graph: onnx.Graph, config: onnx.ClipVisionConfig, image: Float32Array): Float64Array {
  const w = (name: string) => onnx.graphInitializer(graph, name).data as Float32Array;
  const { imageSize: size, patchSize: patch, width, layers, heads, mlpDim, projectionDim, layerNormEps: eps } = config;
  const grid = size / patch;

  // Class token, then patches in row-major grid order, each a stride-`patch` convolution without bias.
  const conv = w("vision_model.embeddings.patch_embedding.weight");
  let h = matrix(grid * grid + 1, width);
  h.data.set(w("vision_model.embeddings.class_embedding"), 0);
  for (let gy = 0; gy < grid; gy++) {
    for (let gx = 0; gx < grid; gx++) {
      const token = 1 + gy * grid + gx;
      for (let o = 0; o < width; o++) {
        let sum = 0;
        for (let c = 0; c < 3; c++) {
          for (let ky = 0; ky < patch; ky++) {
            for (let kx = 0; kx < patch; kx++) {
              sum += conv[((o * 3 + c) * patch + ky) * patch + kx]! * image[(c * size + gy * patch + ky) * size + gx * patch + kx]!;
            }
          }
        }
        h.data[token * width + o] = sum;
      }
    }
  }
  const positions = w("vision_model.embeddings.position_embedding.weight");
  h = { ...h, data: h.data.map((v, i) => v + positions[i]!) };
  h = layerNorm(h, w("vision_model.pre_layrnorm.weight"), w("vision_model.pre_layrnorm.bias"), eps);

  for (let l = 0; l < layers; l++) {
    const p = `vision_model.encoder.layers.${l}`;
    const proj = (x: Matrix, name: string, out: number) => linear(x, w(`${p}.${name}.weight`), w(`${p}.${name}.bias`), out);
    const x = layerNorm(h, w(`${p}.layer_norm1.weight`), w(`${p}.layer_norm1.bias`), eps);
    const context = attention(x, heads, proj(x, "self_attn.q_proj", width), proj(x, "self_attn.k_proj", width), proj(x, "self_attn.v_proj", width));
    h = add(h, proj(context, "self_attn.out_proj", width));
    const y = layerNorm(h, w(`${p}.layer_norm2.weight`), w(`${p}.layer_norm2.bias`), eps);
    const hidden = proj(y, "mlp.fc1", mlpDim);
    hidden.data.forEach((v, i) => {
      hidden.data[i] = v / (1 + Math.exp(-1.702 * v));
    });
    h = add(h, proj(hidden, "mlp.fc2", width));
  }

  const pooled: Matrix = { rows: 1, cols: width, data: h.data.slice(0, width) };
  const normed = layerNorm(pooled, w("vision_model.post_layernorm.weight"), w("vision_model.post_layernorm.bias"), eps);
  return linear(normed, w("visual_projection.weight"), null, projectionDim).data;
}
