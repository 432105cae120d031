// The sandbox (DESIGN.md §1): the core against the local forge with the sample
// repository and its seeded issues, and builtin agents. No account, no token
// and no model. The forge keeps its state in the data folder, so a restarted
// sandbox continues where it stopped.
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { createForge, type Forge } from '../forge/index'
import { SANDBOX_OWNER, SANDBOX_REPO, SANDBOX_TOKENS, sandboxSeed } from '../forge/sandbox/index'

export interface Sandbox {
  forge: Forge
  /** The repository to connect: owner/name. */
  repo: string
  /** The maintainer's token: Baton signs in as the sandbox's maintainer. */
  token: string
  close(): Promise<void>
}

export async function startSandbox(dataDir: string, options: { port?: number } = {}): Promise<Sandbox> {
  const folder = join(dataDir, 'sandbox-forge')
  const ready = join(folder, '.seeded')
  // A forge stopped while it was being seeded is half made: start it afresh.
  if (!existsSync(ready)) rmSync(folder, { recursive: true, force: true })
  const port = options.port ?? 0
  const forge = await createForge({ dataDir: folder, port, seed: sandboxSeed(), deviceFlowInterval: 1 }).catch((error: NodeJS.ErrnoException) => {
    // The port was asked for (--forge-port, or the one it had last time): say which, and what to do.
    if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
      throw new Error(`port ${port} on 127.0.0.1 is ${error.code === 'EADDRINUSE' ? 'in use' : 'not allowed'}: choose another with --forge-port N (0 picks a free one).`, { cause: error })
    }
    throw error
  })
  writeFileSync(ready, new Date().toISOString())
  return {
    forge,
    repo: `${SANDBOX_OWNER}/${SANDBOX_REPO}`,
    token: SANDBOX_TOKENS.maintainer,
    close: () => forge.close()
  }
}
