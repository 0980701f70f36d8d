// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

/**
 * The seam of issue 18 (docs/architecture.md, ADR 0017): the registry core (services/, db/, cda/, crypto/, jobs/ and
 * domain/) speaks the project's own types; FHIR is read and written by its adapter only. The FHIR adapter is
 * http/fhir/ — its routes, the readers of the Patient, the Consent, the profile's entries and the PDSm
 * DocumentReference, the writer of the DocumentReference, the mappings — and the FHIR R4 schema validation
 * (validation/fhir-schema.ts). domain/ imports nothing of http/ nor validation/ (the rule below), the core nothing of
 * either (the import-x rule after it), and no other surface — the SOAP API, the portals, auth, admin — nor the HTTP
 * files they share imports the FHIR adapter (the last import-x rule).
 */
const SERVER = './apps/server/src';
const FHIR_ADAPTER_FOLDERS = [`${SERVER}/http/**`];
const FHIR_ADAPTER_FILES = [`${SERVER}/validation/fhir-schema.ts`];
const CORE = ['services', 'db', 'cda', 'crypto', 'jobs'].map((d) => `${SERVER}/${d}/**`);
/** The surfaces besides the FHIR API and the SOAP API, and what every surface shares of HTTP (http/*.ts). */
const OTHER_SURFACES = ['portal', 'auth', 'admin']
  .map((d) => `${SERVER}/http/${d}/**`)
  .concat([`${SERVER}/http/*.ts`]);
const SEAM_MESSAGE =
  'services/, db/ and domain/ are the registry core: FHIR is read and written in its adapter (http/fhir/), which calls the core with its own types (issue 18).';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'data/**',
      '**/data/**',
      'apps/server/reference/**',
      '**/*.js',
      'apps/*/public/**',
      'test-results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unnecessary-condition': 'off',
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-non-null-assertion': 'error',
      eqeqeq: 'error',
      curly: ['error', 'all'],
    },
  },
  {
    files: ['apps/server/src/domain/**/*.ts'],
    ignores: ['apps/server/src/domain/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['pg', 'postgres', 'fastify', 'jose', 'node:*', 'libxml2-wasm', 'ajv'],
              message: 'domain/ is pure',
            },
            {
              group: [
                '**/db/**',
                '**/http/**',
                '**/services/**',
                '**/validation/**',
                '**/reference/**',
              ],
              message: 'domain/ depends on nothing',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/server/src/http/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/db/*.repository.ts', '**/db/client.ts'],
              message: 'go through services/',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // No import cycles anywhere in the server (a cycle is a layer that depends on itself).
    files: ['apps/server/src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [importX.createNodeResolver()],
      'import-x/extensions': ['.ts', '.tsx', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // The core imports nothing of the FHIR adapter, no exception: the encoders of stored entries and Lists and the
    // reading of the former FHIR truth (migration 0080's step) are the adapter's, handed to the core (deps.encodings).
    files: CORE.map((glob) => `${glob.slice(2)}/*.ts`),
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          // Two zones: the rule wants each `from` list all globs or all paths.
          zones: [FHIR_ADAPTER_FOLDERS, FHIR_ADAPTER_FILES].map((from) => ({
            target: CORE,
            from,
            message: SEAM_MESSAGE,
          })),
        },
      ],
    },
  },
  {
    // The FHIR adapter is one surface's: the other surfaces import nothing of it, both of its folder and of the FHIR
    // schema. The SOAP adapter (http/xds/, xds/) is a second adapter, not a branch of the first; the portals
    // (http/portal/), auth (http/auth/) and admin (http/admin/) read their own requests; what the surfaces share of
    // HTTP (the files of http/ itself: actor, error mapping, query parameters, answer buffers…) is outside every
    // adapter. All of them call the core with its own types.
    files: ['apps/server/src/http/**/*.ts', 'apps/server/src/xds/**/*.ts'],
    ignores: ['apps/server/src/http/fhir/**'],
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          basePath: import.meta.dirname,
          // Each `from` list all globs or all paths (the rule wants one or the other).
          zones: [[`${SERVER}/http/fhir/**`], FHIR_ADAPTER_FILES].flatMap((from) => [
            {
              target: [`${SERVER}/http/xds/**`, `${SERVER}/xds/**`],
              from,
              message:
                'the SOAP adapter (http/xds/, xds/) imports nothing of the FHIR adapter: both call the registry core with its own types (issue 18).',
            },
            {
              target: OTHER_SURFACES,
              from,
              message:
                'the portals, auth, admin and the HTTP files the surfaces share import nothing of the FHIR adapter (http/fhir/, the FHIR schema): they read their own requests and call the registry core with its own types (issue 18).',
            },
          ]),
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'apps/server/test/**/*.ts', 'apps/server/bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-confusing-void-expression': 'off',
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
    },
  },
);
