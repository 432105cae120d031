// Errors that cross the API boundary: a stable code the UI can act on, and a
// message written for a person (what went wrong and what to do next).
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'offline'
  | 'unavailable'
  | 'internal'

export interface ApiErrorBody {
  code: ErrorCode
  message: string
  /** Extra facts for the UI: field paths of a bad payload, a reset time, … */
  details?: Record<string, unknown>
}

export class AppError extends Error {
  readonly code: ErrorCode
  readonly details?: Record<string, unknown>

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message)
    this.name = 'AppError'
    this.code = code
    this.details = details
  }

  toBody(): ApiErrorBody {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message }
  }
}
