// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Which package may import which (docs/architecture.md): everything may use core; nothing imports cli; the prover
 * reaches the sequencer over HTTP only; circuits knows nothing of chains or jobs. Packages are imported by name
 * (`@verity/x`), never by a relative path into another package or a deep path past its entry.
 */
const PACKAGES = ['core', 'contracts', 'circuits', 'rollup', 'bridge', 'sequencer', 'prover', 'cli'];
const ALLOWED = {
  core: [],
  contracts: ['core'],
  circuits: ['core', 'contracts'],
  rollup: ['core', 'contracts'],
  bridge: ['core'],
  sequencer: ['core', 'contracts', 'circuits'],
  prover: ['core', 'circuits'],
  cli: ['core', 'contracts', 'circuits', 'rollup', 'bridge', 'sequencer', 'prover'],
  // End-to-end suites span packages; they too go through each package's entry.
  test: ['core', 'contracts', 'circuits', 'rollup', 'bridge', 'sequencer', 'prover'],
};
const boundaries = Object.entries(ALLOWED).map(([from, allowed]) => ({
  files: [`${from}/**/*.ts`, `${from}/**/*.js`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        paths: PACKAGES.filter((p) => p !== from && !allowed.includes(p)).map((p) => ({
          name: `@verity/${p}`,
          message: `${from} may not depend on @verity/${p} (allowed: ${allowed.map((a) => `@verity/${a}`).join(', ') || 'none'})`,
        })),
        patterns: [
          { group: ['@verity/*/**'], message: 'import a package through its entry (@verity/x), never a path inside it' },
          {
            regex: `^(\\.\\./)+(${[...PACKAGES, 'test'].join('|')})/`,
            message: 'import another package by its name (@verity/x), never by a relative path into it',
          },
        ],
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: ['node_modules/', '**/node_modules/', 'contracts/build/', 'circuits/build/', 'dist/', '.devnet/', 'coverage/'],
  },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        Buffer: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Not consistent-type-imports: NestJS reads constructor parameter types at run time (decorator metadata),
      // so an injected class imported as a type would break dependency injection.
      // Only the typed config modules read the environment (STYLE.md "Configuration").
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'read configuration through the typed config module' },
      ],
    },
  },
  ...boundaries,
  {
    files: ['**/config.ts', 'cli/src/index.ts', 'test/**', '**/*.spec.ts', 'jest.config.js'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.js', 'bin/verity'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
