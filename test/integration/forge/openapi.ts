// Checks forge responses against GitHub's published OpenAPI description
// (@octokit/openapi, GHES 3.19): the status must be a documented one and the
// JSON body must satisfy the documented schema — required fields, types,
// nullability, enums, nested objects and arrays, anyOf/oneOf/allOf.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

type Schema = {
  $ref?: string
  type?: string | string[]
  nullable?: boolean
  required?: string[]
  properties?: Record<string, Schema>
  items?: Schema
  enum?: unknown[]
  anyOf?: Schema[]
  oneOf?: Schema[]
  allOf?: Schema[]
  format?: string
}

interface Spec {
  paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: Record<string, { schema?: Schema }> }> }>>
  components: { schemas: Record<string, Schema>; responses: Record<string, { content?: Record<string, { schema?: Schema }> }> }
}

let spec: Spec | undefined

export function loadSpec(): Spec {
  if (!spec) {
    const require = createRequire(import.meta.url)
    const root = dirname(require.resolve('@octokit/openapi/package.json'))
    spec = JSON.parse(readFileSync(join(root, 'generated', 'ghes-3.19.json'), 'utf8')) as Spec
  }
  return spec
}

function resolve(s: Schema): Schema {
  let cur = s
  while (cur.$ref) {
    const name = cur.$ref.replace('#/components/schemas/', '')
    const next = loadSpec().components.schemas[name]
    if (!next) throw new Error(`Unresolvable $ref ${cur.$ref}`)
    cur = next
  }
  return cur
}

function typeOf(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number'
  return typeof v
}

/** Every way `value` breaks `schema`, as "path: problem" lines; empty when it conforms. */
export function validate(value: unknown, schema: Schema, path = '$'): string[] {
  const s = resolve(schema)
  if (s.allOf) return s.allOf.flatMap((sub) => validate(value, sub, path))
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type]
  const nullable = s.nullable === true || types.includes('null')
  if (value === null) {
    if (nullable) return []
    if (s.anyOf || s.oneOf) {
      const alts = (s.anyOf ?? s.oneOf)!
      if (alts.some((a) => validate(null, a, path).length === 0)) return []
    }
    if (types.length === 0 && !s.anyOf && !s.oneOf && !s.enum) return []
    return [`${path}: null is not allowed`]
  }
  if (s.anyOf || s.oneOf) {
    const alts = (s.anyOf ?? s.oneOf)!
    const results = alts.map((a) => validate(value, a, path))
    if (!results.some((r) => r.length === 0)) return [`${path}: matches none of ${alts.length} alternatives (first: ${results[0]?.slice(0, 3).join('; ')})`]
    return []
  }
  const errors: string[] = []
  const actual = typeOf(value)
  const nonNull = types.filter((t) => t !== 'null')
  if (nonNull.length && !nonNull.some((t) => t === actual || (t === 'number' && actual === 'integer'))) {
    return [`${path}: expected ${nonNull.join('|')}, got ${actual}`]
  }
  if (s.enum && !s.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} not in enum ${JSON.stringify(s.enum)}`)
  if (s.format === 'date-time' && typeof value === 'string' && Number.isNaN(Date.parse(value))) errors.push(`${path}: not a date-time`)
  if (actual === 'object' && (s.properties || s.required)) {
    const obj = value as Record<string, unknown>
    for (const r of s.required ?? []) if (!(r in obj)) errors.push(`${path}.${r}: required but missing`)
    for (const [k, sub] of Object.entries(s.properties ?? {})) if (k in obj) errors.push(...validate(obj[k], sub, `${path}.${k}`))
  }
  if (actual === 'array' && s.items) (value as unknown[]).forEach((item, i) => errors.push(...validate(item, s.items!, `${path}[${i}]`)))
  return errors
}

/**
 * Checks a response against the spec for `METHOD /path/{template}`: throws
 * with every problem when the status is undocumented or the body does not fit.
 */
export function checkResponse(method: string, template: string, status: number, body: unknown): void {
  const op = loadSpec().paths[template]?.[method.toLowerCase()]
  if (!op) throw new Error(`The OpenAPI description has no ${method} ${template}`)
  let response = op.responses[String(status)]
  if (!response) throw new Error(`${method} ${template}: status ${status} is not documented (documented: ${Object.keys(op.responses).join(', ')})`)
  if (response.$ref) response = loadSpec().components.responses[response.$ref.replace('#/components/responses/', '')]!
  const schema = response.content?.['application/json']?.schema
  if (!schema) {
    if (body !== undefined && body !== '' && body !== null && status !== 204) throw new Error(`${method} ${template} ${status}: documented without a body, got one`)
    return
  }
  const problems = validate(body, schema)
  if (problems.length) throw new Error(`${method} ${template} ${status} does not match GitHub's schema:\n  ${problems.slice(0, 30).join('\n  ')}`)
}
