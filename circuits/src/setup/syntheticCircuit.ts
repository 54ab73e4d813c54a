import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { encodeR1cs, encodeWtns, fieldElement as fe, u32 } from '../r1cs/binary';
import { R } from './bn254';

export type WriteSyntheticCircuitParameters = {
  dir: string;
  /** Constraints in all, public ones included. */
  constraints: number;
  publicSignals: number;
};

export type WriteSyntheticCircuitReturnType = {
  r1cs: string;
  /** Writes a satisfying witness (snarkjs .wtns) for private inputs (x, y) and returns its path and public signals. */
  witness(x: bigint, y: bigint): { wtns: string; publicSignals: string[] };
};

/**
 * A circuit of any size without a compiler, for setup tests and benchmarks: a chain x_{i+1} = x_i·(x_i + y) from the
 * private inputs (x, y), then one public output per public signal j: out_j = x_last + j. Written as a circom r1cs
 * (wire 0 is the constant 1, then the public outputs, the two private inputs, the chain).
 */
export function writeSyntheticCircuit(parameters: WriteSyntheticCircuitParameters): WriteSyntheticCircuitReturnType {
  const { dir, publicSignals: nPub } = parameters;
  const chain = parameters.constraints - nPub;
  if (nPub < 1 || chain < 1) throw new RangeError('a synthetic circuit needs at least one public and one chain constraint');
  const nVars = 1 + nPub + 2 + chain;
  const wireX = (i: number) => (i === 0 ? nPub + 1 : nPub + 2 + i);
  const wireY = nPub + 2;
  const lc = (terms: [number, bigint][]) => Buffer.concat([u32(terms.length), ...terms.flatMap(([w, c]) => [u32(w), fe(c)])]);
  const rows: Buffer[] = [];
  for (let i = 0; i < chain; i++)
    rows.push(
      lc([[wireX(i), 1n]]),
      lc([
        [wireX(i), 1n],
        [wireY, 1n],
      ]),
      lc([[wireX(i + 1), 1n]]),
    );
  for (let j = 1; j <= nPub; j++)
    rows.push(
      lc([
        [wireX(chain), 1n],
        [0, BigInt(j)],
      ]),
      lc([[0, 1n]]),
      lc([[j, 1n]]),
    );
  const r1cs = join(dir, 'synthetic.r1cs');
  writeFileSync(
    r1cs,
    encodeR1cs(
      { nWires: nVars, nPublicOutputs: nPub, nPublicInputs: 0, nPrivateInputs: 2, nConstraints: parameters.constraints },
      Buffer.concat(rows),
    ),
  );
  return {
    r1cs,
    witness(x, y) {
      const values = new Array<bigint>(nVars).fill(0n);
      values[0] = 1n;
      values[wireX(0)] = x % R;
      values[wireY] = y % R;
      for (let i = 0; i < chain; i++) values[wireX(i + 1)] = (values[wireX(i)]! * (values[wireX(i)]! + values[wireY]!)) % R;
      for (let j = 1; j <= nPub; j++) values[j] = (values[wireX(chain)]! + BigInt(j)) % R;
      const wtns = join(dir, `synthetic-${x}-${y}.wtns`);
      writeFileSync(wtns, encodeWtns(values));
      return { wtns, publicSignals: values.slice(1, nPub + 1).map(String) };
    },
  };
}
