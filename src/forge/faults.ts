// Fault injection: answers that GitHub gives on a bad day, for a share of
// requests (drawn from a seeded PRNG, so a run repeats) or the next N.
import { z } from 'zod'

export const faultRuleSchema = z
  .object({
    /**
     * rate-limit: 429 with Retry-After; secondary-rate-limit: 403 with retry-after;
     * error: a 5xx (status, default 502); delay: answer normally after delayMs;
     * drop: destroy the connection without an answer.
     */
    kind: z.enum(['rate-limit', 'secondary-rate-limit', 'error', 'delay', 'drop']),
    status: z.number().int().min(500).max(599).optional(),
    /** Retry-After seconds: for the rate-limit kinds (default 60); an `error` sends it only when given. */
    retryAfter: z.number().int().min(0).optional(),
    delayMs: z.number().int().min(0).optional(),
    /** Share of matching requests, 0..1. */
    share: z.number().min(0).max(1).optional(),
    /** Fire for the next N matching requests, then retire. */
    count: z.number().int().positive().optional(),
    /** Only this HTTP method (GET, POST, …). */
    method: z.string().optional(),
    /** Only paths matching this regular expression (the full path, e.g. ^/api/v3/repos/.+/issues). */
    path: z.string().optional()
  })
  .refine((r) => r.share !== undefined || r.count !== undefined, { message: 'a fault needs `share` or `count`' })

export type FaultRule = z.input<typeof faultRuleSchema>
export interface ActiveFault extends z.output<typeof faultRuleSchema> {
  id: number
  /** How many times it fired. */
  fired: number
}

/** mulberry32: small, fast and good enough to pick which requests fail. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class Faults {
  private rules: ActiveFault[] = []
  private nextId = 1
  private random: () => number

  constructor(seed = 1) {
    this.random = prng(seed)
  }

  inject(rule: FaultRule): ActiveFault {
    const parsed = faultRuleSchema.safeParse(rule)
    if (!parsed.success) throw new Error(`Invalid fault: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(rule)'}: ${i.message}`).join('; ')}`)
    if (parsed.data.path !== undefined) new RegExp(parsed.data.path) // fail now on a bad pattern, not per request
    const active: ActiveFault = { ...parsed.data, id: this.nextId++, fired: 0 }
    this.rules.push(active)
    return active
  }

  clear(): void {
    this.rules = []
  }

  /** Re-seeds the PRNG (so a scenario can be replayed). */
  reseed(seed: number): void {
    this.random = prng(seed)
  }

  list(): ActiveFault[] {
    return this.rules.map((r) => ({ ...r }))
  }

  /** The faults that fire for this request: any delays, then at most one failure. */
  pick(method: string, path: string): { delayMs: number; failure?: ActiveFault } {
    let delayMs = 0
    let failure: ActiveFault | undefined
    for (const rule of this.rules) {
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue
      if (rule.path && !new RegExp(rule.path).test(path)) continue
      if (rule.kind !== 'delay' && failure) continue
      let fires: boolean
      if (rule.count !== undefined) fires = rule.fired < rule.count
      else fires = this.random() < (rule.share ?? 0)
      if (!fires) continue
      rule.fired++
      if (rule.kind === 'delay') delayMs += rule.delayMs ?? 1000
      else failure = rule
    }
    this.rules = this.rules.filter((r) => r.count === undefined || r.fired < r.count)
    return { delayMs, failure }
  }
}
