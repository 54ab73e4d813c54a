// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '**/node_modules/', 'contracts/build/', 'circuits/build/', 'dist/', '.devnet/', 'coverage/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', console: 'readonly' },
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
  {
    files: ['**/config.ts', 'rollup/src/cli/main.ts', 'test/**', '**/*.spec.ts', 'jest.config.js'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/*.js', 'bin/verity'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
