// Shared set-up for the forge's integration tests: a forge on 127.0.0.1 in a
// fresh temporary folder, and Octokit clients pointed at it.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Octokit } from '@octokit/rest'
import { createForge } from '../../../src/forge'
import type { Forge, ForgeOptions, ForgeSeed } from '../../../src/forge'
import { checkResponse } from './openapi'

export const TOKENS = { owner: 'tok-owner', alice: 'tok-alice', bob: 'tok-bob', reader: 'tok-reader' } as const

/** owner (admin of owner/app), alice (write), reader (read on the private repo), bob (no role). */
export function baseSeed(): ForgeSeed {
  return {
    users: [
      { login: 'owner', token: TOKENS.owner, name: 'Olive Owner', email: 'owner@example.test' },
      { login: 'alice', token: TOKENS.alice },
      { login: 'bob', token: TOKENS.bob },
      { login: 'reader', token: TOKENS.reader, scopes: ['repo', 'read:org'] }
    ],
    repositories: [
      {
        owner: 'owner',
        name: 'app',
        files: { 'README.md': '# app\n', 'src/index.js': 'export const one = 1\n' },
        labels: [{ name: 'bug', color: 'd73a4a', description: 'Something is broken' }],
        collaborators: { alice: 'write' },
        issues: [{ title: 'First issue', body: 'Hello', author: 'alice', labels: ['bug'], comments: [{ author: 'owner', body: 'Thanks' }] }]
      },
      { owner: 'owner', name: 'secret', private: true, files: { 'a.txt': 'a\n' }, collaborators: { reader: 'read', alice: 'write' } },
      { owner: 'owner', name: 'old', archived: true, files: { 'a.txt': 'a\n' }, collaborators: { alice: 'write' } }
    ]
  }
}

export interface TestForge {
  forge: Forge
  octokit(token?: string): Octokit
  close(): Promise<void>
}

export async function startForge(seed: ForgeSeed = baseSeed(), options: Partial<ForgeOptions> = {}): Promise<TestForge> {
  const dataDir = mkdtempSync(join(tmpdir(), 'forge-test-'))
  const forge = await createForge({ dataDir, seed, deviceFlowInterval: 0, ...options })
  return {
    forge,
    // No retries, no throttling: the tests see exactly what the forge answers.
    octokit: (token?: string) => new Octokit({ baseUrl: forge.apiUrl, auth: token, request: { retries: 0 }, log: { debug() {}, info() {}, warn() {}, error() {} } }),
    close: async () => {
      await forge.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

/** GitHub's error body, as the tests read it. */
export interface ErrorBody {
  message: string
  documentation_url?: string
  /** Present on 422s; tests only read it there. */
  errors: { resource?: string; field?: string; code?: string; message?: string }[]
  [key: string]: unknown
}

/** Runs a request expected to fail and returns its status and body (Octokit throws RequestError). */
export async function failure(p: Promise<unknown>): Promise<{ status: number; data: ErrorBody; headers: Record<string, string | undefined> }> {
  try {
    await p
  } catch (e) {
    const err = e as { status: number; response?: { data: unknown; headers: Record<string, string | undefined> } }
    return { status: err.status, data: err.response?.data as ErrorBody, headers: err.response?.headers ?? {} }
  }
  throw new Error('Expected the request to fail, and it succeeded')
}

/** Checks an Octokit response (or failure) against the OpenAPI description. */
export function conforms(method: string, template: string, r: { status: number; data: unknown }): void {
  checkResponse(method, template, r.status, r.data)
}
