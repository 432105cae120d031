// Where each repository's pipeline comes from (DESIGN.md §4), strongest first:
//   1. the repository's `.baton/pipeline.yml` on its default branch (the last
//      good version when the current one is broken: nothing is lost),
//   2. a custom pipeline set in Settings for that repository,
//   3. a custom pipeline set in Settings for every repository,
//   4. the default.
// The file is fetched by the GitHub side (github/pipeline-file.ts) and its
// state kept in `sync_state` (key `pipeline-file`); the Settings pipelines in
// the `settings` table (key `pipelines`). Both are checked with the same rules
// (definition.ts#checkPipeline), owners against the roles that exist.
import type { PipelineSource, PipelineSpec } from '../../shared/pipeline'
import type { AppError } from '../../shared/errors'
import type { Logger } from '../log'
import type { Db } from '../store/open'
import { checkPipeline, defaultPipeline, type Pipeline } from './definition'

export const PIPELINE_FILE = '.baton/pipeline.yml'
const FILE_KEY = 'pipeline-file'
const SETTINGS_KEY = 'pipelines'

/** What Baton knows of a repository's pipeline file. */
export interface PipelineFileState {
  /** The default branch's head when the file was last read. */
  head: string | null
  /** ETag of the branch answer (a 304 costs no rate limit). */
  etag: string | null
  present: boolean
  /** Blob sha of the file read last. */
  sha: string | null
  /** The last good pipeline from the file (kept while the file is broken). */
  pipeline: Pipeline | null
  /** Why the current file is refused, naming the file and the field. */
  error: string | null
  checkedAt: string | null
}

interface StoredPipelines {
  global: PipelineSpec | null
  repos: Record<string, PipelineSpec>
}

export interface Resolved {
  pipeline: Pipeline
  source: PipelineSource
}

/** The precedence, pure: the file's pipeline, then the repository's, then everyone's custom one, then the default. */
export function resolvePipeline(candidates: { file: Pipeline | null; repo: Pipeline | null; global: Pipeline | null }): Resolved {
  if (candidates.file) return { pipeline: candidates.file, source: 'file' }
  if (candidates.repo) return { pipeline: candidates.repo, source: 'settings-repo' }
  if (candidates.global) return { pipeline: candidates.global, source: 'settings-global' }
  return { pipeline: defaultPipeline, source: 'default' }
}

/** Back to the shape a person writes (for the Settings screen and storage). */
export function toSpec(pipeline: Pipeline): PipelineSpec {
  return {
    stages: pipeline.stages.map((s) => ({
      label: s.label,
      owner: s.owner,
      title: s.title,
      description: s.description,
      color: s.color,
      next: [...s.next],
      // A capability stage's routing survives storage (the file's last good pipeline is kept as a spec).
      ...(s.capability ? { capability: s.capability } : {}),
      ...(s.route ? { route: s.route } : {}),
      ...(s.join ? { join: s.join } : {}),
      ...(s.workspace ? { workspace: s.workspace } : {}),
      ...(s.onCritical ? { onCritical: s.onCritical } : {})
    })),
    entry: pipeline.entry,
    done: pipeline.done
  }
}

export interface PipelinesOptions {
  db: Db
  /** Role names that exist (stage owners must name one). */
  roles: () => readonly string[]
  log?: Logger
}

export class Pipelines {
  private readonly cache = new Map<number, Resolved>()

  constructor(private readonly o: PipelinesOptions) {}

  /** The pipeline the engine, the scheduler and the board use for a repository. */
  forRepo(repoId: number): Pipeline {
    return this.resolve(repoId).pipeline
  }

  resolve(repoId: number): Resolved {
    const hit = this.cache.get(repoId)
    if (hit) return hit
    const stored = this.stored()
    const file = this.fileState(repoId)?.pipeline ?? null
    const resolved = resolvePipeline({
      file: file && this.stillValid(file, PIPELINE_FILE),
      repo: this.checked(stored.repos[String(repoId)], `Settings pipeline for repository ${repoId}`),
      global: this.checked(stored.global, 'Settings pipeline')
    })
    this.cache.set(repoId, resolved)
    return resolved
  }

  /** The custom pipeline set in Settings for one repository (repoId) or all (null), as written. */
  custom(repoId: number | null): PipelineSpec | null {
    const stored = this.stored()
    return (repoId === null ? stored.global : stored.repos[String(repoId)]) ?? null
  }

  /** Checks and keeps (or with null, forgets) a custom pipeline; throws an AppError naming the field. */
  setCustom(repoId: number | null, spec: PipelineSpec | null): Pipeline | null {
    const source = repoId === null ? 'pipeline' : `pipeline for repository ${repoId}`
    const pipeline = spec ? checkPipeline(spec, source, this.o.roles()) : null
    const stored = this.stored()
    if (repoId === null) stored.global = pipeline ? toSpec(pipeline) : null
    else if (pipeline) stored.repos[String(repoId)] = toSpec(pipeline)
    else delete stored.repos[String(repoId)]
    this.o.db
      .prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
      .run(SETTINGS_KEY, JSON.stringify(stored))
    this.cache.clear()
    return pipeline
  }

  fileState(repoId: number): PipelineFileState | null {
    const row = this.o.db.prepare('SELECT etag, cursor FROM sync_state WHERE repo_id = ? AND key = ?').get(repoId, FILE_KEY) as
      | { etag: string | null; cursor: string | null }
      | undefined
    if (!row?.cursor) return null
    try {
      return { ...(JSON.parse(row.cursor) as Omit<PipelineFileState, 'etag'>), etag: row.etag }
    } catch {
      return null
    }
  }

  /** Records what the GitHub side read; returns whether the repository's effective pipeline changed. */
  recordFile(repoId: number, state: PipelineFileState): boolean {
    const before = this.resolve(repoId).pipeline
    const { etag, ...rest } = state
    this.o.db
      .prepare(
        'INSERT INTO sync_state (repo_id, key, etag, cursor) VALUES (?, ?, ?, ?) ON CONFLICT(repo_id, key) DO UPDATE SET etag = excluded.etag, cursor = excluded.cursor'
      )
      .run(repoId, FILE_KEY, etag, JSON.stringify(rest))
    this.cache.delete(repoId)
    return JSON.stringify(this.resolve(repoId).pipeline) !== JSON.stringify(before)
  }

  /** Forget cached answers (a role folder came or went). */
  invalidate(): void {
    this.cache.clear()
  }

  private stored(): StoredPipelines {
    const row = this.o.db.prepare('SELECT value FROM settings WHERE key = ?').get(SETTINGS_KEY) as { value: string } | undefined
    try {
      const value = row ? (JSON.parse(row.value) as Partial<StoredPipelines>) : {}
      return { global: value.global ?? null, repos: value.repos ?? {} }
    } catch {
      return { global: null, repos: {} }
    }
  }

  /** A stored pipeline still holds (a role it names may have been removed since); else it is skipped with a warning. */
  private checked(spec: PipelineSpec | null | undefined, source: string): Pipeline | null {
    if (!spec) return null
    try {
      return checkPipeline(spec, source, this.o.roles())
    } catch (error) {
      this.o.log?.warn(`pipeline: ${(error as AppError).message}; using the next one in line`)
      return null
    }
  }

  private stillValid(pipeline: Pipeline, source: string): Pipeline | null {
    return this.checked(toSpec(pipeline), source)
  }
}
