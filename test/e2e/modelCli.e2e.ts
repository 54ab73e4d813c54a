import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expectOneLineError, verity } from '../helpers/cli';

const PROVER = '0x9965507D1a55bcC2695C58ba16FB37d819B0A4dc';

describe('verity model CLI (iris-mlp)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'verity-model-cli-'));
    const setup = await verity(['model', 'setup', 'iris-mlp']);
    expect(setup.code).toBe(0);
  }, 600_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('proves an inference to a file that verify accepts', async () => {
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
    const verified = await verity(['model', 'verify', 'iris-mlp', '--proof', out]);
    expect(verified.stdout).toMatch(/✔ valid: model iris-mlp, job 77, prover 0x9965507d1a55bcc2695c58ba16fb37d819b0a4dc/);
  });

  it('rejects a proof file whose output or job id was changed', async () => {
    const original = JSON.parse(readFileSync(join(dir, 'proof.json'), 'utf8')) as {
      output: { integers: number[] };
      publicSignals: string[];
    };
    const forgedOutput = structuredClone(original);
    forgedOutput.output.integers[2] = forgedOutput.output.integers[2]! - 1;
    writeFileSync(join(dir, 'forged-output.json'), JSON.stringify(forgedOutput));
    expectOneLineError(
      await verity(['model', 'verify', 'iris-mlp', '--proof', join(dir, 'forged-output.json')]),
      /proof INVALID: the output in the file does not match/,
    );
    const otherJob = structuredClone(original);
    otherJob.publicSignals[3] = '78';
    writeFileSync(join(dir, 'other-job.json'), JSON.stringify(otherJob));
    expectOneLineError(
      await verity(['model', 'verify', 'iris-mlp', '--proof', join(dir, 'other-job.json')]),
      /proof INVALID: the Groth16 proof does not verify/,
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
      'a wrong input size',
      ['model', 'prove', 'iris-mlp', '--input', '[1,2]', '--job-id', '1', '--prover', PROVER],
      /input has 2 values, the model takes 4/,
    ],
    [
      'a bad job id',
      ['model', 'prove', 'iris-mlp', '--input', '[1,2,3,4]', '--job-id', 'abc', '--prover', PROVER],
      /--job-id 'abc' is not an integer/,
    ],
    [
      'a bad prover',
      ['model', 'prove', 'iris-mlp', '--input', '[1,2,3,4]', '--job-id', '1', '--prover', '0x12'],
      /prover '0x12' is not an address/,
    ],
    [
      'a missing proof file',
      ['model', 'verify', 'iris-mlp', '--proof', '/nonexistent.json'],
      /proof file \/nonexistent.json does not exist/,
    ],
  ])('rejects %s with one line', async (_name, args, pattern) => {
    expectOneLineError(await verity(args), pattern);
  });
});
