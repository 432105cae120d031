import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ForgeSeedError, parseSeed } from '../../../src/forge'

const fixture = JSON.parse(readFileSync(new URL('../../fixtures/forge/seed.json', import.meta.url), 'utf8')) as unknown

function message(input: unknown): string {
  try {
    parseSeed(input, 'seed.json')
  } catch (e) {
    expect(e).toBeInstanceOf(ForgeSeedError)
    return (e as Error).message
  }
  throw new Error('expected the seed to be refused')
}

describe('parseSeed', () => {
  it('accepts the fixture and fills defaults', () => {
    const seed = parseSeed(fixture)
    expect(seed.repositories[0]).toMatchObject({ owner: 'acme', name: 'shop', private: false, archived: false, defaultBranch: 'main' })
    expect(seed.users[1]!.scopes).toEqual(['repo'])
    expect(seed.repositories[0]!.issues[0]!.state).toBe('open')
  })

  it('names the bad field', () => {
    expect(message({ repositories: [{ owner: 'a', name: 5 }] })).toMatch(/^Invalid forge seed in seed\.json: repositories\[0\]\.name: /)
    expect(message({ users: [{ login: 'has space' }] })).toMatch(/users\[0\]\.login: a GitHub login/)
    expect(message({ users: [{ login: 'a' }], repositories: [{ owner: 'a', name: 'r', labels: [{ name: 'x', color: '#zzz' }] }] })).toMatch(
      /repositories\[0\]\.labels\[0\]\.color: six hex digits/
    )
    expect(message({ users: [{ login: 'a' }], repositories: [{ owner: 'a', name: 'r', collaborators: { a: 'owner' } }] })).toMatch(/repositories\[0\]\.collaborators\.a/)
  })

  it('checks references zod cannot see', () => {
    expect(message({ users: [{ login: 'a' }], repositories: [{ owner: 'a', name: 'r', collaborators: { ghost: 'write' } }] })).toMatch(
      /repositories\[0\]\.collaborators\.ghost: no user "ghost"/
    )
    expect(message({ users: [{ login: 'a' }], repositories: [{ owner: 'a', name: 'r', issues: [{ title: 't', author: 'nobody' }] }] })).toMatch(
      /repositories\[0\]\.issues\[0\]\.author: no user "nobody"/
    )
    expect(message({ users: [{ login: 'a' }, { login: 'A' }] })).toMatch(/users\[1\]\.login: "A" appears twice/)
    expect(message({ users: [{ login: 'a' }], repositories: [{ owner: 'a', name: 'r', files: { '../x': '' } }] })).toMatch(/files\["\.\.\/x"\]/)
    expect(message({ organizations: [{ login: 'o', members: ['nobody'] }] })).toMatch(/organizations\[0\]\.members\[0\]: no user "nobody"/)
  })
})
