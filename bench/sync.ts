// GitHub sync, in requests (issue 3, "Tests and figures"): what a cold sync of
// 1,000 issues costs, and what one idle hour of polling at the default
// interval costs — in requests sent and in requests that count against the
// rate limit (target 0: every idle poll is a conditional request answered 304).
//
// Real parts: the forge over HTTP on 127.0.0.1, real Octokit through the app's
// GitHubService (its gate, its mirror, its sync loop), a real SQLite file. The
// hour is simulated: the loop's timers are driven by hand and one clock (the
// forge's and the gate's) jumps from poll to poll, so the hour takes as long
// as its polls do, not an hour.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createForge } from '../src/forge/index'
import type { ForgeSeed } from '../src/forge/index'
import { EventHub } from '../src/main/events'
import { bootstrapLabels } from '../src/main/github/label-bootstrap'
import { createOctokit } from '../src/main/github/octokit'
import { GitHubService, type Timers } from '../src/main/github/service'
import { createLogger } from '../src/main/log'
import { createTokenStore } from '../src/main/secrets/token-store'
import { openDatabase } from '../src/main/store/open'
import { DEFAULT_SETTINGS } from '../src/shared/api'

const TOKEN = 'ghp_benchSyncToken0001'
const REVIEWER = 'ghp_benchSyncReviewer2'
/** Open agent PRs in the idle repository: each one's reviews and head checks are polled too (conditionally). */
const AGENT_PULLS = 3

