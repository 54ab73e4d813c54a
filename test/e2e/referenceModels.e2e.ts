import {
  loadMnist,
  REFERENCE_MODELS,
  referenceCompileParameters,
  circuitInput,
  compileModel,
  evaluateQuantized,
  quantizeInput,
  releaseCurves,
  type CompiledModel,
  calculateWitness,
} from '@verity/circuits';

/**
 * Every reference model, compiled from its committed ONNX file: the circuit computes exactly what the fixed-point
 * evaluator computes (its own output must hash to the commitment made from the evaluator's), and no output that
 * differs by one unit satisfies it. Witness level only: the Groth16 setups of the larger models take minutes and
 * are exercised by `npm run bench:zk`; iris-mlp's full proof cycle is in zkml.e2e.ts.
 */
describe.each(['mnist-mlp', 'mnist-cnn', 'mnist-lenet'])('reference model %s', (name) => {
  let model: CompiledModel;
  const spec = REFERENCE_MODELS[name]!;
  // 40 held-out digits, four per class.
  const digits = loadMnist().filter((s, i) => s.test && i % 25 === 0);

  beforeAll(async () => {
    model = await compileModel(referenceCompileParameters(spec));
  }, 300_000);
  // compileModel reads the r1cs with snarkjs, which starts bn128 worker threads: stop them so Jest can exit.
  afterAll(() => releaseCurves());

  const witness = (x: number[], output: number[]) => {
    const claimed = { integers: output.slice(0, -1), argmax: output[output.length - 1]!, salt: '5' };
    return calculateWitness(model, circuitInput(model, quantizeInput(model.program, x), 3n, claimed, 1n, 1n));
  };

  it('agrees with onnxruntime through the compiler, and the circuit equals the evaluator on held-out digits', async () => {
    expect(model.referenceError).toBeLessThan(1e-4);
    let correct = 0;
    for (const d of digits) {
      const r = evaluateQuantized(model.program, quantizeInput(model.program, Array.from(d.x)));
      if (r.argmax === d.y) correct++;
      await expect(witness(Array.from(d.x), [...r.output, r.argmax])).resolves.toBeDefined();
    }
    expect(correct / digits.length).toBeGreaterThan(0.85);
  });

  it('is not satisfied by an output one unit off', async () => {
    const x = Array.from(digits[7]!.x);
    const r = evaluateQuantized(model.program, quantizeInput(model.program, x));
    const off = [...r.output];
    off[r.argmax] = off[r.argmax]! - 1;
    await expect(witness(x, [...off, r.argmax])).rejects.toThrow(/does not hold/);
  });
});
