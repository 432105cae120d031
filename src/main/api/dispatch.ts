// The API boundary: a method name and a payload arrive as `unknown` from either
// transport; they are narrowed with the API's zod schemas before any handler
// runs, and every outcome is an ApiResult (nothing is thrown across).
import { api, isApiMethod, type ApiMethod, type ApiOutput, type ApiParsedInput, type ApiResult } from '../../shared/api'
import { AppError } from '../../shared/errors'
import type { Logger } from '../log'

export type Handlers = { [M in ApiMethod]: (input: ApiParsedInput<M>) => Promise<ApiOutput<M>> | ApiOutput<M> }

/**
 * `caller`: who calls, for the handlers that care (api/memory-handlers.ts);
 * none is the person. `/mcp` passes a task's agent (issue #14).
 */
export async function dispatch(handlers: Handlers, method: unknown, input: unknown, log?: Logger, caller?: unknown): Promise<ApiResult<unknown>> {
  if (!isApiMethod(method)) {
    return { ok: false, error: { code: 'not_found', message: `Unknown API method ${JSON.stringify(method)}.` } }
  }
  const parsed = api[method].input.safeParse(input ?? {})
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }))
    const first = issues[0]
    return {
      ok: false,
      error: {
        code: 'bad_request',
        message: `Bad input for ${method}: ${first ? `${first.path || '(payload)'}: ${first.message}` : 'invalid'}.`,
        details: { issues }
      }
    }
  }
  try {
    const handler = handlers[method] as (input: unknown, caller?: unknown) => Promise<unknown> | unknown
    return { ok: true, data: await (caller === undefined ? handler(parsed.data) : handler(parsed.data, caller)) }
  } catch (error) {
    if (error instanceof AppError) return { ok: false, error: error.toBody() }
    log?.error(`API ${method} failed`, error)
    return { ok: false, error: { code: 'internal', message: `${method} failed: ${(error as Error).message}` } }
  }
}
