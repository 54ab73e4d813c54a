/** Along one axis, one output position reads input coordinate `at` through kernel index `k`. */
export type Tap = { k: number; at: number };

/** One axis of a convolution or pool: input extent, kernel, stride, dilation and the two pads. */
export type AxisGeometry = { n: number; kernel: number; stride: number; dilation: number; padBegin: number; padEnd: number };

/**
 * Conv/pool taps along one axis: output o reads o·stride − padBegin + k·dilation for the k that land inside the
 * input. `inPad` counts the taps inside input plus pads (AveragePool's count_include_pad divisor). With ceil mode
 * a last, partial window is added when it starts inside the input or its leading pad (onnxruntime and PyTorch).
 */
export function convTaps(a: AxisGeometry, ceil = false): { taps: Tap[][]; inPad: number[] } {
  const span = (a.kernel - 1) * a.dilation + 1;
  const extent = a.n + a.padBegin + a.padEnd - span;
  let out = (ceil ? Math.ceil(extent / a.stride) : Math.floor(extent / a.stride)) + 1;
  if (ceil && (out - 1) * a.stride >= a.n + a.padBegin) out--;
  const taps: Tap[][] = [];
  const inPad: number[] = [];
  for (let o = 0; o < Math.max(out, 0); o++) {
    const row: Tap[] = [];
    let padded = 0;
    for (let k = 0; k < a.kernel; k++) {
      const at = o * a.stride - a.padBegin + k * a.dilation;
      if (at >= 0 && at < a.n) row.push({ k, at });
      if (at >= -a.padBegin && at < a.n + a.padEnd) padded++;
    }
    taps.push(row);
    inPad.push(padded);
  }
  return { taps, inPad };
}

/**
 * ConvTranspose taps along one axis: output o gathers input i through kernel index k when
 * i·stride − padBegin + k·dilation = o (the scatter of the forward definition, read backwards).
 */
export function transposedTaps(a: AxisGeometry, outputPadding: number): Tap[][] {
  const out = a.stride * (a.n - 1) + outputPadding + (a.kernel - 1) * a.dilation + 1 - a.padBegin - a.padEnd;
  return Array.from({ length: Math.max(out, 0) }, (_, o) => {
    const row: Tap[] = [];
    for (let k = 0; k < a.kernel; k++) {
      const num = o + a.padBegin - k * a.dilation;
      if (num >= 0 && num % a.stride === 0 && num / a.stride < a.n) row.push({ k, at: num / a.stride });
    }
    return row;
  });
}

/** One output position of an N-D window: flat kernel offsets and flat input offsets, term by term. */
export type Window = { k: number[]; at: number[] };

/**
 * Every output position of an N-D window, row-major, as the cartesian product of its per-axis taps flattened
 * against the kernel dims and the input's spatial dims.
 */
export function windowsND(axes: Tap[][][], kernel: number[], spatial: number[]): Window[] {
  let windows: Window[] = [{ k: [0], at: [0] }];
  axes.forEach((axis, a) => {
    const next: Window[] = [];
    for (const w of windows)
      for (const taps of axis) {
        const k: number[] = [];
        const at: number[] = [];
        for (let t = 0; t < w.k.length; t++)
          for (const tap of taps) {
            k.push(w.k[t]! * kernel[a]! + tap.k);
            at.push(w.at[t]! * spatial[a]! + tap.at);
          }
        next.push({ k, at });
      }
    windows = next;
  });
  return windows;
}

/** Per-axis counts multiplied out in the same row-major order as windowsND (count_include_pad divisors). */
export function countsND(perAxis: number[][]): number[] {
  let counts = [1];
  for (const axis of perAxis) counts = counts.flatMap((c) => axis.map((n) => c * n));
  return counts;
}
