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
  const forge = await createForge({ dataDir: folder, port: options.port ?? 0, seed: sandboxSeed(), deviceFlowInterval: 1 })
  writeFileSync(ready, new Date().toISOString())
  return {
    forge,
    repo: `${SANDBOX_OWNER}/${SANDBOX_REPO}`,
    token: SANDBOX_TOKENS.maintainer,
    close: () => forge.close()
  }
}
