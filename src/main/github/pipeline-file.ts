// Reads a repository's `.baton/pipeline.yml` from its default branch, cheaply:
// the branch is asked with If-None-Match (a 304 costs no rate limit), and the
// file only when the branch's head moved. A broken file is refused with the
// file and field named; the repository keeps its last good pipeline.
import { parsePipeline } from '../pipeline/definition'
import { PIPELINE_FILE, type PipelineFileState, type Pipelines } from '../pipeline/loader'
import type { GitHub } from './octokit'

export interface PipelineFileResult {
  /** The repository's effective pipeline changed. */
  changed: boolean
  /** Why the file is refused, or null. */
  error: string | null
  /** Requests sent (a 304 counts, but costs no rate limit). */
  requests: number
}

const status = (error: unknown) => (error as { status?: number }).status

export async function refreshPipelineFile(
  octokit: GitHub,
  repo: { id: number; owner: string; name: string; default_branch: string },
  pipelines: Pipelines,
  roles: readonly string[],
  now: () => Date = () => new Date(),
  /** The branch as GitHub answered it (not on a 304): its protection names the checks a merge requires. */
  onBranch?: (branch: { protection?: { required_status_checks?: { contexts?: string[] } | null } }) => void
): Promise<PipelineFileResult> {
  const before = pipelines.fileState(repo.id)
  const base = { owner: repo.owner, repo: repo.name }
  let requests = 1
  let head: string
  let etag: string | null
  try {
    const branch = await octokit.request('GET /repos/{owner}/{repo}/branches/{branch}', {
      ...base,
      branch: repo.default_branch,
      headers: before?.etag ? { 'if-none-match': before.etag } : {}
    })
    head = branch.data.commit.sha
    etag = (branch.headers.etag as string | undefined) ?? null
    onBranch?.(branch.data as never)
  } catch (error) {
    // Unchanged since the last look: nothing to read.
    if (status(error) === 304 && before) return { changed: false, error: before.error, requests }
    throw error
  }
  if (before && before.head === head) {
    if (etag !== before.etag) pipelines.recordFile(repo.id, { ...before, etag })
    return { changed: false, error: before.error, requests }
  }

  const checkedAt = now().toISOString()
  let file: { sha: string; text: string } | null = null
  try {
    requests++
    const answer = await octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { ...base, path: PIPELINE_FILE, ref: head })
    const data = answer.data as { type?: string; sha?: string; content?: string; encoding?: string }
    if (Array.isArray(answer.data) || data.type !== 'file') {
      const state: PipelineFileState = { head, etag, present: true, sha: null, pipeline: before?.pipeline ?? null, error: `${PIPELINE_FILE}: is not a file`, checkedAt }
      return { changed: pipelines.recordFile(repo.id, state), error: state.error, requests }
    }
    file = { sha: data.sha ?? '', text: data.encoding === 'base64' ? Buffer.from(data.content ?? '', 'base64').toString('utf8') : (data.content ?? '') }
  } catch (error) {
    if (status(error) !== 404) throw error
  }

  if (!file) {
    const state: PipelineFileState = { head, etag, present: false, sha: null, pipeline: null, error: null, checkedAt }
    return { changed: pipelines.recordFile(repo.id, state), error: null, requests }
  }
  if (before?.present && before.sha === file.sha && !before.error) {
    pipelines.recordFile(repo.id, { ...before, head, etag, checkedAt })
    return { changed: false, error: null, requests }
  }
  try {
    const pipeline = parsePipeline(file.text, PIPELINE_FILE, roles)
    const state: PipelineFileState = { head, etag, present: true, sha: file.sha, pipeline, error: null, checkedAt }
    return { changed: pipelines.recordFile(repo.id, state), error: null, requests }
  } catch (error) {
    // The last good pipeline stands; the person is told what to fix.
    const message = (error as Error).message
    const state: PipelineFileState = { head, etag, present: true, sha: file.sha, pipeline: before?.pipeline ?? null, error: message, checkedAt }
    return { changed: pipelines.recordFile(repo.id, state), error: message, requests }
  }
}
