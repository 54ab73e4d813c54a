import { FIELD_MODULUS as R } from '../field';
import { parseR1cs } from '../setup/parseR1cs';

/**
 * The first constraint of an r1cs file that `values` (a full witness, wire 0 = 1) does not satisfy, or undefined
 * when all hold: snarkjs's `wtns check`, synchronous and in memory, for tests that play a cheating prover against
 * the recorded constraints rather than against the gadget code that recorded them.
 */
export function firstUnsatisfied(r1csBytes: Uint8Array, values: readonly bigint[]): number | undefined {
  const r1cs = parseR1cs(r1csBytes);
  if (values.length !== r1cs.nVars) throw new RangeError(`the witness has ${values.length} wires, the r1cs ${r1cs.nVars}`);
  const bytes = r1cs.constraints;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const lc = (): bigint => {
    const n = view.getUint32(at, true);
    at += 4;
    let acc = 0n;
    for (let t = 0; t < n; t++) {
      const wire = view.getUint32(at, true);
      let c = 0n;
      for (let w = 3; w >= 0; w--) c = (c << 64n) | view.getBigUint64(at + 4 + 8 * w, true);
      acc += c * values[wire]!;
      at += 36;
    }
    return acc % R;
  };
  for (let i = 0; i < r1cs.nConstraints; i++) {
    const [a, b, c] = [lc(), lc(), lc()];
    if ((a * b - c) % R !== 0n) return i;
  }
  return undefined;
}
