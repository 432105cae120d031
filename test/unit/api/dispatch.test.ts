import { describe, expect, it } from 'vitest'
import { dispatch, type Handlers } from '../../../src/main/api/dispatch'
import { DEFAULT_SETTINGS } from '../../../src/shared/api'
import { AppError } from '../../../src/shared/errors'

const handlers = {
  'settings.update': (patch: object) => ({ ...DEFAULT_SETTINGS, ...patch }),
  'events.recent': ({ limit }: { limit: number }) => Array.from({ length: limit }, (_, id) => ({ id })),
  'repos.list': () => {
    throw new AppError('not_found', 'No such repository.')
  },
  'agents.list': () => {
    throw new Error('boom')
  }
} as unknown as Handlers

describe('dispatch', () => {
  it('narrows the payload with the schema and applies defaults', async () => {
    expect(await dispatch(handlers, 'events.recent', {})).toEqual({ ok: true, data: expect.any(Array) })
    const result = await dispatch(handlers, 'events.recent', undefined)
    expect(result.ok && (result.data as unknown[]).length).toBe(50)
  })

  it('names the bad field of a malformed payload', async () => {
    const result = await dispatch(handlers, 'settings.update', { pollIntervalSec: 'soon' })
    expect(result).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    expect(!result.ok && result.error.message).toMatch(/pollIntervalSec/)
  })

  it('refuses unknown keys and unknown methods', async () => {
    expect(await dispatch(handlers, 'settings.update', { colour: 'red' })).toMatchObject({ ok: false, error: { code: 'bad_request' } })
    expect(await dispatch(handlers, 'constructor', {})).toMatchObject({ ok: false, error: { code: 'not_found' } })
    expect(await dispatch(handlers, 42, {})).toMatchObject({ ok: false, error: { code: 'not_found' } })
  })

  it('turns errors into results, never throws across', async () => {
    expect(await dispatch(handlers, 'repos.list', {})).toEqual({ ok: false, error: { code: 'not_found', message: 'No such repository.' } })
    expect(await dispatch(handlers, 'agents.list', {})).toMatchObject({ ok: false, error: { code: 'internal', message: expect.stringContaining('boom') } })
  })
})
