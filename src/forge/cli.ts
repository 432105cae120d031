// `baton forge`: runs the forge standalone until SIGINT/SIGTERM. Seeded from a
// JSON file (--seed) or, by default, with the sandbox's content.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { createForge } from './forge'
import type { ForgeSeed } from './seed'
import { parseSeed, ForgeSeedError } from './seed'
import { sandboxSeed } from './sandbox'

export const FORGE_USAGE = `Usage: baton forge [--port N] [--data-dir DIR] [--seed FILE] [--admin-token TOKEN] [--rate-limit N]
  Runs the local GitHub-compatible forge on http://127.0.0.1:N (default 4747; 0 picks a free port).
  --data-dir  where its SQLite file and bare repositories live (default: a temporary folder, removed on exit);
              a folder from an earlier run keeps its state and the seed is not applied again.
  --seed      a JSON seed file (users, organizations, repositories with files, labels and issues);
              without it, the sandbox's content (baton-sandbox/calc).
Stops on Ctrl-C (SIGINT) or SIGTERM.`

export interface ForgeCliIo {
  /** Where lines go; default stdout. */
  write?: (line: string) => void
  /** Stops the forge when aborted (besides SIGINT/SIGTERM). */
  signal?: AbortSignal
}

export class ForgeCliError extends Error {}

export async function runForgeCli(argv: string[], io: ForgeCliIo = {}): Promise<void> {
  const write = io.write ?? ((line: string) => process.stdout.write(line + '\n'))
  let flags
  try {
    flags = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        seed: { type: 'string' },
        'admin-token': { type: 'string' },
        'rate-limit': { type: 'string' },
        help: { type: 'boolean', short: 'h' }
      },
      strict: true,
      allowPositionals: false
    }).values
  } catch (error) {
    throw new ForgeCliError(`baton forge: ${(error as Error).message}\n${FORGE_USAGE}`)
  }
  if (flags.help) return void write(FORGE_USAGE)
  const port = flags.port === undefined ? 4747 : Number(flags.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ForgeCliError(`baton forge: --port expects a number from 0 to 65535, got "${flags.port}".`)
  const rateLimit = flags['rate-limit'] === undefined ? undefined : Number(flags['rate-limit'])
  if (rateLimit !== undefined && (!Number.isInteger(rateLimit) || rateLimit < 1))
    throw new ForgeCliError(`baton forge: --rate-limit expects a positive whole number, got "${flags['rate-limit']}".`)

  let seed: ForgeSeed
  if (flags.seed) {
    const file = resolve(flags.seed)
    let json: unknown
    try {
      json = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new ForgeCliError(`baton forge: cannot read the seed ${file}: ${(error as Error).message}`)
    }
    try {
      seed = parseSeed(json, file)
    } catch (error) {
      if (error instanceof ForgeSeedError) throw new ForgeCliError(`baton forge: ${error.message}`)
      throw error
    }
  } else seed = sandboxSeed()

  const temporary = flags['data-dir'] === undefined
  const dataDir = temporary ? mkdtempSync(join(tmpdir(), 'baton-forge-')) : resolve(flags['data-dir']!)
  const forge = await createForge({ dataDir, port, seed, adminToken: flags['admin-token'], rateLimit })

  write(`Forge running at ${forge.url}`)
  write(`API base URL (Octokit baseUrl): ${forge.apiUrl}`)
  write(`Data folder: ${dataDir}${temporary ? ' (temporary, removed on exit)' : ''}`)
  write(`Admin token (for /_forge/*): ${forge.adminToken}`)
  for (const u of parseSeed(seed).users) if (u.token) write(`  ${u.login}: ${u.token}`)
  write('Press Ctrl-C to stop.')

  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      io.signal?.removeEventListener('abort', stop)
      done()
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
    if (io.signal?.aborted) stop()
    else io.signal?.addEventListener('abort', stop)
  })
  await forge.close()
  if (temporary) rmSync(dataDir, { recursive: true, force: true })
  write('Forge stopped.')
}
