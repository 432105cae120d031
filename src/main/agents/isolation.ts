// The OS sandbox agents run in (DESIGN.md §9): code an agent runs — the
// repository's own tests above all — is untrusted, and no secret may be
// readable by it. The allow-listed environment (agent-env.ts) keeps tokens
// out of the agent's own environment; this keeps the rest out of its sight:
//   - a PID namespace of its own, with its own /proc: no other process is
//     visible, so neither main's environment and command line (a token given
//     as BATON_GITHUB_TOKEN is there for the life of the process: Linux keeps
//     the environment a process was started with) nor main's git children
//     (their credentials travel in their environment) can be read;
//   - the data folder replaced by an empty tmpfs, with only the agent's file
//     protocol folder (ipc/) and the workspaces bound back: the token file
//     (secrets/), the lock file (the headless URL and API token), the
//     database and the sandbox forge's data stay out of reach;
//   - the user's git configuration read-only, so an agent cannot plant a URL
//     rewrite or a helper there that main's authenticated git would pick up.
// bubblewrap (`bwrap`) does it without root on Linux. Where it is missing or
// refused, agents run unisolated and Settings says so, with what to install.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, relative, resolve, isAbsolute } from 'node:path'

export interface IsolationStatus {
  /** `bubblewrap`: PID namespace and a hidden data folder; `none`: agents run as plain child processes. */
  kind: 'bubblewrap' | 'none'
  /** In words, for Settings: what is in force, or why not and what to do. */
  detail: string
}

export interface Isolation extends IsolationStatus {
  /** The command that starts the runner inside the sandbox (the same command when there is none). */
  wrap(command: { execPath: string; args: string[] }): { execPath: string; args: string[] }
}

export interface IsolationOptions {
  dataDir: string
  /** Folders the agents need inside the data folder: the file protocol and the workspaces. */
  shared: string[]
  platform?: NodeJS.Platform
  /** bubblewrap's executable (default `bwrap` on PATH; BATON_BWRAP overrides). */
  bwrapPath?: string
  home?: string
  /** BATON_AGENT_ISOLATION=none turns it off (a person's choice, said in Settings). */
  env?: NodeJS.ProcessEnv
}

const INSTALL = 'Install bubblewrap (Debian and Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap) and restart Baton.'

function none(detail: string): Isolation {
  return { kind: 'none', detail, wrap: (command) => command }
}

/** Whether `inner` is `outer` or inside it. */
function within(inner: string, outer: string): boolean {
  const rel = relative(outer, inner)
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))
}

/** Looks once (a run of `bwrap … true`, a few ms) and answers what agents will run in. */
export function detectIsolation(o: IsolationOptions): Isolation {
  const env = o.env ?? process.env
  if (env.BATON_AGENT_ISOLATION === 'none') {
    return none('Agents are not isolated: BATON_AGENT_ISOLATION=none is set. Code they run (a repository\'s tests) can read this user\'s files and other processes.')
  }
  if ((o.platform ?? process.platform) !== 'linux') {
    return none(
      'Agents run as ordinary processes of this user: this platform has no sandbox Baton uses yet. Tokens stay out of their environment, but code they run (a repository\'s tests) can read this user\'s files and processes.'
    )
  }
  const dataDir = resolve(o.dataDir)
  const home = resolve(o.home ?? homedir())
  // Hiding the data folder must not hide the agents' own world: refuse a data folder that holds the home folder or the root.
  if (dataDir === '/' || within(home, dataDir)) {
    return none(`Agents are not isolated: the data folder ${dataDir} contains the home folder, so it cannot be hidden from them. Choose another data folder (--data-dir).`)
  }
  const bwrap = o.bwrapPath ?? env.BATON_BWRAP ?? 'bwrap'
  const probe = spawnSync(bwrap, ['--die-with-parent', '--unshare-pid', '--dev-bind', '/', '/', '--proc', '/proc', 'true'], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000 })
  if (probe.error) return none(`Agents are not isolated: bubblewrap (bwrap) was not found. Code they run (a repository's tests) can read this user's files and processes. ${INSTALL}`)
  if (probe.status !== 0) {
    const said = probe.stderr.toString('utf8').trim().split('\n').at(-1) ?? ''
    return none(`Agents are not isolated: bubblewrap could not make a sandbox here (${said || `exit ${probe.status}`}). Unprivileged user namespaces may be switched off on this machine.`)
  }
  const shared = o.shared.map((p) => resolve(p))
  for (const folder of shared) {
    if (!within(folder, dataDir)) throw new Error(`isolation: ${folder} is not inside the data folder ${dataDir}`)
  }
  const gitConfigs = [join(home, '.gitconfig'), join(home, '.config', 'git')]
  return {
    kind: 'bubblewrap',
    detail: `Agents run in a bubblewrap sandbox: their own process namespace (no other process is visible), the data folder hidden but for ${shared.map((p) => relative(dataDir, p)).join(' and ')}, git's user configuration read-only.`,
    wrap(command) {
      // A folder must exist to be bound back.
      for (const folder of shared) mkdirSync(folder, { recursive: true })
      const args = ['--die-with-parent', '--unshare-pid', '--dev-bind', '/', '/', '--proc', '/proc', '--tmpfs', dataDir]
      for (const folder of shared) args.push('--bind', folder, folder)
      for (const file of gitConfigs) if (existsSync(file)) args.push('--ro-bind', file, file)
      args.push('--', command.execPath, ...command.args)
      return { execPath: bwrap, args }
    }
  }
}
