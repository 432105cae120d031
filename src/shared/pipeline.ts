// The default pipeline (DESIGN.md §4): stages as labels, each owned by one role.
import { z } from 'zod'

export interface StageDef {
  label: string
  owner: string | null
  title: string
  description: string
  color: string
  next: string[]
  /** Owned by a capability instead of a role (owner is then null): any instance whose heartbeat advertises it. */
  capability?: string
  /** `any`: the first free capable online instance, by priority; `all`: fan-out, one child task per capable online instance. */
  route?: 'any' | 'all'
  /** `route: all`: the join that turns the children's answers into one (pipeline/fanout.ts; default `default`). */
  join?: string
  /** Where a capability stage's tasks work: `pr` a worktree per task at the PR's head, `default` at the default branch, `none`. */
  workspace?: 'pr' | 'default' | 'none'
  /** A review join's stage to send the issue back to on a consensus critical finding (the review join's; default the Engineer's). */
  onCritical?: string
}

export const DEFAULT_STAGES: readonly StageDef[] = [
  { label: 'backlog', owner: 'pm', title: 'Backlog', description: 'PM triages: type, priority, acceptance criteria', color: 'ededed', next: ['needs-architecture'] },
  { label: 'needs-architecture', owner: 'architect', title: 'Architecture', description: 'Architect plans: files, approach, risks, test plan', color: 'c5def5', next: ['ready-for-dev'] },
  { label: 'ready-for-dev', owner: 'engineer', title: 'Ready for dev', description: 'Engineer claims the issue', color: 'bfdadc', next: ['in-progress'] },
  { label: 'in-progress', owner: 'engineer', title: 'In progress', description: 'Engineer branches, commits and pushes', color: 'fbca04', next: ['needs-testing'] },
  { label: 'needs-testing', owner: 'tester', title: 'Testing', description: 'Tester runs the tests on the PR', color: 'd4c5f9', next: ['needs-review', 'ready-for-dev'] },
  { label: 'needs-review', owner: null, title: 'Review', description: 'A person reviews and merges the PR', color: '0e8a16', next: ['done', 'ready-for-dev'] },
  { label: 'done', owner: null, title: 'Done', description: 'Merged and closed', color: '5319e7', next: [] }
]

// ── A pipeline as a person writes it: `.baton/pipeline.yml`, or the Settings screen ──


export const StageLabel = z.string().regex(/^[a-z0-9][a-z0-9:._-]{0,49}$/, 'a stage is a label: lowercase letters, digits and : . _ - (at most 50)')

export const StageSpec = z
  .object({
    label: StageLabel,
    owner: z.string().regex(/^[a-z][a-z0-9-]*$/, 'an owner is a role name (lowercase letters, digits and dashes) or null for a person').nullable().default(null),
    title: z.string().min(1).max(60).optional(),
    description: z.string().max(200).default(''),
    // YAML reads an unquoted 5319e7 or 123456 as a number: say so.
    color: z
      .string({ error: 'a colour is six hex digits in quotes, like "0e8a16" (unquoted, YAML may read it as a number)' })
      .regex(/^[0-9a-fA-F]{6}$/, 'a colour is six hex digits, like 0e8a16')
      .default('ededed'),
    next: z.array(StageLabel).default([]),
    capability: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'a capability is lowercase letters, digits and dashes, starting with a letter (e.g. review)').optional(),
    route: z.enum(['any', 'all'], { error: 'route is "any" (the first free capable agent) or "all" (one task per capable agent)' }).optional(),
    join: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, 'a join is named in lowercase letters, digits and dashes (e.g. review)').optional(),
    workspace: z.enum(['pr', 'default', 'none'], { error: 'workspace is "pr" (the PR head), "default" (the default branch) or "none"' }).optional(),
    onCritical: StageLabel.optional()
  })
  .strict()

/** The file's (and the API's) shape; cross-field rules (unique labels, moves, owners) are checked by `checkPipeline`. */
export const PipelineSpec = z
  .object({
    stages: z.array(StageSpec).min(2, 'a pipeline needs at least two stages').max(30, 'a pipeline has at most 30 stages'),
    entry: StageLabel.optional(),
    done: StageLabel.optional()
  })
  .strict()
export type PipelineSpec = z.input<typeof PipelineSpec>

/** Where a repository's pipeline comes from, strongest first. */
export type PipelineSource = 'file' | 'settings-repo' | 'settings-global' | 'default'
