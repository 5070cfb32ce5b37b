// ESLint with typescript-eslint's type-checked rules over src and test (tsconfig.test.json covers both).
// Formatting is prettier's job (npm run format:check), so there are no stylistic rules here.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'templates/', 'bench/'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts'],
    extends: [js.configs.recommended, tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `void promise` still loses the rejection: a promise is awaited, caught, or a disable comment says why.
      // node:test tracks the promises test() and describe() return, so those need nothing.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          ignoreVoid: false,
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite'] },
          ],
        },
      ],
      // Off: the `!` after an index marks an element that may be missing; tsconfig has no
      // noUncheckedIndexedAccess, so this rule would call every one of them unnecessary.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      // Off: async functions with no await implement async interfaces (doctor checks, init stages,
      // Fastify plugins and handlers) whose callers await them; removing `async` changes nothing.
      '@typescript-eslint/require-await': 'off',
      // Off: String(x) on a value parsed from untrusted JSON/XML is the intended coercion.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    // Off: Kysely's expression builder hands out functions that are meant to be destructured
    // (`.where(({ not, exists }) => …)`); they do not use `this`.
    files: ['src/store/sql/**/*.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // Off for the fakes and the tests: they read loose JSON bodies on purpose, and a test whose guessed
    // shape is wrong fails its assertion anyway. src/store/rows.ts maps driver rows (any by nature).
    files: ['src/fakes/**/*.ts', 'test/**/*.ts', 'src/store/rows.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Off in tests: the expected CLI output is indented by two spaces, and `/\n  →/` reads as the output does.
    files: ['test/**/*.ts'],
    rules: { 'no-regex-spaces': 'off' },
  },
);
