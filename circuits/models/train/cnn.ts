/**
 * A tiny CNN trainer for mnist-cnn: conv(1→C1, K1, stride S1) → ReLU → maxpool 2×2 → conv(C1→C2, K2) → ReLU →
 * flatten → dense(→10). Hand-written forward and backward passes (SGD with momentum), deterministic by seed,
 * so the exported ONNX can be re-created from the npm data alone.
 */
import { rng as makeRng, shuffle } from './dense';

export type CnnShape = { c1: number; k1: number; s1: number; c2: number; k2: number };
export type Cnn = {
  shape: CnnShape;
  w1: Float64Array; // [c1][1][k1][k1]
  b1: Float64Array;
  w2: Float64Array; // [c2][c1][k2][k2]
  b2: Float64Array;
  w3: Float64Array; // [10][flat]
  b3: Float64Array;
};

export const dims = (s: CnnShape) => {
  const h1 = Math.floor((28 - s.k1) / s.s1) + 1;
  const p1 = Math.floor(h1 / 2);
  const h2 = p1 - s.k2 + 1;
  return { h1, p1, h2, flat: s.c2 * h2 * h2 };
};

export function initCnn(shape: CnnShape, seed: number): Cnn {
  const random = makeRng(seed);
  const d = dims(shape);
  const he = (fanIn: number, n: number) => Float64Array.from({ length: n }, () => (random() * 2 - 1) * Math.sqrt(6 / fanIn));
  return {
    shape,
    w1: he(shape.k1 * shape.k1, shape.c1 * shape.k1 * shape.k1),
    b1: new Float64Array(shape.c1),
    w2: he(shape.c1 * shape.k2 * shape.k2, shape.c2 * shape.c1 * shape.k2 * shape.k2),
    b2: new Float64Array(shape.c2),
    w3: he(d.flat, 10 * d.flat),
    b3: new Float64Array(10),
  };
}

type Trace = { x: Float64Array; a1: Float64Array; p1: Float64Array; arg1: Int32Array; a2: Float64Array; logits: Float64Array };

export function forwardCnn(n: Cnn, x: Float64Array): Trace {
  const { c1, k1, s1, c2, k2 } = n.shape;
  const { h1, p1, h2, flat } = dims(n.shape);
  const a1 = new Float64Array(c1 * h1 * h1);
  for (let c = 0; c < c1; c++)
    for (let i = 0; i < h1; i++)
      for (let j = 0; j < h1; j++) {
        let acc = n.b1[c]!;
        for (let u = 0; u < k1; u++)
          for (let v = 0; v < k1; v++) acc += n.w1[(c * k1 + u) * k1 + v]! * x[(i * s1 + u) * 28 + j * s1 + v]!;
        a1[(c * h1 + i) * h1 + j] = Math.max(0, acc);
      }
  const pool = new Float64Array(c1 * p1 * p1);
  const arg1 = new Int32Array(c1 * p1 * p1);
  for (let c = 0; c < c1; c++)
    for (let i = 0; i < p1; i++)
      for (let j = 0; j < p1; j++) {
        let best = -Infinity;
        let at = 0;
        for (let u = 0; u < 2; u++)
          for (let v = 0; v < 2; v++) {
            const k = (c * h1 + 2 * i + u) * h1 + 2 * j + v;
            if (a1[k]! > best) {
              best = a1[k]!;
              at = k;
            }
          }
        pool[(c * p1 + i) * p1 + j] = best;
        arg1[(c * p1 + i) * p1 + j] = at;
      }
  const a2 = new Float64Array(flat);
  for (let c = 0; c < c2; c++)
    for (let i = 0; i < h2; i++)
      for (let j = 0; j < h2; j++) {
        let acc = n.b2[c]!;
        for (let d = 0; d < c1; d++)
          for (let u = 0; u < k2; u++)
            for (let v = 0; v < k2; v++) acc += n.w2[((c * c1 + d) * k2 + u) * k2 + v]! * pool[(d * p1 + i + u) * p1 + j + v]!;
        a2[(c * h2 + i) * h2 + j] = Math.max(0, acc);
      }
  const logits = new Float64Array(10);
  for (let o = 0; o < 10; o++) {
    let acc = n.b3[o]!;
    for (let k = 0; k < flat; k++) acc += n.w3[o * flat + k]! * a2[k]!;
    logits[o] = acc;
  }
  return { x, a1, p1: pool, arg1, a2, logits };
}

