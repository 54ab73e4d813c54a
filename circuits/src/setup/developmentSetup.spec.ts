import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as snarkjs from 'snarkjs';

import type { CompiledModel } from '../compileModel';
import type { ModelManifest, ModelSetup } from '../model/manifest';
import { setupModel } from '../setupModel';
import { releaseCurves } from '../verifyInference';
import { assertSetupRegistrable, DevelopmentSetupRefusedError, zkeyContributionCount } from './assertSetupRegistrable';
import { checkVerificationKey } from './checkVerificationKey';
import { developmentDomainPower, developmentSetup } from './developmentSetup';
import { windowFor } from './fixedBaseMul';
import { writeSyntheticCircuit } from './syntheticCircuit';

const prove = (zkey: string, wtns: string) => snarkjs.groth16.prove(zkey, wtns);

describe('developmentSetup (INSECURE, development only)', () => {
  let dir: string;
  let circuit: ReturnType<typeof writeSyntheticCircuit>;
  let zkey: string;
  let vkey: snarkjs.VerificationKey;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-devsetup-'));
    // 300 + 5 public rows: a domain of 2^9, with the public rows near its end.
    circuit = writeSyntheticCircuit({ dir, constraints: 300, publicSignals: 5 });
    zkey = join(dir, 'dev.zkey');
    const result = await developmentSetup({ r1cs: circuit.r1cs, zkey, threads: 2 });
    expect(result).toMatchObject({ domainSize: 512, nConstraints: 300, nPublic: 5, nVars: 303 });
    vkey = await snarkjs.zKey.exportVerificationKey(zkey);
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await releaseCurves(); // snarkjs's worker pool
  });

  it('writes a zkey snarkjs proves with, whose key verifies proofs of several witnesses and passes the key checks', async () => {
    expect(() => checkVerificationKey(vkey)).not.toThrow();
    expect(vkey.nPublic).toBe(5);
    // Several witnesses: A, B and C sections (and H) must all be right for each of them to verify.
    for (const [x, y] of [
      [3n, 5n],
      [123456789n, 987654321n],
      [2n ** 200n + 7n, 11n],
    ] as const) {
      const witness = circuit.witness(x, y);
      const { proof, publicSignals } = await prove(zkey, witness.wtns);
      expect(publicSignals).toEqual(witness.publicSignals);
      expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).toBe(true);
      const tampered = [...publicSignals];
      tampered[2] = (BigInt(tampered[2]!) + 1n).toString();
      expect(await snarkjs.groth16.verify(vkey, tampered, proof)).toBe(false);
    }
  });

  it('samples fresh toxic waste each time: a proof does not verify under another setup of the same circuit', async () => {
    const other = join(dir, 'other.zkey');
    await developmentSetup({ r1cs: circuit.r1cs, zkey: other, threads: 1 });
    const witness = circuit.witness(4n, 9n);
    const { proof, publicSignals } = await prove(other, witness.wtns);
    expect(await snarkjs.groth16.verify(await snarkjs.zKey.exportVerificationKey(other), publicSignals, proof)).toBe(true);
    expect(await snarkjs.groth16.verify(vkey, publicSignals, proof)).toBe(false);
  });

  it('records no phase-2 contribution in the zkey', () => {
    expect(zkeyContributionCount(zkey)).toBe(0);
  });

  it("uses snarkjs's domain and sensible windows", () => {
    expect(developmentDomainPower({ nConstraints: 250, nPublic: 5 })).toBe(8);
    expect(developmentDomainPower({ nConstraints: 251, nPublic: 5 })).toBe(9);
    expect(windowFor(10)).toBeLessThan(windowFor(100_000));
  });

  it('setupModel labels it INSECURE development in the manifest, and reuses it only for a development setup', async () => {
    const model = fakeModel(dir, circuit.r1cs);
    const steps: string[] = [];
    const result = await setupModel({ model, insecureDevelopmentSetup: true, onProgress: (s) => steps.push(s) });
    expect(result.insecure).toBe(true);
    expect(steps.length).toBeGreaterThan(0);
    expect(steps.every((s) => s.includes('INSECURE'))).toBe(true);
    const written = JSON.parse(readFileSync(model.paths.manifest, 'utf8')) as ModelManifest;
    expect(written.setup).toMatchObject({ kind: 'development', insecure: true, contributions: [], ptauSha256: '' });
    expect(written.setup!.ptau).toMatch(/INSECURE development setup/);
    expect(readFileSync(model.paths.verifierSol, 'utf8')).toMatch(/contract Groth16Verifier/);
    expect((await setupModel({ model, insecureDevelopmentSetup: true })).seconds).toBe(0);
    await expect(setupModel({ model, insecureDevelopmentSetup: true, ptauFile: circuit.r1cs })).rejects.toThrow(
      /takes no powers of tau/,
    );
  });
});

