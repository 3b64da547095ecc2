// ESLint flat config. TypeScript is linted with type information (the tsconfig's project service);
// plain JavaScript (scripts, the benchmark, config files) is linted without it.
import { defineConfig, globalIgnores } from "eslint/config";
import tseslint from "typescript-eslint";

/**
 * ESLint's own recommended rules, named here so the project needs no `@eslint/js` dependency.
 * typescript-eslint's configs switch off the ones the TypeScript compiler already enforces.
 */
const eslintRecommended = Object.fromEntries(
  [
    "constructor-super",
    "for-direction",
    "getter-return",
    "no-async-promise-executor",
    "no-case-declarations",
    "no-class-assign",
    "no-compare-neg-zero",
    "no-cond-assign",
    "no-const-assign",
    "no-constant-binary-expression",
    "no-constant-condition",
    "no-control-regex",
    "no-debugger",
    "no-delete-var",
    "no-dupe-args",
    "no-dupe-class-members",
    "no-dupe-else-if",
    "no-dupe-keys",
    "no-duplicate-case",
    "no-empty",
    "no-empty-character-class",
    "no-empty-pattern",
    "no-empty-static-block",
    "no-ex-assign",
    "no-extra-boolean-cast",
    "no-fallthrough",
    "no-func-assign",
    "no-global-assign",
    "no-import-assign",
    "no-invalid-regexp",
    "no-irregular-whitespace",
    "no-loss-of-precision",
    "no-misleading-character-class",
    "no-new-native-nonconstructor",
    "no-nonoctal-decimal-escape",
    "no-obj-calls",
    "no-octal",
    "no-prototype-builtins",
    "no-redeclare",
    "no-regex-spaces",
    "no-self-assign",
    "no-setter-return",
    "no-shadow-restricted-names",
    "no-sparse-arrays",
    "no-this-before-super",
    "no-unassigned-vars",
    "no-undef",
    "no-unexpected-multiline",
    "no-unreachable",
    "no-unsafe-finally",
    "no-unsafe-negation",
    "no-unsafe-optional-chaining",
    "no-unused-labels",
    "no-unused-private-class-members",
    "no-unused-vars",
    "no-useless-assignment",
    "no-useless-backreference",
    "no-useless-catch",
    "no-useless-escape",
    "no-with",
    "require-yield",
    "use-isnan",
    "valid-typeof",
  ].map((rule) => [rule, "error"]),
);

/** The globals a Node script may use (for `no-undef` in files without type information). */
const nodeGlobals = Object.fromEntries(
  [
    "AbortController",
    "AbortSignal",
    "Blob",
    "Buffer",
    "clearImmediate",
    "clearInterval",
    "clearTimeout",
    "console",
    "crypto",
    "fetch",
    "FormData",
    "Headers",
    "performance",
    "process",
    "queueMicrotask",
    "ReadableStream",
    "Request",
    "Response",
    "setImmediate",
    "setInterval",
    "setTimeout",
    "structuredClone",
    "TextDecoder",
    "TextEncoder",
    "TransformStream",
    "URL",
    "URLSearchParams",
    "WritableStream",
  ].map((name) => [name, "readonly"]),
);

const unusedVars = ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" }];

/**
 * TypeScript that runs in Node rather than in the Worker (the vitest config, end-to-end tests) lies
 * outside the Worker tsconfig (whose globals are the Worker runtime's): it is linted like JavaScript,
 * without type information.
 */
const nodeSideTypeScript = ["vitest.config.ts", "test/e2e/**/*.ts"];

export default defineConfig(
  globalIgnores([
    "worker-configuration.d.ts",
    "**/node_modules/",
    "**/.wrangler/",
    "dist/",
    "coverage/",
    "bench/results/",
    "bench/.tmp/",
  ]),

  {
    name: "faregate/all",
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      ...eslintRecommended,
      "no-unused-vars": unusedVars,
      eqeqeq: ["error", "smart"],
      "no-var": "error",
      "prefer-const": "error",
      // `import { z }` binds zod's whole namespace object (locales, JSON-schema tooling) into the
      // Worker bundle: 490 KB instead of 140 KB. `import * as z` lets esbuild keep only what is used.
      "no-restricted-syntax": [
        "error",
        {
          selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
          message: 'Use `import * as z from "zod"` so the bundle tree-shakes.',
        },
      ],
    },
  },

  {
    name: "faregate/typescript",
    files: ["**/*.ts"],
    ignores: nodeSideTypeScript,
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": unusedVars,
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
      "@typescript-eslint/switch-exhaustiveness-check": "error",
      // Rejecting with an opaque value (an AbortSignal's reason) is fine; literals are not. Same
      // defaults as only-throw-error.
      "@typescript-eslint/prefer-promise-reject-errors": [
        "error",
        { allowThrowingAny: true, allowThrowingUnknown: true },
      ],
      // `async` on a function without `await` is how an interface method turns a throw into a
      // rejection; the rule would push those into hand-written Promise.reject calls.
      "@typescript-eslint/require-await": "off",
    },
  },

  // The layers of docs/architecture.md: imports point down, never up. src/contract/ holds the words
  // every layer speaks and imports nothing of the project; provider families, the OpenAI <-> Anthropic
  // translation and policy are libraries the pipeline calls, never the other way round; the counting
  // Durable Objects share only the contract with the Worker.
  {
    name: "faregate/layers/contract",
    files: ["src/contract/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^\\.\\./",
              message: "src/contract/ imports nothing from the project: move the shared word into src/contract/.",
            },
          ],
        },
      ],
    },
  },
  {
    name: "faregate/layers/libraries",
    files: ["src/translate/**/*.ts", "src/providers/**/*.ts", "src/policy/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "(^|/)(pipeline|http)(/|$)",
              message:
                "translate/, providers/ and policy/ sit below the pipeline and the HTTP layer: pass what they need in, or move the shared type to src/contract/.",
            },
          ],
        },
      ],
    },
  },
  {
    name: "faregate/layers/durable-objects",
    files: ["durable-objects/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          patterns: [
            {
              regex: "^\\.\\./src/(?!contract/)",
              message: "The Durable Objects share only src/contract/ with the Worker.",
            },
          ],
        },
      ],
    },
  },

  {
    name: "faregate/javascript",
    files: ["**/*.{js,mjs,cjs}"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      ecmaVersion: "latest",
      sourceType: "module",
      globals: nodeGlobals,
    },
  },

  {
    name: "faregate/node-side-typescript",
    files: nodeSideTypeScript,
    extends: [tseslint.configs.recommended, tseslint.configs.disableTypeChecked],
    languageOptions: { globals: nodeGlobals },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": unusedVars,
    },
  },
);
