// Role folders (DESIGN.md §6): agents/<role>/role.md holds the prompt with its
// guardrails, agents/<role>/role.yml its settings. A person adds a role by
// adding a folder; a broken folder is refused with a message that names the
// file and the field, and the other roles load regardless.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { z } from 'zod'

/** Role names become agent and file names; an `-<n>` suffix is kept for instances (engineer-2). */
const RoleName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,30}$/, 'lowercase letters, digits and dashes, starting with a letter')
  .refine((n) => !/-\d+$/.test(n), 'must not end in -<number> (that suffix names instances)')

/** A capability's name: what a stage's `capability:` and a role's `capabilities:` share. */
export const Capability = z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'a capability is lowercase letters, digits and dashes, starting with a letter (e.g. review)')

export const RoleSettings = z.strictObject({
  /** Shown in the dashboard. */
  description: z.string().default(''),
  /** Pipeline stages (labels) this role owns; side-lane roles own none. */
  stages: z.array(z.string().min(1)).default([]),
  /** builtin | claude-code | codex | command */
  provider: z.string().min(1).default('builtin'),
  model: z.string().min(1).optional(),
  /** Claude Code's --permission-mode (default acceptEdits for roles that edit). */
  permissionMode: z.enum(['default', 'acceptEdits', 'plan', 'bypassPermissions']).optional(),
  allowedTools: z.array(z.string().min(1)).optional(),
  /** The `command` provider's executable and arguments. */
  command: z.string().min(1).optional(),
  /** Time limit per task, seconds. */
  timeLimitSec: z.number().int().positive().max(24 * 3600).default(900),
  /** Processes of this role (engineer, engineer-2, …): also its concurrency bound. */
  instances: z.number().int().min(0).max(20).default(1),
  /** A response larger than this becomes an ERROR. */
  maxOutputBytes: z.number().int().positive().max(50 * 1024 * 1024).default(256 * 1024),
  /**
   * What the role can do (`review`, `python`, `security`, …): each instance
   * advertises them with its heartbeat, and a pipeline stage may be owned by a
   * capability instead of a role (DESIGN.md §4).
   */
  capabilities: z.array(Capability).max(20).default([]),
  /** Among capable free instances, the higher priority is asked first (`route: any`); ties go by name. */
  priority: z.number().int().min(-100).max(100).default(0)
})
export type RoleSettings = z.infer<typeof RoleSettings>

export interface Role {
  name: string
  folder: string
  /** role.md: the prompt with its guardrails. */
  prompt: string
  settings: RoleSettings
}

export class RoleError extends Error {
  constructor(
    readonly file: string,
    readonly field: string | null,
    readonly reason: string
  ) {
    super(`${file}${field ? `: field "${field}"` : ''}: ${reason}`)
    this.name = 'RoleError'
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing'
  const text = JSON.stringify(value)
  return text && text.length > 60 ? `${text.slice(0, 57)}...` : (text ?? String(value))
}

/** Loads one role folder; throws a RoleError naming the file and the field. */
export function loadRole(folder: string, base = resolve(folder, '..')): Role {
  const dir = resolve(folder)
  const name = dir.split(/[\\/]/).pop() as string
  const shown = (file: string) => relative(resolve(base, '..'), join(dir, file)) || file
  const nameCheck = RoleName.safeParse(name)
  if (!nameCheck.success) throw new RoleError(shown(''), null, `folder name "${name}" ${nameCheck.error.issues[0]?.message}`)

  const mdFile = join(dir, 'role.md')
  if (!existsSync(mdFile)) throw new RoleError(shown('role.md'), null, 'missing: every role needs its prompt')
  const prompt = readFileSync(mdFile, 'utf8').trim()
  if (!prompt) throw new RoleError(shown('role.md'), null, 'empty: write the role prompt with its scope, outputs and what to escalate')

  const ymlFile = join(dir, 'role.yml')
  if (!existsSync(ymlFile)) throw new RoleError(shown('role.yml'), null, 'missing: every role needs its settings')
  let raw: unknown
  try {
    raw = parseYaml(readFileSync(ymlFile, 'utf8')) ?? {}
  } catch (error) {
    throw new RoleError(shown('role.yml'), null, `not valid YAML: ${(error as Error).message.split('\n')[0]}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new RoleError(shown('role.yml'), null, 'must be a mapping of settings')
  const parsed = RoleSettings.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    if (issue.code === 'unrecognized_keys') throw new RoleError(shown('role.yml'), issue.keys[0] ?? null, `unknown setting (known: ${Object.keys(RoleSettings.shape).join(', ')})`)
    const field = issue.path.join('.')
    const got = issue.path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k as PropertyKey], raw)
    const message = issue.message.replace(/^Invalid (input|option): /, '').replace(/, received \w+$/, '')
    throw new RoleError(shown('role.yml'), field || null, `${message}, got ${describe(got)}`)
  }
  if (parsed.data.provider === 'command' && !parsed.data.command) throw new RoleError(shown('role.yml'), 'command', 'the command provider needs a command to run')
  return { name, folder: dir, prompt, settings: parsed.data }
}

/**
 * Every role folder under `agentsDir` (folders with a role.md or role.yml;
 * others, such as shared code, are not roles). Broken folders are refused,
 * each with its reason; the rest load.
 */
export function loadRoles(agentsDir: string): { roles: Role[]; refused: RoleError[] } {
  const base = resolve(agentsDir)
  const roles: Role[] = []
  const refused: RoleError[] = []
  const names = readdirSync(base)
    .filter((n) => !n.startsWith('.') && !n.startsWith('_'))
    .sort()
  for (const name of names) {
    const dir = join(base, name)
    if (!statSync(dir).isDirectory()) continue
    if (!existsSync(join(dir, 'role.md')) && !existsSync(join(dir, 'role.yml'))) continue
    try {
      roles.push(loadRole(dir, base))
    } catch (error) {
      if (error instanceof RoleError) refused.push(error)
      else refused.push(new RoleError(name, null, (error as Error).message))
    }
  }
  return { roles, refused }
}

/** Instance names of a role: engineer, engineer-2, engineer-3 … */
export function instanceNames(role: Pick<Role, 'name' | 'settings'>): string[] {
  return Array.from({ length: role.settings.instances }, (_, i) => (i === 0 ? role.name : `${role.name}-${i + 1}`))
}
