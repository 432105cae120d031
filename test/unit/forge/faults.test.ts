import { describe, expect, it } from 'vitest'
import { Faults } from '../../../src/forge/faults'

describe('Faults', () => {
  it('fires a count rule for the next N matching requests, then retires it', () => {
    const f = new Faults()
    f.inject({ kind: 'error', count: 2, method: 'POST', path: '/issues$' })
    expect(f.pick('GET', '/api/v3/repos/o/r/issues').failure).toBeUndefined()
    expect(f.pick('POST', '/api/v3/repos/o/r/labels').failure).toBeUndefined()
    expect(f.pick('post', '/api/v3/repos/o/r/issues').failure?.kind).toBe('error')
    expect(f.pick('POST', '/api/v3/repos/o/r/issues').failure?.kind).toBe('error')
    expect(f.pick('POST', '/api/v3/repos/o/r/issues').failure).toBeUndefined()
    expect(f.list()).toEqual([])
  })

  it('picks the same share of requests for the same seed', () => {
    const draw = (seed: number) => {
      const f = new Faults(seed)
      f.inject({ kind: 'rate-limit', share: 0.25 })
      return Array.from({ length: 400 }, () => (f.pick('GET', '/x').failure ? 1 : 0))
    }
    const a = draw(7)
    expect(draw(7)).toEqual(a)
    expect(draw(8)).not.toEqual(a)
    const hits = a.reduce<number>((n, x) => n + x, 0)
    expect(hits).toBeGreaterThan(60)
    expect(hits).toBeLessThan(140)
  })

  it('adds delays on top of one failure', () => {
    const f = new Faults()
    f.inject({ kind: 'delay', delayMs: 30, count: 1 })
    f.inject({ kind: 'delay', delayMs: 20, count: 1 })
    f.inject({ kind: 'drop', count: 1 })
    f.inject({ kind: 'error', count: 1 })
    const first = f.pick('GET', '/')
    expect([first.delayMs, first.failure?.kind]).toEqual([50, 'drop'])
    expect(f.pick('GET', '/').failure?.kind).toBe('error')
  })

  it('refuses a rule without share or count, or with a bad pattern', () => {
    const f = new Faults()
    expect(() => f.inject({ kind: 'error' })).toThrow(/needs `share` or `count`/)
    expect(() => f.inject({ kind: 'error', share: 2 })).toThrow(/share/)
    expect(() => f.inject({ kind: 'error', count: 1, path: '(' })).toThrow()
  })
})