describe('assertSetupRegistrable', () => {
  const development: ModelSetup = {
    kind: 'development',
    insecure: true,
    ptau: '',
    ptauSha256: '',
    contributions: [],
    zkeySha256: '',
    vkeySha256: '',
  };
  const ceremony: ModelSetup = {
    ...development,
    kind: 'powers-of-tau',
    insecure: false,
    contributions: [{ index: 1, name: 'a', hash: 'ff' }],
  };

  it('refuses a development setup unless explicitly allowed on the chain it goes to', () => {
    const base = { model: 'm', setup: development, chainId: 900 };
    expect(() => assertSetupRegistrable({ ...base, developmentChainIds: [] })).toThrow(DevelopmentSetupRefusedError);
    expect(() => assertSetupRegistrable({ ...base, developmentChainIds: [] })).toThrow(/INSECURE development setup/);
    expect(() => assertSetupRegistrable({ ...base, chainId: 1, developmentChainIds: [900] })).toThrow(/not on chain 1/);
    expect(() => assertSetupRegistrable({ ...base, developmentChainIds: [900] })).not.toThrow();
    expect(() => assertSetupRegistrable({ ...base, setup: ceremony, chainId: 1, developmentChainIds: [] })).not.toThrow();
  });

  it('judges by the zkey too: one without phase-2 contributions is a development setup whatever the manifest says', () => {
    const dir = mkdtempSync(join(tmpdir(), 'verity-zkey-'));
    try {
      const zkeyWith = (contributions: number) => {
        const file = join(dir, `${contributions}.zkey`);
        const section = (type: number, data: Buffer) => {
          const head = Buffer.alloc(12);
          head.writeUInt32LE(type, 0);
          head.writeBigUInt64LE(BigInt(data.length), 4);
          return Buffer.concat([head, data]);
        };
        const count = Buffer.alloc(4);
        count.writeUInt32LE(contributions);
        const head = Buffer.alloc(12);
        head.write('zkey', 'latin1');
        head.writeUInt32LE(1, 4);
        head.writeUInt32LE(2, 8);
        writeFileSync(
          file,
          Buffer.concat([head, section(1, Buffer.alloc(4)), section(10, Buffer.concat([Buffer.alloc(64), count]))]),
        );
        return file;
      };
      const base = { model: 'm', setup: ceremony, chainId: 1, developmentChainIds: [] };
      expect(() => assertSetupRegistrable({ ...base, zkey: zkeyWith(0) })).toThrow(DevelopmentSetupRefusedError);
      expect(() => assertSetupRegistrable({ ...base, zkey: zkeyWith(2) })).not.toThrow();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Just what setupModel reads of a compiled model, around a synthetic r1cs. */
function fakeModel(dir: string, r1cs: string): Pick<CompiledModel, 'manifest' | 'paths'> {
  const manifest = { name: 'synthetic', constraints: 300, publicSignals: ['a', 'b', 'c', 'd', 'e'] } as unknown as ModelManifest;
  const paths = {
    dir,
    r1cs,
    manifest: join(dir, 'manifest.json'),
    zkey: join(dir, 'model.zkey'),
    vkey: join(dir, 'vkey.json'),
    verifierSol: join(dir, 'Verifier.sol'),
  } as unknown as CompiledModel['paths'];
  writeFileSync(paths.manifest, JSON.stringify(manifest));
  return { manifest, paths };
}
