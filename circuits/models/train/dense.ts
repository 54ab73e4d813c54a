/**
 * A small dense-network trainer (plain mini-batch SGD with momentum, softmax cross-entropy) for the reference
 * models. Hand-rolled on purpose: the models are tiny, and a deterministic, dependency-free trainer lets anyone
 * re-create the exact ONNX files from the data shipped in npm packages.
 */
export type DenseLayer = { w: Float64Array; b: Float64Array; inSize: number; outSize: number };

/** mulberry32: a seeded PRNG, so training is reproducible bit for bit. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

export function initDense(sizes: number[], random: () => number): DenseLayer[] {
  return sizes.slice(1).map((outSize, l) => {
    const inSize = sizes[l]!;
    const limit = Math.sqrt(6 / (inSize + outSize));
    return {
      inSize,
      outSize,
      w: Float64Array.from({ length: inSize * outSize }, () => (random() * 2 - 1) * limit),
      b: new Float64Array(outSize),
    };
  });
}

/** Forward pass: ReLU between layers, raw logits out. Returns every layer's post-activation output. */
export function forward(layers: DenseLayer[], x: Float64Array): Float64Array[] {
  const outs: Float64Array[] = [x];
  layers.forEach((L, l) => {
    const prev = outs[outs.length - 1]!;
    const y = new Float64Array(L.outSize);
    for (let o = 0; o < L.outSize; o++) {
      let acc = L.b[o]!;
      for (let i = 0; i < L.inSize; i++) acc += L.w[o * L.inSize + i]! * prev[i]!;
      y[o] = l < layers.length - 1 ? Math.max(0, acc) : acc;
    }
    outs.push(y);
  });
  return outs;
}

export type TrainDenseParameters = {
  layers: DenseLayer[];
  xs: Float64Array[];
  ys: number[];
  epochs: number;
  learningRate: number;
  batchSize: number;
  random: () => number;
  momentum?: number;
  onEpoch?: (epoch: number, loss: number) => void;
};

export function trainDense(p: TrainDenseParameters): void {
  const momentum = p.momentum ?? 0.9;
  const vel = p.layers.map((L) => ({ w: new Float64Array(L.w.length), b: new Float64Array(L.b.length) }));
  for (let epoch = 0; epoch < p.epochs; epoch++) {
    const order = shuffle(
      p.xs.map((_, i) => i),
      p.random,
    );
    let loss = 0;
    for (let start = 0; start < order.length; start += p.batchSize) {
      const batch = order.slice(start, start + p.batchSize);
      const grads = p.layers.map((L) => ({ w: new Float64Array(L.w.length), b: new Float64Array(L.b.length) }));
      for (const n of batch) {
        const outs = forward(p.layers, p.xs[n]!);
        const logits = outs[outs.length - 1]!;
        const m = Math.max(...logits);
        const exps = logits.map((v) => Math.exp(v - m));
        const sum = exps.reduce((a, b) => a + b, 0);
        loss += -Math.log(exps[p.ys[n]!]! / sum);
        let delta = exps.map((e, k) => e / sum - (k === p.ys[n] ? 1 : 0));
        for (let l = p.layers.length - 1; l >= 0; l--) {
          const L = p.layers[l]!;
          const input = outs[l]!;
          const g = grads[l]!;
          const back = new Float64Array(L.inSize);
          for (let o = 0; o < L.outSize; o++) {
            g.b[o] = g.b[o]! + delta[o]!;
            for (let i = 0; i < L.inSize; i++) {
              g.w[o * L.inSize + i] = g.w[o * L.inSize + i]! + delta[o]! * input[i]!;
              back[i] = back[i]! + delta[o]! * L.w[o * L.inSize + i]!;
            }
          }
          if (l > 0) delta = back.map((v, i) => (input[i]! > 0 ? v : 0));
        }
      }
      p.layers.forEach((L, l) => {
        const g = grads[l]!;
        const v = vel[l]!;
        for (let i = 0; i < L.w.length; i++) {
          v.w[i] = momentum * v.w[i]! - (p.learningRate * g.w[i]!) / batch.length;
          L.w[i] = L.w[i]! + v.w[i]!;
        }
        for (let i = 0; i < L.b.length; i++) {
          v.b[i] = momentum * v.b[i]! - (p.learningRate * g.b[i]!) / batch.length;
          L.b[i] = L.b[i]! + v.b[i]!;
        }
      });
    }
    p.onEpoch?.(epoch, loss / order.length);
  }
}

export function accuracy(layers: DenseLayer[], xs: Float64Array[], ys: number[]): number {
  let ok = 0;
  xs.forEach((x, n) => {
    const out = forward(layers, x);
    const logits = out[out.length - 1]!;
    if (logits.indexOf(Math.max(...logits)) === ys[n]) ok++;
  });
  return ok / xs.length;
}