/** A branch with one commit on the forge's bare repository (plumbing: no clone). */
function pushBranch(gitDir: string, branch: string, file: string): void {
  const git = (args: string[], input?: string) =>
    execFileSync('git', ['--git-dir', gitDir, ...args], { input, env: { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' } })
      .toString()
      .trim()
  const base = git(['rev-parse', 'refs/heads/main'])
  const blob = git(['hash-object', '-w', '--stdin'], 'one\ntwo\n')
  const tree = git(['mktree'], `${git(['ls-tree', base])}\n100644 blob ${blob}\t${file}\n`)
  git(['update-ref', `refs/heads/${branch}`, git(['commit-tree', tree, '-p', base, '-m', `Add ${file}`])])
}

/** Timers the bench fires by hand: the loop arms one; `fire()` jumps the clock to it and runs it. */
function manualTimers(clock: { now: number }): Timers & { fire(): boolean } {
  let pending: { fn: () => void; at: number } | null = null
  return {
    setTimeout(fn, ms) {
      pending = { fn, at: clock.now + ms }
      return pending
    },
    clearTimeout(handle) {
      if (handle === pending) pending = null
    },
    fire() {
      if (!pending) return false
      const { fn, at } = pending
      pending = null
      clock.now = at
      fn()
      return true
    }
  }
}

export async function benchSync(count = Number(process.env.BATON_BENCH_SYNC_ISSUES ?? 1000)): Promise<Record<string, number | string>> {
  const root = mkdtempSync(join(tmpdir(), 'baton-bench-sync-'))
  const clock = { now: Date.now() }
  // A repository the way people have them: labels on some issues, comments on some, a few closed.
  const issues = Array.from({ length: count }, (_, i) => ({
    author: 'bench',
    title: `Issue ${i + 1}`,
    body: `Body of issue ${i + 1}.`,
    labels: i % 3 === 0 ? ['bug'] : [],
    state: (i % 10 === 9 ? 'closed' : 'open') as 'open' | 'closed',
    comments: i % 5 === 0 ? [{ author: 'bench', body: `A comment on ${i + 1}` }] : []
  }))
  const seed: ForgeSeed = {
    users: [
      { login: 'bench', token: TOKEN, scopes: ['repo'] },
      { login: 'reviewer', token: REVIEWER, scopes: ['repo'] }
    ],
    repositories: [
      { owner: 'bench', name: 'big', files: { 'README.md': '# big\n' }, labels: [{ name: 'bug', color: 'd73a4a', description: null }], collaborators: { reviewer: 'write' } }
    ]
  } as ForgeSeed
  const forge = await createForge({ dataDir: join(root, 'forge'), seed, now: () => clock.now })
  // One issue a minute, as a repository grows, not 1,000 in the same second:
  // \`since\` is inclusive, so issues sharing the newest second come back once more.
  clock.now -= count * 60_000
  for (const issue of issues) {
    clock.now += 60_000
    forge.createIssue({ owner: 'bench', repo: 'big', ...issue })
  }
  // Open agent PRs, each reviewed with a line comment and with a CI status on its head.
  const writer = createOctokit({ baseUrl: forge.apiUrl, token: TOKEN, timing: { writeGapMs: 0, now: () => clock.now } }).octokit
  const reviewer = createOctokit({ baseUrl: forge.apiUrl, token: REVIEWER, timing: { writeGapMs: 0, now: () => clock.now } }).octokit
  for (let i = 1; i <= AGENT_PULLS; i++) {
    pushBranch(forge.gitDir('bench', 'big'), `baton/${i}-issue-${i}`, `change-${i}.txt`)
    const pr = (await writer.rest.pulls.create({ owner: 'bench', repo: 'big', head: `baton/${i}-issue-${i}`, base: 'main', title: `Issue ${i}`, body: `Closes #${i}` })).data
    await reviewer.rest.pulls.createReview({ owner: 'bench', repo: 'big', pull_number: pr.number, event: 'COMMENT', body: 'A look', comments: [{ path: `change-${i}.txt`, line: 1, body: 'Fine' }] })
    await writer.rest.repos.createCommitStatus({ owner: 'bench', repo: 'big', sha: pr.head.sha, state: 'success', context: 'ci/test' })
  }
  const db = openDatabase(join(root, 'baton.sqlite'))
  const intervalMs = DEFAULT_SETTINGS.pollIntervalSec * 1000
  const timers = manualTimers(clock)
  let changedIssues = 0
  let counting = false
  const github = new GitHubService({
    db,
    tokens: createTokenStore({ dataDir: root, env: {} }),
    log: createLogger({ level: 'warn', write: () => undefined }),
    events: new EventHub(),
    defaultApiUrl: forge.apiUrl,
    pollMs: () => intervalMs,
    timing: { writeGapMs: 0, now: () => clock.now },
    timers,
    onSynced: (_id, changed) => {
      if (counting) changedIssues += changed.length
    }
  })
  try {
    await github.signInWithToken(TOKEN)
    // What connect does before its first sync: the labels, then the repository's row. The cold sync is measured alone.
    await bootstrapLabels(createOctokit({ baseUrl: forge.apiUrl, token: TOKEN, timing: { writeGapMs: 0 } }).octokit, 'bench', 'big')
    const host = new URL(forge.apiUrl).host
    db.prepare("INSERT INTO repos (key, host, api_url, owner, name, default_branch, connected_at) VALUES (?, ?, ?, 'bench', 'big', 'main', ?)").run(
      `${host}/bench/big`,
      host,
      forge.apiUrl,
      new Date(clock.now).toISOString()
    )
    const repo = db.prepare('SELECT id FROM repos WHERE key = ?').get(`${host}/bench/big`) as { id: number }
    const comments = issues.filter((i) => i.comments.length).length

    // Cold: the first pass over an empty mirror.
    forge.clearLog()
    const t0 = performance.now()
    const synced = await github.syncNow(repo.id)
    const coldMs = performance.now() - t0
    const coldLog = forge.requestLog()
    const mirrored = (db.prepare('SELECT COUNT(*) AS n FROM issues WHERE repo_id = ? AND is_pull = 0').get(repo.id) as { n: number }).n
    if (synced.syncError) throw new Error(`the cold sync failed: ${synced.syncError}`)
    if (mirrored !== count) throw new Error(`the cold sync mirrored ${mirrored} of ${count} issues`)

    // One idle hour at the default interval, right after the cold sync: the app's own loop.
    forge.clearLog()
    counting = true
    const start = clock.now
    const t1 = performance.now()
    github.startSync()
    await github.tick() // the pass the loop starts on its own
    const firstPoll = forge.requestLog()
    let polls = 1
    while (clock.now - start + intervalMs < 3_600_000 && timers.fire()) {
      await github.tick()
      polls++
    }
    github.stop()
    const idleMs = performance.now() - t1
    const idleLog = forge.requestLog()
    const failed = db.prepare('SELECT sync_error FROM repos WHERE id = ?').get(repo.id) as { sync_error: string | null }
    if (failed.sync_error) throw new Error(`a poll failed: ${failed.sync_error}`)

    return {
      'issues (comments) synced cold': `${count} (${comments})`,
      'open agent PRs (reviews, review comments, head checks read each poll)': AGENT_PULLS,
      'cold sync: requests': coldLog.length,
      'cold sync: requests counted against the rate limit': coldLog.filter((e) => e.countedAgainstRateLimit).length,
      'cold sync: wall time (ms)': Math.round(coldMs),
      'cold sync: requests per 100 issues': +((coldLog.length / count) * 100).toFixed(2),
      'idle hour: polls (every s)': `${polls} (${DEFAULT_SETTINGS.pollIntervalSec})`,
      'idle hour: requests sent': idleLog.length,
      'idle hour: answered 304': idleLog.filter((e) => e.status === 304).length,
      'idle hour: requests counted against the rate limit': idleLog.filter((e) => e.countedAgainstRateLimit).length,
      // The first poll after a cold sync asks with a new \`since\` cursor: no ETag for that question yet.
      'idle hour: of them in the first poll after the cold sync': firstPoll.filter((e) => e.countedAgainstRateLimit).length,
      'idle hour: counted after the first poll': idleLog.slice(firstPoll.length).filter((e) => e.countedAgainstRateLimit).length,
      'idle hour: issues reported changed': changedIssues,
      'idle hour: wall time to simulate (ms)': Math.round(idleMs)
    }
  } finally {
    github.stop()
    db.close()
    await forge.close()
    rmSync(root, { recursive: true, force: true })
  }
}
