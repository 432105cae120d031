import js from '@eslint/js'
import svelte from 'eslint-plugin-svelte'
import globals from 'globals'
import ts from 'typescript-eslint'

export default ts.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results/**', '.electron-native/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-empty-object-type': 'off'
    }
  },
  {
    files: ['src/renderer/**/*.svelte', 'src/renderer/**/*.ts', 'src/renderer/**/*.svelte.ts'],
    languageOptions: { globals: { ...globals.browser }, parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'] } }
  },
  {
    // The core stays free of Electron (DESIGN.md §1): only the desktop entry,
    // its desktop/ helpers and the preload may import it.
    files: ['src/main/**/*.ts', 'src/shared/**/*.ts', 'src/forge/**/*.ts', 'agents/**/*.ts'],
    ignores: ['src/main/index.ts', 'src/main/desktop/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The core never imports electron (DESIGN.md §1).' }] }]
    }
  },
  {
    files: ['src/renderer/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/main/**', 'electron', 'node:*'], message: 'The renderer talks to the core only through the API.' }] }
      ]
    }
  }
)
