// GitHub's OAuth device flow (RFC 8628) as github.com serves it: the app asks
// for a device and user code, the person approves the user code (here: the
// admin API, standing in for the browser page), the app polls for its token.
import { randomBytes } from 'node:crypto'
import type { Model } from './model'
import type { DeviceCodeRow } from './store'
import type { Urls } from './shapes'

export interface DeviceFlowOptions {
  /** Seconds the client must wait between polls (GitHub: 5). Tests use 0. */
  interval: number
  /** Seconds a device code lives (GitHub: 900). */
  expiresIn: number
}

function userCode(): string {
  const alphabet = 'BCDFGHJKLMNPQRSTVWXZ0123456789'
  const bytes = randomBytes(8)
  let s = ''
  for (let i = 0; i < 8; i++) s += alphabet[bytes[i]! % alphabet.length]
  return `${s.slice(0, 4)}-${s.slice(4)}`
}

export function createDeviceCode(model: Model, urls: Urls, opts: DeviceFlowOptions, clientId: string, scope: string) {
  const device = randomBytes(20).toString('hex')
  const code = userCode()
  const t = model.now()
  model.db
    .prepare('INSERT INTO device_codes (device_code, user_code, client_id, scope, created_at, expires_at, interval_s) VALUES (?, ?, ?, ?, ?, ?, ?)')
    .run(device, code, clientId, scope, t, t + opts.expiresIn * 1000, opts.interval)
  return { device_code: device, user_code: code, verification_uri: `${urls.web}/login/device`, expires_in: opts.expiresIn, interval: opts.interval }
}

export type TokenAnswer =
  | { access_token: string; token_type: 'bearer'; scope: string }
  | { error: string; error_description: string; error_uri: string; interval?: number }

const errorUri = 'https://docs.github.com/developers/apps/authorizing-oauth-apps#error-codes-for-the-device-flow'

function error(code: string, description: string, extra: { interval?: number } = {}): TokenAnswer {
  return { error: code, error_description: description, error_uri: errorUri, ...extra }
}

export function exchangeDeviceCode(model: Model, params: { client_id?: string; device_code?: string; grant_type?: string }): TokenAnswer {
  if (params.grant_type !== 'urn:ietf:params:oauth:grant-type:device_code')
    return error('unsupported_grant_type', 'The grant type must be urn:ietf:params:oauth:grant-type:device_code.')
  const row = model.db.prepare('SELECT * FROM device_codes WHERE device_code = ?').get(params.device_code ?? '') as DeviceCodeRow | undefined
  if (!row) return error('incorrect_device_code', 'The device_code provided is not valid.')
  if (row.client_id !== params.client_id) return error('incorrect_client_credentials', 'The client_id is not valid.')
  const t = model.now()
  if (row.access_token) return { access_token: row.access_token, token_type: 'bearer', scope: row.scope }
  if (t >= row.expires_at) return error('expired_token', 'The device_code has expired.')
  if (row.denied) return error('access_denied', 'The authorization request was denied.')
  const tooSoon = row.last_poll_at !== null && t - row.last_poll_at < row.interval_s * 1000
  model.db.prepare('UPDATE device_codes SET last_poll_at = ? WHERE device_code = ?').run(t, row.device_code)
  if (!row.approved_user_id) {
    if (tooSoon) return error('slow_down', 'Too many requests have been made in the same timeframe.', { interval: row.interval_s + 5 })
    return error('authorization_pending', 'The authorization request is still pending.')
  }
  const token = `gho_${randomBytes(18).toString('base64url')}`
  const scopes = row.scope.split(/[ ,]+/).filter(Boolean)
  model.addToken(row.approved_user_id, token, scopes)
  model.db.prepare('UPDATE device_codes SET access_token = ? WHERE device_code = ?').run(token, row.device_code)
  return { access_token: token, token_type: 'bearer', scope: scopes.join(',') }
}

/** The person's side: approve (or deny) a pending user code as `login`. */
export function decideDeviceCode(model: Model, code: string, login: string, approve = true): void {
  const row = model.db.prepare('SELECT * FROM device_codes WHERE user_code = ?').get(code.toUpperCase()) as DeviceCodeRow | undefined
  if (!row) throw new Error(`No pending device code "${code}"`)
  if (model.now() >= row.expires_at) throw new Error(`The device code "${code}" has expired`)
  const user = model.accountByLogin(login)
  if (!user) throw new Error(`No user "${login}"`)
  if (approve) model.db.prepare('UPDATE device_codes SET approved_user_id = ? WHERE user_code = ?').run(user.id, row.user_code)
  else model.db.prepare('UPDATE device_codes SET denied = 1 WHERE user_code = ?').run(row.user_code)
}
