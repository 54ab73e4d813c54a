import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { VerificationKey } from 'snarkjs';

import { releaseCurves } from '@verity/circuits';
import { expectOneLineError, verity } from '../helpers/cli';
import { forgeGroth16Proof } from '../helpers/forgeGroth16';

const PROVER = '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc';

type ProofFile = {
  modelId: string;
  output: { integers: number[]; values: number[]; argmax: number; salt: string };
  publicSignals: string[];
  proof: unknown;
  inputSalt: string;
  input: number[];
};

describe('verity model CLI (iris-mlp)', () => {
  let dir: string;
  let original: ProofFile;
  const write = (name: string, content: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  const verify = (file: string) => verity(['model', 'verify', 'iris-mlp', '--proof', file]);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-model-cli-'));
    const setup = await verity(['model', 'setup', 'iris-mlp']);
    expect(setup.code).toBe(0);
  }, 600_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await releaseCurves();
  });

  it('proves an inference to a file that verify accepts, openings included', async () => {
    const out = join(dir, 'proof.json');
    const proved = await verity([
      'model',
      'prove',
      'iris-mlp',
      '--input',
      '[6.7,3.0,5.2,2.3]',
      '--job-id',
      '77',
      '--prover',
      PROVER,
      '--out',
      out,
    ]);
    expect(proved.code).toBe(0);
    expect(proved.stdout).toMatch(/argmax\s+2/); // virginica
    const verified = await verify(out);
    expect(verified.stdout).toMatch(
      /✔ valid: model iris-mlp, job 77, prover 0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc; opened: output argmax 2, input/,
    );
    original = JSON.parse(readFileSync(out, 'utf8')) as ProofFile;
    expect(original.inputSalt).toMatch(/^\d+$/);
    expect(original.output.salt).toMatch(/^\d+$/);
  });

  it('rejects a proof file whose output or job id was changed', async () => {
    const forgedOutput = structuredClone(original);
    forgedOutput.output.integers[2] = forgedOutput.output.integers[2]! - 1;
    forgedOutput.output.values[2] = forgedOutput.output.integers[2]! / 2 ** 10; // whatever: the commitment catches it
    expectOneLineError(
      await verify(write('forged-output.json', { ...forgedOutput, output: { ...forgedOutput.output, values: undefined } })),
      /proof INVALID: output does not match the output commitment/,
    );
    const otherJob = structuredClone(original);
    otherJob.publicSignals[3] = '78';
    expectOneLineError(await verify(write('other-job.json', otherJob)), /proof INVALID: the Groth16 proof does not verify/);
  });

  it('rejects openings that hash to the commitment but do not match the circuit, naming the field', async () => {
    const traded = structuredClone(original);
    // Value 1 raised by k, value 0 lowered by k·2^bits: same packed element, same commitment, other argmax.
    traded.output.integers[0] = traded.output.integers[0]! - 5 * 2 ** 16;
    traded.output.integers[1] = traded.output.integers[1]! + 5;
    expectOneLineError(await verify(write('traded.json', traded)), /proof INVALID: output\.integers\[0\] = -?\d+ is outside the/);
    const argmax = structuredClone(original);
    argmax.output.argmax = 0;
    expectOneLineError(
      await verify(write('argmax.json', argmax)),
      /proof INVALID: output\.argmax is 0, but the largest output is at index 2/,
    );
    const floats = structuredClone(original);
    floats.output.values = [0.9, 0.05, 0.05];
    expectOneLineError(await verify(write('floats.json', floats)), /proof INVALID: output\.values\[0\] is 0.9/);
    const input = structuredClone(original);
    input.input = [6.7, 3.0, 5.2, 2.4];
    expectOneLineError(await verify(write('input.json', input)), /proof INVALID: input does not match the input commitment/);
  });

  it('rejects a forged proof (the attack on keys without a phase-2 contribution)', async () => {
    const manifestDir = /files\s+(\S+)/.exec((await verity(['model', 'inspect', 'iris-mlp'])).stdout)![1]!;
    const vkey = JSON.parse(readFileSync(join(manifestDir, 'verification_key.json'), 'utf8')) as VerificationKey;
    const signals = [original.modelId, '1', '2', '77', BigInt(PROVER).toString()];
    const forged = {
      ...original,
      publicSignals: signals,
      proof: await forgeGroth16Proof(vkey, signals),
      output: undefined,
      input: undefined,
      inputSalt: undefined,
    };
    expectOneLineError(await verify(write('forged.json', forged)), /proof INVALID: the Groth16 proof does not verify/);
  });

  it('runs a two-party phase-2 ceremony and verifies its transcript', async () => {
    const a = join(dir, 'a.zkey');
    const b = join(dir, 'b.zkey');
    const first = await verity(['model', 'contribute', 'iris-mlp', '--out', a, '--name', 'alice']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/contribution hash\s+[0-9a-f]{128}/);
    const second = await verity(['model', 'contribute', 'iris-mlp', '--in', a, '--out', b, '--name', 'bob']);
    expect(second.code).toBe(0);
    const checked = await verity(['model', 'verify-setup', 'iris-mlp', '--zkey', b]);
    expect(checked.code).toBe(0);
    expect(checked.stdout).toMatch(/#1 alice\s+[0-9a-f]{128}/);
    expect(checked.stdout).toMatch(/#2 bob\s+[0-9a-f]{128}/);
    // A file that is not this circuit's zkey is refused.
    expectOneLineError(
      await verity(['model', 'verify-setup', 'iris-mlp', '--zkey', write('junk.zkey', 'not a zkey')]),
      /^error: setup INVALID/,
    );
  });

  it.each([
    ['an unknown model', ['model', 'compile', 'resnet50'], /unknown model 'resnet50'/],
    [
      'a non-numeric input',
      ['model', 'prove', 'iris-mlp', '--input', '[1,2,"x",4]', '--job-id', '1', '--prover', PROVER],
      /input\[2\] is x/,
    ],
    [
      'malformed inline JSON',
      ['model', 'prove', 'iris-mlp', '--input', '[1,2,', '--job-id', '1', '--prover', PROVER],
      /^error: --input is not valid JSON/,
    ],
    [
      'a wrong input size',
      ['model', 'prove', 'iris-mlp', '--input', '[1,2]', '--job-id', '1', '--prover', PROVER],
      /input has 2 values, the model takes 4/,
    ],
    [
      'an input outside the declared range',
      ['model', 'prove', 'iris-mlp', '--input', '[1,2,3,9]', '--job-id', '1', '--prover', PROVER],
      /input\[3\] = 9 is outside the model's input range \[-8, 8\]/,
    ],
    [
      'a bad job id',
      ['model', 'prove', 'iris-mlp', '--input', '[1,2,3,4]', '--job-id', 'abc', '--prover', PROVER],
      /--job-id 'abc' is not an integer/,
    ],
    [
      'an empty job id',
      ['model', 'prove', 'iris-mlp', '--input', '[1,2,3,4]', '--job-id', '', '--prover', PROVER],
      /--job-id '' is not an integer/,
    ],
    [
      'a bad salt',
      ['model', 'prove', 'iris-mlp', '--input', '[1,2,3,4]', '--input-salt', '-3', '--job-id', '1', '--prover', PROVER],
      /--input-salt '-3' is not an integer/,
    ],
    [
      'a bad prover',
      ['model', 'prove', 'iris-mlp', '--input', '[1,2,3,4]', '--job-id', '1', '--prover', '0x12'],
      /prover '0x12' is not an address/,
    ],
    [
      'an unwritable --out',
      ['model', 'prove', 'iris-mlp', '--input', '[1,2,3,4]', '--job-id', '1', '--prover', PROVER, '--out', '/nonexistent/p.json'],
      /^error: cannot write \/nonexistent\/p.json: directory \/nonexistent does not exist/,
    ],
    [
      '--input-bits out of range',
      ['model', 'inspect', 'iris-mlp', '--input-bits', '300'],
      /--input-bits '300' must be an integer from 2 to 32/,
    ],
    ['--input-bits not a number', ['model', 'inspect', 'iris-mlp', '--input-bits', 'x'], /--input-bits 'x' must be an integer/],
    [
      'a missing proof file',
      ['model', 'verify', 'iris-mlp', '--proof', '/nonexistent.json'],
      /proof file \/nonexistent.json does not exist/,
    ],
  ])('rejects %s with one line', async (_name, args, pattern) => {
    const result = await verity(args);
    expectOneLineError(result, pattern);
    expect(result.stderr).not.toMatch(/chain error/);
  });

  it('inspects a model without compiling it: the constraint count is the one a compile then writes', async () => {
    // A width no other test compiles: lowering, the onnxruntime check, quantization and a count of the constraints.
    const fresh = await verity(['model', 'inspect', 'iris-mlp', '--input-bits', '9']);
    const counted = Number(/constraints\s+(\d+) \(/.exec(fresh.stdout)![1]);
    expect(counted).toBeGreaterThan(1000);
    expect(fresh.stdout).toMatch(/operators\s+Sub → Mul → Gemm → Relu → Gemm → Softmax/);
    const dir = /files\s+(\S+)/.exec(fresh.stdout)![1]!;
    expect(existsSync(join(dir, 'model.r1cs'))).toBe(false);
    await verity(['model', 'compile', 'iris-mlp', '--input-bits', '9']);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { constraints: number };
    expect(manifest.constraints).toBe(counted);
  });

  it('names a malformed input file, a bad calibration file and a model with no setup', async () => {
    const bad = write('bad-input.json', '{"oops"');
    expectOneLineError(
      await verity(['model', 'prove', 'iris-mlp', '--input', bad, '--job-id', '1', '--prover', PROVER]),
      new RegExp(`^error: input file ${bad} is not valid JSON`),
    );
    const onnx = join(__dirname, '..', '..', 'circuits', 'models', 'iris-mlp', 'model.onnx');
    const calibration = write('calibration.json', '{"not": "an array"}');
    expectOneLineError(
      await verity(['model', 'inspect', onnx, '--calibration', calibration, '--input-max-abs', '8']),
      /^error: calibration file .* must hold a non-empty JSON array of input arrays/,
    );
    const garbled = write('garbled.json', '[[1,2');
    expectOneLineError(
      await verity(['model', 'inspect', onnx, '--calibration', garbled, '--input-max-abs', '8']),
      /^error: calibration file .* is not valid JSON/,
    );
    // A fresh input width compiles a new circuit that has no setup yet.
    const proofFile = write('p.json', original);
    expectOneLineError(
      await verity(['model', 'verify', 'iris-mlp', '--input-bits', '11', '--proof', proofFile]),
      /^error: model iris-mlp has no verification key yet: run `verity model setup iris-mlp`/,
    );
  });
});
