import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

// Three bundles. The main bundle has several entries: the desktop entry
// (the only one that imports electron), the CLI / headless server, and the
// agent runner that every agent child process executes.
const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }
const define = { __BATON_VERSION__: JSON.stringify(version) }

const mainEntries: Record<string, string> = {
  index: resolve('src/main/index.ts'),
  cli: resolve('src/main/cli.ts')
}
if (existsSync('agents/runner.ts')) mainEntries.runner = resolve('agents/runner.ts')

export default defineConfig({
  main: {
    define,
    build: {
      rollupOptions: { input: mainEntries }
    }
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve('src/preload/index.ts') },
        // A sandboxed preload must be one CommonJS file (DESIGN.md §9).
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false }
      }
    }
  },
  renderer: {
    define,
    root: resolve('src/renderer'),
    build: {
      // electron-vite leaves bundles unminified; the first paint parses this
      // one, and minified it is a third of the size (issue #16).
      minify: true,
      rollupOptions: { input: { index: resolve('src/renderer/index.html') } }
    },
    plugins: [svelte({ configFile: false })]
  }
})
