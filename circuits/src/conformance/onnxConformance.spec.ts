import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { repoRoot } from '../paths';
import { FIXED_TOLERANCE, FLOAT_TOLERANCE, runConformanceCase, type ConformanceResult } from './runConformanceCase';

/** The ONNX project's PyTorch-exported backend tests (see ../shared/onnx-tests/README.md). */
const CASES = join(repoRoot, '..', 'shared', 'onnx-tests', 'pytorch-converted');
/** Accepted-and-agreeing cases reached so far (79 of 82): fewer is a regression. */
const ACCEPTED_FLOOR = 79;

/**
 * ONNX conformance: every case goes through lowering, the float path and the fixed-point evaluator, one sample
 * of its batch at a time, against its expected output. A case is either accepted and agreeing within
 * FLOAT_TOLERANCE / FIXED_TOLERANCE of its output's magnitude, or refused with a typed error before any work.
 */
describe('ONNX conformance (pytorch-converted backend tests)', () => {
  const results: ConformanceResult[] = [];

  beforeAll(() => {
    if (!existsSync(CASES)) throw new Error(`the ONNX backend test data is missing: ${CASES}`);
    for (const name of readdirSync(CASES).sort()) results.push(runConformanceCase(join(CASES, name), name));
    const agree = results.filter((r) => r.status === 'agrees');
    const refused = results.filter((r) => r.status === 'refused');
    const reasons = new Map<string, string[]>();
    for (const r of refused) reasons.set(r.reason, [...(reasons.get(r.reason) ?? []), r.name]);
    console.log(
      [
        `ONNX conformance: ${agree.length} accepted and agreeing, ${refused.length} refused, ` +
          `${results.length - agree.length - refused.length} disagreeing, of ${results.length} ` +
          `(tolerance: float ${FLOAT_TOLERANCE}, fixed point ${FIXED_TOLERANCE} of max |expected|)`,
        ...[...reasons].map(([reason, names]) => `  refused ×${names.length}: ${reason} (${names.join(', ')})`),
      ].join('\n'),
    );
  });

  it('has no accepted case that disagrees with its expected output', () => {
    expect(results.filter((r) => r.status === 'disagrees')).toEqual([]);
  });

  it(`accepts at least ${ACCEPTED_FLOOR} cases`, () => {
    expect(results.filter((r) => r.status === 'agrees').length).toBeGreaterThanOrEqual(ACCEPTED_FLOOR);
  });

  it('refuses only with typed errors that name the operator and the node', () => {
    for (const r of results)
      if (r.status === 'refused') expect(r.reason).toMatch(/^UnsupportedOperatorError: unsupported operator \w+ in node '[^']+'/);
  });
});
