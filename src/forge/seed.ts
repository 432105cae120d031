// The seed format: users, organizations and repositories (with their files,
// labels, collaborators and issues) that a forge starts with. Validated with
// zod so a bad fixture fails with a message naming the field.
import { z } from 'zod'

export const permissionLevels = ['admin', 'maintain', 'write', 'triage', 'read', 'none'] as const
export type Permission = (typeof permissionLevels)[number]

const login = z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'a GitHub login: letters, digits and hyphens')
const repoName = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, 'a repository name: letters, digits, ".", "_" and "-"')

const seedUser = z.object({
  login,
  name: z.string().optional(),
  email: z.string().optional(),
  /** The user's personal access token. Omit for a user that never calls the API. */
  token: z.string().min(1).optional(),
  scopes: z.array(z.string()).default(['repo']),
  /** This token's rate-limit budget per hour; the forge's default when omitted. */
  rateLimit: z.number().int().positive().optional(),
  siteAdmin: z.boolean().default(false)
})

const seedOrganization = z.object({
  login,
  name: z.string().optional(),
  members: z.array(login).default([])
})

const seedComment = z.object({
  author: login,
  body: z.string()
})

const seedIssue = z.object({
  title: z.string().min(1),
  body: z.string().default(''),
  author: login,
  labels: z.array(z.string()).default([]),
  assignees: z.array(login).default([]),
  state: z.enum(['open', 'closed']).default('open'),
  comments: z.array(seedComment).default([])
})

const seedLabel = z.object({
  name: z.string().min(1),
  color: z.string().regex(/^[0-9a-fA-F]{6}$/, 'six hex digits without "#"').default('ededed'),
  description: z.string().nullable().default(null)
})

const seedRepository = z.object({
  owner: login,
  name: repoName,
  description: z.string().nullable().default(null),
  private: z.boolean().default(false),
  archived: z.boolean().default(false),
  defaultBranch: z.string().min(1).default('main'),
  /** path → content, committed as the initial commit of the default branch. */
  files: z.record(z.string(), z.string()).default({}),
  labels: z.array(seedLabel).default([]),
  /** login → permission on this repository. */
  collaborators: z.record(login, z.enum(permissionLevels)).default({}),
  issues: z.array(seedIssue).default([])
})

export const forgeSeedSchema = z.object({
  users: z.array(seedUser).default([]),
  organizations: z.array(seedOrganization).default([]),
  repositories: z.array(seedRepository).default([])
})

/** What a caller writes (defaults may be left out). */
export type ForgeSeed = z.input<typeof forgeSeedSchema>
/** A seed after validation, with defaults filled in. */
export type ParsedSeed = z.output<typeof forgeSeedSchema>
export type SeedRepository = z.output<typeof seedRepository>
export type SeedIssue = z.output<typeof seedIssue>

export class ForgeSeedError extends Error {
  constructor(message: string, readonly source?: string) {
    super(message)
    this.name = 'ForgeSeedError'
  }
}

function pathText(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part)
  return out || '(root)'
}

/** Validates a seed; throws a ForgeSeedError naming each bad field. */
export function parseSeed(input: unknown, source?: string): ParsedSeed {
  const result = forgeSeedSchema.safeParse(input)
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `${pathText(issue.path)}: ${issue.message}`)
    throw new ForgeSeedError(`Invalid forge seed${source ? ` in ${source}` : ''}: ${lines.join('; ')}`, source)
  }
  const seed = result.data
  checkReferences(seed, source)
  return seed
}

// zod checks shapes; these are the cross-references it cannot see.
function checkReferences(seed: ParsedSeed, source?: string): void {
  const problems: string[] = []
  const accounts = new Set<string>()
  seed.users.forEach((u, i) => {
    const key = u.login.toLowerCase()
    if (accounts.has(key)) problems.push(`users[${i}].login: "${u.login}" appears twice`)
    accounts.add(key)
  })
  seed.organizations.forEach((o, i) => {
    const key = o.login.toLowerCase()
    if (accounts.has(key)) problems.push(`organizations[${i}].login: "${o.login}" is already a user or organization`)
    accounts.add(key)
    o.members.forEach((m, j) => {
      if (!seed.users.some((u) => u.login.toLowerCase() === m.toLowerCase()))
        problems.push(`organizations[${i}].members[${j}]: no user "${m}"`)
    })
  })
  const users = new Set(seed.users.map((u) => u.login.toLowerCase()))
  const repos = new Set<string>()
  seed.repositories.forEach((r, i) => {
    const full = `${r.owner}/${r.name}`.toLowerCase()
    if (repos.has(full)) problems.push(`repositories[${i}]: "${r.owner}/${r.name}" appears twice`)
    repos.add(full)
    for (const who of Object.keys(r.collaborators))
      if (!users.has(who.toLowerCase())) problems.push(`repositories[${i}].collaborators.${who}: no user "${who}"`)
    r.issues.forEach((issue, j) => {
      if (!users.has(issue.author.toLowerCase())) problems.push(`repositories[${i}].issues[${j}].author: no user "${issue.author}"`)
      issue.comments.forEach((c, k) => {
        if (!users.has(c.author.toLowerCase()))
          problems.push(`repositories[${i}].issues[${j}].comments[${k}].author: no user "${c.author}"`)
      })
      issue.assignees.forEach((a, k) => {
        if (!users.has(a.toLowerCase())) problems.push(`repositories[${i}].issues[${j}].assignees[${k}]: no user "${a}"`)
      })
    })
    for (const path of Object.keys(r.files))
      if (path.startsWith('/') || path.split('/').some((p) => p === '..' || p === '' || p === '.git'))
        problems.push(`repositories[${i}].files["${path}"]: a relative path inside the repository`)
  })
  if (problems.length) throw new ForgeSeedError(`Invalid forge seed${source ? ` in ${source}` : ''}: ${problems.join('; ')}`, source)
}
