/**
 * One runner for the whole repo. SWC compiles TypeScript with decorator metadata (NestJS DI needs it).
 * Unit specs sit beside the code (*.spec.ts); end-to-end suites live in test/ (*.e2e.ts). Suites run one at a
 * time (--runInBand): each e2e file boots its own devnet, and 2 CI cores are better spent inside a suite.
 */
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const packages = ['core', 'contracts', 'circuits', 'rollup', 'bridge/src', 'sequencer', 'prover', 'cli', 'test'];

module.exports = {
  testEnvironment: '<rootDir>/test/helpers/jestEnvironment.js',
  // A fresh clone lacks directories that hold no tracked file yet.
  roots: packages.filter((dir) => existsSync(join(__dirname, dir))).map((dir) => `<rootDir>/${dir}`),
  testMatch: ['**/*.spec.ts', '**/*.e2e.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/build/'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          target: 'es2022',
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  testTimeout: 120_000,
  verbose: true,
};
