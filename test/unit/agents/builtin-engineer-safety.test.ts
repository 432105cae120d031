// The Engineer's builtin applies what an issue gives it: issue text is
// untrusted (DESIGN.md §9), so nothing it carries may write outside the task's
// worktree or into git's own folder (hooks run code on the next commit).
import { existsSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { engineer } from '../../../agents/engineer/builtin'
import { context, git, parse, repo, trigger } from './builtin-helpers'

const implement = (workspace: string, body: string) =>
  engineer(context(trigger({ role: 'engineer', agent: 'engineer', stage: 'in-progress', workspace, branch: 'baton/7-x', issue: { number: 7, title: 'x', body } })))

describe('Engineer (builtin) keeps to its worktree', () => {
  it('refuses a file block aimed at .git (a hook would run on the next commit)', async () => {
    const dir = repo({ 'README.md': 'x\n' }, 'baton/7-x')
    const r = parse(await implement(dir, '```.git/hooks/post-commit\n#!/bin/sh\ntouch /tmp/owned\n```'))
    expect(r.status).toBe('request')
    expect(r.statusText).toMatch(/refusing to write \.git\/hooks\/post-commit/)
    expect(existsSync(join(dir, '.git/hooks/post-commit'))).toBe(false)
  })

  it('ignores a file block whose path climbs out, and a diff that does is refused by git apply', async () => {
    const dir = repo({ 'README.md': 'x\n' }, 'baton/7-x')
    const climbing = parse(await implement(dir, '```../escape.txt\nout\n```'))
    expect(climbing.status).toBe('request') // no patch found: `../` is never a path info
    expect(existsSync(join(dir, '..', 'escape.txt'))).toBe(false)

    const diff = '```diff\n--- /dev/null\n+++ b/../escape.txt\n@@ -0,0 +1 @@\n+out\n```'
    const r = parse(await implement(dir, diff))
    expect(r.status).toBe('request')
    expect(existsSync(join(dir, '..', 'escape.txt'))).toBe(false)
  })

  it('a diff through a tracked symbolic link is refused by git apply', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'baton-outside-'))
    const dir = repo({ 'README.md': 'x\n' }, 'baton/7-x')
    symlinkSync(outside, join(dir, 'docs'))
    git(dir, 'add', 'docs')
    git(dir, 'commit', '--quiet', '-m', 'link')
    const r = parse(await implement(dir, '```diff\n--- /dev/null\n+++ b/docs/pwned.txt\n@@ -0,0 +1 @@\n+hello\n```'))
    expect(r.status).toBe('request')
    expect(readdirSync(outside)).toEqual([])
  })

  // KNOWN DEFECT of agents/engineer/builtin.ts (see the report): file blocks
  // are checked by path text only, so a tracked symbolic link to a folder
  // outside the worktree carries the write out of it. Marked `.fails`.
  it('a file block through a tracked symbolic link does not write outside the worktree', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'baton-outside-'))
    const dir = repo({ 'README.md': 'x\n' }, 'baton/7-x')
    symlinkSync(outside, join(dir, 'docs'))
    git(dir, 'add', 'docs')
    git(dir, 'commit', '--quiet', '-m', 'link')
    const r = parse(await implement(dir, '```docs/pwned.txt\nhello\n```'))
    expect(readdirSync(outside)).toEqual([])
    expect(r.status).toBe('request')
  })
})
