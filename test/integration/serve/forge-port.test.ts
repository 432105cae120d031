// baton serve --sandbox --forge-port N (issue #16): the built CLI as `npm run
// sandbox --` runs it (bin/baton.js → out/main/cli.js; `npx electron-vite build`
// or `node scripts/build-if-stale.js` makes it), in real child processes.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeAll, expect, it } from 'vitest'
import { SANDBOX_OWNER, SANDBOX_REPO, SANDBOX_TOKENS } from '../../../src/forge/sandbox/index'

const baton = (args: string[]) => spawnSync(process.execPath, ['bin/baton.js', ...args], { encoding: 'utf8', timeout: 30_000 })

beforeAll(() => {
  if (!existsSync('out/main/cli.js')) throw new Error('The built CLI is missing: run npx electron-vite build first.')
})

/** A port nobody listens on now, and a server holding one. */
async function listening(): Promise<Server> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return server
}
const portOf = (server: Server) => (server.address() as { port: number }).port
async function freePort(): Promise<number> {
  const server = await listening()
  const port = portOf(server)
  await new Promise((resolve) => server.close(resolve))
  return port
}

const children: Array<ReturnType<typeof spawn>> = []
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGTERM')
})

it('--forge-port puts the sandbox forge on that port, prints it beside Baton\'s address, and the URL comes last', async () => {
  const forgePort = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'baton-forge-port-'))
  const child = spawn(process.execPath, ['bin/baton.js', 'serve', '--sandbox', '--forge-port', String(forgePort), '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe']
  })
  children.push(child)
  const out = await new Promise<string>((resolve, reject) => {
    let text = ''
    let err = ''
    child.stdout!.on('data', (chunk) => {
      text += chunk
      if (/Open: \S+\n/.test(text)) resolve(text)
    })
    child.stderr!.on('data', (chunk) => (err += chunk))
    child.once('exit', (code) => reject(new Error(`baton serve exited ${code}: ${err}`)))
  })
  expect(out).toContain(`Forge (the sandbox's GitHub): http://127.0.0.1:${forgePort} — API http://127.0.0.1:${forgePort}/api/v3`)
  const lines = out.trimEnd().split('\n')
  expect(lines.at(-1)).toMatch(/^Open: http:\/\/127\.0\.0\.1:\d+\/\?token=\S+$/)
  expect(lines.at(-2)).toMatch(/^Forge /)

  // The forge answers there, as GitHub would, with the sandbox's repository.
  const repo = await fetch(`http://127.0.0.1:${forgePort}/api/v3/repos/${SANDBOX_OWNER}/${SANDBOX_REPO}`, {
    headers: { authorization: `token ${SANDBOX_TOKENS.maintainer}` }
  })
  expect(repo.status).toBe(200)
  expect(((await repo.json()) as { full_name: string }).full_name).toBe(`${SANDBOX_OWNER}/${SANDBOX_REPO}`)
  // And Baton's own address answers too, with its token.
  const url = new URL(lines.at(-1)!.slice('Open: '.length))
  const status = await fetch(new URL('/api/app.status', url), {
    method: 'POST',
    headers: { authorization: `Bearer ${url.searchParams.get('token')}`, 'content-type': 'application/json' },
    body: '{}'
  })
  expect(status.status).toBe(200)
})

it('a bad --forge-port is named before the data folder is touched', () => {
  const parent = mkdtempSync(join(tmpdir(), 'baton-forge-port-'))
  for (const value of ['70000', 'abc', '-1', '1.5', '']) {
    const dataDir = join(parent, `data-${value || 'empty'}`)
    const run = baton(['serve', '--sandbox', `--forge-port=${value}`, '--port', '0', '--data-dir', dataDir])
    expect(run.status).toBe(2)
    expect(run.stderr).toContain(`--forge-port expects a number from 0 to 65535, got "${value}"`)
    expect(existsSync(dataDir)).toBe(false)
  }
  const dataDir = join(parent, 'no-sandbox')
  const run = baton(['serve', '--forge-port', '5000', '--port', '0', '--data-dir', dataDir])
  expect(run.status).toBe(2)
  expect(run.stderr).toContain('--forge-port is the sandbox\'s forge: add --sandbox')
  expect(existsSync(dataDir)).toBe(false)
})

it('a --forge-port someone else holds is said so, and Baton does not quietly take another', async () => {
  const holder = await listening()
  try {
    const taken = portOf(holder)
    const dataDir = mkdtempSync(join(tmpdir(), 'baton-forge-port-'))
    const run = baton(['serve', '--sandbox', '--forge-port', String(taken), '--port', '0', '--data-dir', dataDir])
    expect(run.status).toBe(1)
    expect(run.stderr).toContain(`The sandbox could not start its local GitHub: port ${taken} on 127.0.0.1 is in use: choose another with --forge-port N`)
    expect(run.stdout).not.toContain('Open: ')
  } finally {
    await new Promise((resolve) => holder.close(resolve))
  }
})
