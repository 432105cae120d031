// The three builtin reviewers on a real repository (test/fixtures/review/planted.ts):
// each runs in the checkout at the PR's head against the merge base with main,
// does its own real work (node --check, the changed test run by node --test,
// the diff's added lines scanned), and answers a findings block that parses.
// Their merge puts lint and tests in consensus on the redeclared line.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { reviewerLint } from '../../../agents/reviewer-lint/builtin'
import { reviewerSecrets } from '../../../agents/reviewer-secrets/builtin'
import { reviewerTests } from '../../../agents/reviewer-tests/builtin'
import type { Provider, ProviderContext } from '../../../src/main/agents/providers/types'
import { consensusTag, hasConsensusCritical, mergeFindings } from '../../../src/main/review/consensus'
import { parseFindings, type Finding } from '../../../src/main/review/findings'
import { parseResponse } from '../../../src/shared/protocol/response'
import type { Trigger } from '../../../src/shared/protocol/trigger'
import { git, PLANTED, plantedRepo } from '../../fixtures/review/planted'

let root: string
let repo: string

function ctxFor(role: string, cwd: string): ProviderContext {
  const trigger = {
    v: 1, task: 't_review1', attempt: 1, agent: role, role, stage: 'needs-code-review',
    repo: { owner: 'owner', name: 'calc', defaultBranch: 'main' },
    issue: { number: 2, title: 'Add a total function', body: '', labels: ['needs-code-review'], author: 'owner', comments: [] },
    workspace: cwd, instructions: 'Review the PR.', handoffs: [], notes: [],
    deadline: new Date(Date.now() + 120_000).toISOString()
  } as Trigger
  return {
    trigger, rolePrompt: '', cwd, env: { ...process.env }, signal: new AbortController().signal, progress: () => undefined,
    settings: { provider: 'builtin', timeLimitSec: 120, maxOutputBytes: 262144 }
  }
}

async function review(provider: Provider, role: string, cwd = repo): Promise<{ findings: Finding[]; body: string; status: string }> {
  const result = await provider(ctxFor(role, cwd))
  const parsed = parseResponse(result.text)
  expect(parsed.task).toBe('t_review1')
  expect(parsed.labelUpdate).toBeNull()
  const findings = parseFindings(parsed.body)
  if (!findings.ok) throw new Error(`${role}: ${findings.problem}\n${parsed.body}`)
  return { findings: findings.findings, body: parsed.body, status: parsed.status }
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'baton-reviewers-'))
  repo = join(root, 'calc')
  plantedRepo(repo)
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe('the builtin reviewers on a planted PR', () => {
  it('lint: node --check finds the redeclared variable on its line, and only in the changed file', async () => {
    const r = await review(reviewerLint, 'reviewer-lint')
    expect(r.status).toBe('done')
    expect(r.findings).toEqual([{ ...PLANTED.redeclared, severity: 'critical', rule: 'syntax', text: "SyntaxError: Identifier 'sum' has already been declared" }])
    expect(r.body).toMatch(/Ran: node --check/)
  })

  it('tests: the untested new file is a recommendation, the changed test is run and its failure is critical on the source line it points at', async () => {
    const r = await review(reviewerTests, 'reviewer-tests')
    const at = (file: string, line: number) => r.findings.filter((f) => f.file === file && f.line === line)
    expect(at(PLANTED.untested.file, PLANTED.untested.line)).toEqual([expect.objectContaining({ severity: 'recommendation', rule: 'tests/missing' })])
    expect(at(PLANTED.redeclared.file, PLANTED.redeclared.line)).toEqual([
      expect.objectContaining({ severity: 'critical', rule: 'tests/failing', text: expect.stringContaining("SyntaxError: Identifier 'sum' has already been declared") })
    ])
    expect(r.findings.find((f) => f.file === 'test/calc.test.js')).toMatchObject({ severity: 'critical', text: expect.stringMatching(/^Changed test `test\/calc.test.js` fails \(`node --test test\/calc.test.js`\)/) })
    // src/calc.js has its changed test: no "without tests" for it.
    expect(r.findings.filter((f) => f.rule === 'tests/missing').map((f) => f.file)).toEqual([PLANTED.untested.file])
    expect(r.body).toMatch(/test\/calc.test.js: \*\*fails\*\*/)
  })

  it('secrets: the AWS-shaped key is critical on its line, masked; the 1.5 MB binary a recommendation', async () => {
    const r = await review(reviewerSecrets, 'reviewer-secrets')
    expect(r.findings).toEqual([
      { ...PLANTED.key, severity: 'critical', rule: 'secret/aws-access-key', text: expect.stringMatching(/^Looks like an AWS access key id \(AKIA… \(20 characters\)\)/) },
      { file: PLANTED.binary.file, line: 0, severity: 'recommendation', rule: 'large-binary', text: expect.stringMatching(/A binary file of 1\.4 MB/) }
    ])
    expect(r.body).not.toContain('AKIAIOSFODNN7EXAMPLE')
  })

  it('merged: lint and tests agree on the redeclared line (consensus 2 of 3, critical); the key stands alone', async () => {
    const reports = await Promise.all(
      ([['reviewer-lint', reviewerLint], ['reviewer-tests', reviewerTests], ['reviewer-secrets', reviewerSecrets]] as const).map(async ([name, p]) => ({ reviewer: name, outcome: 'answered' as const, findings: (await review(p, name)).findings }))
    )
    const c = mergeFindings(reports)
    const line = c.findings.find((f) => f.file === PLANTED.redeclared.file && f.line === PLANTED.redeclared.line)
    expect(line).toMatchObject({ severity: 'critical', reviewers: ['reviewer-lint', 'reviewer-tests'] })
    expect(consensusTag(line!)).toBe('consensus (2 of 3)')
    expect(c.findings.find((f) => f.file === PLANTED.key.file && f.line === PLANTED.key.line)).toMatchObject({ consensus: null, reviewers: ['reviewer-secrets'] })
    expect(hasConsensusCritical(c)).toBe(true)
  })

  it('a clean PR gets empty blocks; lint runs the repository’s own eslint when it has one', async () => {
    const clean = join(root, 'clean')
    plantedRepo(clean, 'baton/3-clean')
    // Replace the PR with a clean change, linted by this project's own eslint installation.
    writeFileSync(join(clean, 'src/calc.js'), 'export function add(a, b) {\n  return a + b\n}\n\nexport function twice(a) {\n  const unused = 1\n  return a * 2\n}\n')
    writeFileSync(join(clean, 'src/config.js'), "export const region = 'eu-west-1'\n")
    writeFileSync(join(clean, 'eslint.config.js'), "export default [{ files: ['**/*.js'], rules: { 'no-unused-vars': 'error' } }]\n")
    symlinkSync(join(process.cwd(), 'node_modules'), join(clean, 'node_modules'))
    git(clean, 'rm', '-q', '--cached', 'assets/logo.bin')
    git(clean, 'add', 'src', 'eslint.config.js')
    git(clean, 'commit', '-q', '--amend', '-m', 'Add twice')
    const lint = await review(reviewerLint, 'reviewer-lint', clean)
    expect(lint.body).toMatch(/Ran: eslint/)
    expect(lint.findings).toEqual([{ file: 'src/calc.js', line: 6, severity: 'recommendation', rule: 'no-unused-vars', text: expect.stringContaining("'unused' is assigned a value but never used") }])
    expect((await review(reviewerSecrets, 'reviewer-secrets', clean)).findings).toEqual([])
  })
})
