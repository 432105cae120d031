// Conditional reads (DESIGN.md §3): every list and object the sync polls is
// asked with If-None-Match and the ETag of its last answer. A 304 (which
// Octokit raises as an error with status 304) is a cache hit that costs no
// rate limit, so an idle repository is free to poll. ETags and cursors live
// in `sync_state`, one row per (repository, key).
import type { Db } from '../store/open'
import type { GitHub } from './octokit'

export interface Page<T> {
  data: T[]
  etag: string | null
  notModified: boolean
}

export interface Counter {
  requests: number
  notModified: number
}

const isNotModified = (error: unknown) => (error as { status?: number }).status === 304

/** Every page of a list; only the first is conditional (GitHub's ETag covers the first page). */
export async function listAll<T>(octokit: GitHub, route: string, params: Record<string, unknown>, etag: string | null, counter: Counter): Promise<Page<T>> {
  let response
  try {
    counter.requests++
    response = await octokit.request(route, { ...params, per_page: 100, headers: etag ? { 'if-none-match': etag } : {} })
  } catch (error) {
    if (isNotModified(error)) {
      counter.notModified++
      return { data: [], etag, notModified: true }
    }
    throw error
  }
  const data = [...(response.data as T[])]
  const firstEtag = (response.headers.etag as string | undefined) ?? null
  let link = response.headers.link as string | undefined
  for (let guard = 0; guard < 1000; guard++) {
    const next = link && /<([^>]+)>;\s*rel="next"/.exec(link)?.[1]
    if (!next) break
    counter.requests++
    const page = await octokit.request({ method: 'GET', url: next } as never)
    data.push(...((page as { data: T[] }).data ?? []))
    link = (page as { headers: { link?: string } }).headers.link
  }
  return { data, etag: firstEtag, notModified: false }
}

/** One object (not a list), asked with If-None-Match: null data on a 304. */
export async function getOne<T>(octokit: GitHub, route: string, params: Record<string, unknown>, etag: string | null, counter: Counter): Promise<{ data: T | null; etag: string | null; notModified: boolean }> {
  try {
    counter.requests++
    const response = await octokit.request(route, { ...params, headers: etag ? { 'if-none-match': etag } : {} })
    return { data: response.data as T, etag: (response.headers.etag as string | undefined) ?? null, notModified: false }
  } catch (error) {
    if (isNotModified(error)) {
      counter.notModified++
      return { data: null, etag, notModified: true }
    }
    throw error
  }
}

export function syncState(db: Db, repoId: number, key: string): { etag: string | null; cursor: string | null } {
  const row = db.prepare('SELECT etag, cursor FROM sync_state WHERE repo_id = ? AND key = ?').get(repoId, key) as { etag: string | null; cursor: string | null } | undefined
  return row ?? { etag: null, cursor: null }
}

export function saveSyncState(db: Db, repoId: number, key: string, etag: string | null, cursor: string | null): void {
  db.prepare(
    'INSERT INTO sync_state (repo_id, key, etag, cursor) VALUES (?, ?, ?, ?) ON CONFLICT(repo_id, key) DO UPDATE SET etag = excluded.etag, cursor = excluded.cursor'
  ).run(repoId, key, etag, cursor)
}
