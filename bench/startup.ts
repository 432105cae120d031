// Headless mode: cold start to the first dashboard paint in Chromium, and the
// core's resident memory at idle. Targets: first paint < 1.0 s (issue #16), idle < 120 MB.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium } from 'playwright-core'
import { chromiumArgs, chromiumPath } from './chromium'

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return Math.round((kb / 1024) * 10) / 10
}

export async function benchStartup(runs = 5): Promise<Record<string, number | string>> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs })
  const paints: number[] = []
  const ready: number[] = []
  let idle = 0
  try {
    for (let i = 0; i < runs; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'baton-bench-'))
      const page = await browser.newPage()
      const t0 = performance.now()
      const child = spawn(process.execPath, ['bin/baton.js', 'serve', '--port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] })
      const url = await new Promise<string>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (c) => {
          out += c
          const m = /Open: (\S+)/.exec(out)
          if (m?.[1]) resolve(m[1])
        })
        child.once('exit', (code) => reject(new Error(`baton exited ${code}`)))
      })
      ready.push(performance.now() - t0)
      await page.goto(url)
      await page.getByRole('heading', { level: 1, name: 'Pipeline' }).waitFor()
      await page.evaluate('new Promise((r) => requestAnimationFrame(() => r(null)))')
      paints.push(performance.now() - t0)
      if (i === runs - 1) {
        await new Promise((r) => setTimeout(r, 5000))
        idle = rssMb(child.pid as number)
      }
      await page.close()
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
      rmSync(dataDir, { recursive: true, force: true })
    }
  } finally {
    await browser.close()
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`
  return {
    'server ready (Open: printed), median': s(median(ready)),
    [`cold start → first dashboard paint, median of ${runs}`]: `${s(median(paints))} (target < 1.0 s)`,
    'cold start → first dashboard paint, worst': s(Math.max(...paints)),
    'core RSS at idle after 5 s': `${idle} MB (target < 120 MB)`
  }
}
