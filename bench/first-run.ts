// A newcomer's first minutes (issue #16): a fresh clone of this repository's
// HEAD to the sandbox's address printed by `npm run sandbox`, cold (no out/:
// it builds) and warm (built: the next start), and the size of what the
// dashboard's first paint loads. The install is excluded: the clone gets this
// checkout's node_modules by a symlink (what `npm install` would have made;
// CI's scripts/readme-first-run.js times the real install).
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { gzipSync } from 'node:zlib'
// The same pieces as the CI step, so the bench and the check start Baton alike.
import { checkAnswers, freshClone, startUntilUrl, stopGroup } from '../scripts/readme-first-run.js'

/** The targets. */
export const TARGETS = { coldS: 10, warmS: 2, firstBundleKb: 397 }

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
export const vsTarget = (value: string, target: string): string => `${value} (target ${target})`

/** What out/renderer/index.html loads before the first paint: its module script, the modules it preloads, its stylesheets. */
export function firstBundle(rendererDir: string): { files: string[]; rawBytes: number; gzipBytes: number } {
  const html = readFileSync(join(rendererDir, 'index.html'), 'utf8')
  const refs = [
    ...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g),
    ...html.matchAll(/<link[^>]*rel="(?:modulepreload|stylesheet)"[^>]*href="([^"]+)"/g)
  ].map((m) => m[1] as string)
  if (refs.length === 0) throw new Error(`${rendererDir}/index.html loads no script or stylesheet: is it built?`)
  let rawBytes = 0
  let gzipBytes = 0
  for (const ref of refs) {
    const bytes = readFileSync(join(rendererDir, ref))
    rawBytes += bytes.length
    gzipBytes += gzipSync(bytes).length
  }
  return { files: refs, rawBytes, gzipBytes }
}

export async function benchFirstRun(warmRuns = 3): Promise<Record<string, number | string>> {
  const repo = resolve('.')
  if (!existsSync(join(repo, 'node_modules'))) throw new Error('No node_modules here: run npm install first.')
  const work = mkdtempSync(join(tmpdir(), 'baton-bench-first-run-'))
  const clone = join(work, 'baton')
  const dataDir = join(work, 'data')
  const env = { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' }
  const command = `npm run sandbox -- --port 0 --data-dir "${dataDir}"`
  try {
    const commit = freshClone(repo, clone)
    symlinkSync(join(repo, 'node_modules'), join(clone, 'node_modules'))
    const start = async (): Promise<{ ms: number; output: string }> => {
      const server = await startUntilUrl(command, clone, env)
      try {
        await checkAnswers(server.url)
      } finally {
        await stopGroup(server.child)
      }
      return { ms: server.ms, output: server.output }
    }
    const cold = await start()
    if (!/Building Baton/.test(cold.output)) throw new Error(`The cold start did not build:\n${cold.output}`)
    const warm: number[] = []
    for (let i = 0; i < warmRuns; i++) {
      const run = await start()
      if (/Building Baton/.test(run.output)) throw new Error(`A warm start rebuilt:\n${run.output}`)
      warm.push(run.ms)
    }
    const buildLine = /Building Baton \([^)]*\)… done in ([\d.]+) s/.exec(cold.output)
    const bundle = firstBundle(join(clone, 'out', 'renderer'))
    const kb = (bytes: number): string => `${(bytes / 1000).toFixed(0)} kB`
    const entryScript = statSync(join(clone, 'out', 'renderer', bundle.files[0] as string)).size
    return {
      commit,
      'fresh clone → sandbox URL printed, cold (no out/)': vsTarget(`${(cold.ms / 1000).toFixed(1)} s`, `< ${TARGETS.coldS} s`),
      '  of which the build': `${buildLine?.[1] ?? '?'} s`,
      [`fresh clone → sandbox URL printed, warm, median of ${warmRuns}`]: vsTarget(`${(median(warm) / 1000).toFixed(2)} s`, `< ${TARGETS.warmS} s`),
      'first paint loads (JS + CSS), raw': vsTarget(kb(bundle.rawBytes), `≤ ${TARGETS.firstBundleKb} kB`),
      'first paint loads (JS + CSS), gzip': kb(bundle.gzipBytes),
      '  files': `${bundle.files.length} (entry script ${kb(entryScript)})`
    }
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
}

// `node --import tsx bench/first-run.ts` runs this one alone.
if (process.argv[1] && resolve(process.argv[1]) === resolve('bench/first-run.ts')) {
  const figures = await benchFirstRun()
  for (const [key, value] of Object.entries(figures)) console.log(`  ${key.padEnd(58)} ${value}`)
}
