import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** Lints `source` as if it were the file at `filePath`, with the repository's own config (what `npm run lint` runs). */
function lint(filePath: string, source: string): { code: number | null; out: string } {
  const r = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '--stdin', '--stdin-filename', filePath, '--no-warn-ignored'],
    { cwd: ROOT, input: source, encoding: 'utf8' },
  );
  return { code: r.status, out: r.stdout + r.stderr };
}

const use = (specs: string[]) =>
  specs.map((s, i) => `import * as m${i} from '${s}';`).join('\n') +
  `\nexport const all = [${specs.map((_, i) => `m${i}`).join(', ')}];\n`;

describe('package boundaries are enforced by lint', () => {
  it('keeps circuits free of chains, jobs and the CLI', () => {
    const { code, out } = lint(
      'circuits/src/probe.ts',
      use(['@verity/rollup', '@verity/bridge', '@verity/sequencer', '@verity/prover', '@verity/cli']),
    );
    expect(code).toBe(1);
    for (const p of ['rollup', 'bridge', 'sequencer', 'prover', 'cli'])
      expect(out).toContain(`circuits may not depend on @verity/${p} (allowed: @verity/core, @verity/contracts)`);
  });

  it('lets the prover reach the sequencer over HTTP only', () => {
    const { code, out } = lint('prover/src/probe.ts', use(['@verity/sequencer']));
    expect(code).toBe(1);
    expect(out).toContain('prover may not depend on @verity/sequencer');
  });

  it('lets nothing import the CLI, and nothing import core but core', () => {
    expect(lint('rollup/src/probe.ts', use(['@verity/cli'])).out).toContain('rollup may not depend on @verity/cli');
    expect(lint('test/e2e/probe.ts', use(['@verity/cli'])).out).toContain('test may not depend on @verity/cli');
    expect(lint('core/src/probe.ts', use(['@verity/contracts'])).out).toContain('core may not depend on @verity/contracts');
  });

  it('refuses deep imports past a package entry and relative paths into another package', () => {
    const { code, out } = lint(
      'sequencer/src/jobs/probe.ts',
      use(['@verity/circuits/src/proveInference', '../../../circuits/src']),
    );
    expect(code).toBe(1);
    expect(out).toContain('import a package through its entry');
    expect(out).toContain('never by a relative path into it');
  });

  it('accepts what the design allows', () => {
    const { code, out } = lint(
      'sequencer/src/probe.ts',
      use(['@verity/core', '@verity/contracts', '@verity/circuits', './app.module']),
    );
    expect(out).not.toMatch(/no-restricted-imports/);
    expect(code).toBe(0);
  });
});
