// The outgoing webhook: one JSON POST, retried with backoff when the far end
// fails (a 5xx, a 429 or the network) and never when it refuses (another 4xx:
// a wrong URL stays wrong). The URL is a secret (Slack's and Discord's carry
// their key in the path): it is never logged, and errors name only its host.

export interface WebhookOptions {
  fetch?: typeof fetch
  /** Tries in all, the first included (default 4). */
  tries?: number
  /** First wait between tries, doubled each time (default 1 s). */
  backoffMs?: number
  /** Per try (default 10 s). */
  timeoutMs?: number
  sleep?: (ms: number) => Promise<void>
}

export interface WebhookResult {
  ok: boolean
  /** The last HTTP status, or null when no answer came. */
  status: number | null
  tries: number
  /** Why it failed, in words, without the URL. */
  error: string | null
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Only http(s), with no user or password in it; the message never echoes the URL. */
export function checkWebhookUrl(value: string): string {
  let url: URL
  try {
    url = new URL(value.trim())
  } catch {
    throw new Error('A webhook URL starts with https:// (a Slack or Discord incoming-webhook address).')
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('A webhook URL starts with https:// (or http:// for a local receiver).')
  if (url.username || url.password) throw new Error('A webhook URL holds no user name or password.')
  return url.toString()
}

export async function sendWebhook(url: string, body: unknown, options: WebhookOptions = {}): Promise<WebhookResult> {
  const doFetch = options.fetch ?? fetch
  const tries = Math.max(1, options.tries ?? 4)
  const sleep = options.sleep ?? wait
  let backoff = options.backoffMs ?? 1000
  let status: number | null = null
  let error: string | null = null
  const host = new URL(url).host
  for (let i = 1; i <= tries; i++) {
    try {
      const res = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'Baton' },
        body: JSON.stringify(body),
        redirect: 'error',
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000)
      })
      status = res.status
      await res.body?.cancel().catch(() => undefined)
      if (res.ok) return { ok: true, status, tries: i, error: null }
      error = `${host} answered ${res.status}`
      if (res.status < 500 && res.status !== 429) return { ok: false, status, tries: i, error }
    } catch (e) {
      status = null
      error = `${host} could not be reached (${(e as Error).name === 'TimeoutError' ? 'timed out' : 'network error'})`
    }
    if (i < tries) {
      await sleep(backoff)
      backoff *= 2
    }
  }
  return { ok: false, status, tries, error }
}
