// The sandbox (DESIGN.md §1): the core against the local forge with the sample
// repository and its seeded issues, and builtin agents. No account, no token
// and no model. The forge keeps its state in the data folder, so a restarted
// sandbox continues where it stopped.
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
  const forge = await createForge({ dataDir: join(dataDir, 'sandbox-forge'), port: options.port ?? 0, seed: sandboxSeed(), deviceFlowInterval: 1 })
  return {
    forge,
    repo: `${SANDBOX_OWNER}/${SANDBOX_REPO}`,
    token: SANDBOX_TOKENS.maintainer,
    close: () => forge.close()
  }
}
