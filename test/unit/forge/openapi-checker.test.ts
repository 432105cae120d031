// The response checker the forge's integration tests rely on must itself
// catch what it claims to: a checker that passes everything proves nothing.
import { describe, expect, it } from 'vitest'
import { checkResponse, validate } from '../../integration/forge/openapi'

const label = { id: 1, node_id: 'x', url: 'u', name: 'bug', color: 'ffffff', default: false, description: null }

describe('OpenAPI response checker', () => {
  it('accepts a conforming label and rejects missing, mistyped and non-nullable fields', () => {
    expect(() => checkResponse('GET', '/repos/{owner}/{repo}/labels/{name}', 200, label)).not.toThrow()
    const { color: _c, ...noColor } = label
    expect(() => checkResponse('GET', '/repos/{owner}/{repo}/labels/{name}', 200, noColor)).toThrow(/\$\.color: required but missing/)
    expect(() => checkResponse('GET', '/repos/{owner}/{repo}/labels/{name}', 200, { ...label, id: 'one' })).toThrow(/\$\.id: expected integer, got string/)
    expect(() => checkResponse('GET', '/repos/{owner}/{repo}/labels/{name}', 200, { ...label, name: null })).toThrow(/\$\.name: null is not allowed/)
  })

  it('rejects undocumented statuses and checks arrays, enums and $refs deep down', () => {
    expect(() => checkResponse('GET', '/repos/{owner}/{repo}/labels/{name}', 418, label)).toThrow(/status 418 is not documented/)
    expect(() => checkResponse('GET', '/repos/{owner}/{repo}/labels', 200, [label, { ...label, default: 'no' }])).toThrow(/\$\[1\]\.default: expected boolean/)
    expect(validate('MAYBE', { enum: ['a', 'b'] })).toEqual(['$: "MAYBE" not in enum ["a","b"]'])
    expect(validate(null, { anyOf: [{ type: 'string' }, { type: 'null' }] })).toEqual([])
    expect(() => checkResponse('GET', '/repos/{owner}/{repo}/collaborators/{username}/permission', 200, { permission: 'write', role_name: 'write', user: { login: 'x' } })).toThrow(
      /\$\.user\.id: required but missing/
    )
  })
})