type Grads = { [K in 'w1' | 'b1' | 'w2' | 'b2' | 'w3' | 'b3']: Float64Array };

function backward(n: Cnn, t: Trace, y: number, g: Grads): number {
  const { c1, k1, s1, c2, k2 } = n.shape;
  const { h1, p1, h2, flat } = dims(n.shape);
  const m = Math.max(...t.logits);
  const e = t.logits.map((v) => Math.exp(v - m));
  const sum = e.reduce((a, b) => a + b, 0);
  const dLogits = e.map((v, k) => v / sum - (k === y ? 1 : 0));
  const dA2 = new Float64Array(flat);
  for (let o = 0; o < 10; o++) {
    g.b3[o] = g.b3[o]! + dLogits[o]!;
    for (let k = 0; k < flat; k++) {
      g.w3[o * flat + k] = g.w3[o * flat + k]! + dLogits[o]! * t.a2[k]!;
      dA2[k] = dA2[k]! + dLogits[o]! * n.w3[o * flat + k]!;
    }
  }
  const dP1 = new Float64Array(c1 * p1 * p1);
  for (let c = 0; c < c2; c++)
    for (let i = 0; i < h2; i++)
      for (let j = 0; j < h2; j++) {
        const at = (c * h2 + i) * h2 + j;
        if (t.a2[at]! <= 0) continue;
        const d = dA2[at]!;
        g.b2[c] = g.b2[c]! + d;
        for (let ci = 0; ci < c1; ci++)
          for (let u = 0; u < k2; u++)
            for (let v = 0; v < k2; v++) {
              const wi = ((c * c1 + ci) * k2 + u) * k2 + v;
              const pi = (ci * p1 + i + u) * p1 + j + v;
              g.w2[wi] = g.w2[wi]! + d * t.p1[pi]!;
              dP1[pi] = dP1[pi]! + d * n.w2[wi]!;
            }
      }
  for (let k = 0; k < dP1.length; k++) {
    const at = t.arg1[k]!;
    if (t.a1[at]! <= 0) continue;
    const d = dP1[k]!;
    const c = Math.floor(at / (h1 * h1));
    const i = Math.floor((at % (h1 * h1)) / h1);
    const j = at % h1;
    g.b1[c] = g.b1[c]! + d;
    for (let u = 0; u < k1; u++)
      for (let v = 0; v < k1; v++)
        g.w1[(c * k1 + u) * k1 + v] = g.w1[(c * k1 + u) * k1 + v]! + d * t.x[(i * s1 + u) * 28 + j * s1 + v]!;
  }
  return -Math.log(e[y]! / sum);
}

export function trainCnn(
  n: Cnn,
  xs: Float64Array[],
  ys: number[],
  epochs: number,
  lr: number,
  batch: number,
  seed: number,
  onEpoch?: (e: number, loss: number) => void,
): void {
  const random = makeRng(seed);
  const keys = ['w1', 'b1', 'w2', 'b2', 'w3', 'b3'] as const;
  const vel = Object.fromEntries(keys.map((k) => [k, new Float64Array(n[k].length)])) as Grads;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const order = shuffle(
      xs.map((_, i) => i),
      random,
    );
    let loss = 0;
    for (let start = 0; start < order.length; start += batch) {
      const ids = order.slice(start, start + batch);
      const g = Object.fromEntries(keys.map((k) => [k, new Float64Array(n[k].length)])) as Grads;
      for (const id of ids) loss += backward(n, forwardCnn(n, xs[id]!), ys[id]!, g);
      for (const k of keys)
        for (let i = 0; i < n[k].length; i++) {
          vel[k][i] = 0.9 * vel[k][i]! - (lr * g[k][i]!) / ids.length;
          n[k][i] = n[k][i]! + vel[k][i]!;
        }
    }
    onEpoch?.(epoch, loss / order.length);
  }
}
