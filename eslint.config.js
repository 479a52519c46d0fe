// ESLint for Flux: the JavaScript and TypeScript recommended rules, the house limits (function length,
// line width, no type-lie casts), and eslint-config-prettier so that layout is Prettier's alone.
// The rules run without type information: on the two-core development machine the whole run takes
// ~8 s; typescript-eslint's type-checked sets took 25 s for the source folders alone (tests/ is not in
// tsconfig.json, so they could not even parse it), and the type check beside this one is tsc's job.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// Node's globals that the plain JavaScript files use; TypeScript files get theirs from the compiler
// (no-undef is off there, as typescript-eslint advises), so no list is needed for them.
const nodeGlobals = {
  process: 'readonly',
  console: 'readonly',
  Buffer: 'readonly',
  URL: 'readonly',
  performance: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
  setImmediate: 'readonly',
  queueMicrotask: 'readonly',
  globalThis: 'readonly',
};

export default defineConfig(
  {
    ignores: [
      'dist/',
      'out/',
      'test-artifacts/',
      'tmp/',
      '.gpu/',
      '.gl/',
      'native/dds/build/',
      // AssemblyScript, not TypeScript: its decorators and native types do not parse as TS.
      'engine/backends/wasm/kernels.as.ts',
      // Packages and documents people write with Flux, not Flux's own code.
      'library/',
      'examples/',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: nodeGlobals },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...nodeGlobals, module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // Before the house rules: eslint-config-prettier turns max-len off, and here it is wanted (see below).
  prettier,
  {
    rules: {
      // A function longer than a screen or two is a sign it does several things (issue 17: startDashboard
      // was a 400-line closure). IIFEs count, since a long one is the same closure under another name.
      'max-lines-per-function': ['error', { max: 120, skipBlankLines: true, skipComments: true, IIFEs: true }],
      // Prettier keeps code within 140 columns; this catches what it cannot break. Comments count.
      // Strings and template literals do not: Prettier cannot split them, and an error message or a
      // WGSL/HTML line kept whole stays searchable (`grep 'threads must be'` finds where it is thrown).
      'max-len': ['error', { code: 140, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true }],
      // Type-lie casts: `x as unknown as T` and `as never` tell the compiler a value is what it is not.
      // Use a real type, a generic, a type guard or `satisfies`. (@typescript-eslint/no-unsafe-type-assertion
      // would catch more but needs type information; see the top of this file.)
      'no-restricted-syntax': [
        'error',
        {
          selector: "TSAsExpression > TSAsExpression[typeAnnotation.type='TSUnknownKeyword']",
          message: '`as unknown as T` is a type-lie cast: use a real type, a generic, a type guard or `satisfies`.',
        },
        {
          selector: "TSAsExpression[typeAnnotation.type='TSNeverKeyword']",
          message: '`as never` is a type-lie cast: use a real type, a generic, a type guard or `satisfies`.',
        },
      ],
      // `_`-prefixed names are the convention for what a signature or a destructuring requires but the
      // code ignores (Express tells an error handler by its four parameters: `_next` must stay).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The engine runs in a page too (issue 21): Node's globals only behind globalThis (a guard that
    // reads `globalThis.process?.…`), and in Node's host. The worker scripts run in a page too. The
    // import rules catch Node's modules; this catches its globals.
    files: ['engine/**/*.ts'],
    ignores: ['**/*.test.ts', 'engine/platform/default-host.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        ...['process', 'Buffer', 'require', '__dirname', '__filename', 'setImmediate', 'clearImmediate'].map((name) => ({
          name,
          message: `${name} is Node's: a page has none (reach it through engine/platform/host.ts, or guard it as globalThis.${name})`,
        })),
      ],
    },
  },
  {
    // A describe block holds a suite's cases and is long by nature; the cases inside it are what should be short.
    files: ['**/*.test.ts', 'tests/**'],
    rules: { 'max-lines-per-function': 'off' },
  },
);
