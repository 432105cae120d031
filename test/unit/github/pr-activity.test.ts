// Check runs a token may not read (a fine-grained token without checks:read
// answers 403): statuses alone, and the refusal — which counts against the
// rate limit — is not asked again until the PR's head moves.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { fetchPrActivity, storePrActivity } from '../../../src/main/github/pr-activity'
import type { GitHub } from '../../../src/main/github/octokit'
import { openDatabase } from '../../../src/main/store/open'

function fakeGitHub(asked: string[]): GitHub {
  return {
    request: async (route: string, params: { ref?: string }) => {
      asked.push(`${route} ${params.ref ?? ''}`.trim())
      if (route.endsWith('/check-runs')) throw Object.assign(new Error('Resource not accessible by personal access token'), { status: 403 })
      if (route.endsWith('/status')) return { data: { statuses: [{ context: 'ci/test', state: 'failure', description: 'red', target_url: 'https://ci.example/1' }] }, headers: { etag: `"s-${params.ref}"` } }
      return { data: [], headers: { etag: '"list"' } }
    }
  } as unknown as GitHub
}

describe('check runs this token may not read', () => {
  it('keeps the statuses, and asks for check runs again only on a new head', async () => {
    const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'baton-activity-')), 'baton.db'))
    db.prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'h/o/r', 'h', 'https://h/api/v3', 'o', 'r', 'main', 'now')").run()
    const repo = { id: 1, owner: 'o', name: 'r' }
    const asked: string[] = []
    const pass = async (headSha: string) => {
      const counter = { requests: 0, notModified: 0 }
      const activity = await fetchPrActivity(db, fakeGitHub(asked), repo, [{ number: 7, headSha, issue: 3 }], counter)
      db.transaction(() => storePrActivity(db, 1, activity))()
    }
    await pass('a'.repeat(40))
    expect(db.prepare('SELECT kind, name, state FROM checks').all()).toEqual([{ kind: 'status', name: 'ci/test', state: 'failure' }])
    expect(asked.filter((a) => a.includes('check-runs'))).toHaveLength(1)
    await pass('a'.repeat(40))
    expect(asked.filter((a) => a.includes('check-runs'))).toHaveLength(1)
    await pass('b'.repeat(40))
    expect(asked.filter((a) => a.includes('check-runs'))).toEqual([`GET /repos/{owner}/{repo}/commits/{ref}/check-runs ${'a'.repeat(40)}`, `GET /repos/{owner}/{repo}/commits/{ref}/check-runs ${'b'.repeat(40)}`])
    db.close()
  })
})
