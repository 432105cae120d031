// Notifications through the real core (issue #12): a REQUEST, a failure, a PR
// ready for review and a spent budget reach a webhook on 127.0.0.1 as a
// Slack/Discord-compatible body, retried after a 500 (not after a 404), not
// sent when their kind or the webhook is turned off; the desktop hook gets
// the same policy; the URL is never in SQLite or in a log line.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createCore, type Core } from '../../../src/main/app'
import { createLogger } from '../../../src/main/log'
import { notifyIfReady } from '../../../src/main/notify/ready'
import { sendWebhook } from '../../../src/main/notify/webhook'
import { takeEnvSecrets, withoutCredentials } from '../../../src/main/secrets/env-secrets'
import { defaultPipeline } from '../../../src/main/pipeline/definition'
import type { EngineContext } from '../../../src/main/pipeline/engine-context'
import { toInbox } from '../../../src/main/pipeline/inbox'
import type { TaskRow } from '../../../src/main/store/tasks'
import { DEFAULT_SETTINGS, type NotificationSettings } from '../../../src/shared/api'
import type { DesktopNotice } from '../../../src/shared/notify'

const SECRET = 'T0001/B0002/Zx9SecretPathOfTheHook'
let server: Server
let url: string
let received: Array<{ path: string; body: { text: string; content: string } }> = []
/** Status answers to give before answering 200. */
let failures: number[] = []
let core: Core
let dataDir: string
const logs: string[] = []
const notices: DesktopNotice[] = []

const task = { id: 't_notify', repo_id: 1, issue: 3, agent: 'architect', role: 'architect', stage: 'needs-architecture' } as TaskRow
const ctx = () => ({ db: core.db, o: { events: core.events }, now: () => new Date() }) as unknown as EngineContext

async function call<T>(method: string, input: unknown = {}): Promise<T> {
  const r = await core.call(method, input)
  if (!r.ok) throw new Error(`${method}: ${r.error.message}`)
  return r.data as T
}

const setNotifications = (over: Partial<NotificationSettings>) => call('settings.update', { notifications: { ...DEFAULT_SETTINGS.notifications, ...over } })

beforeAll(async () => {
  server = createServer((req, res) => {
    let data = ''
    req.on('data', (c: Buffer) => (data += c.toString()))
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: JSON.parse(data) as { text: string; content: string } })
      res.statusCode = failures.shift() ?? 200
      res.end('ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/services/${SECRET}`
  dataDir = mkdtempSync(join(tmpdir(), 'baton-notify-'))
  core = await createCore({ dataDir, mode: 'headless', env: {}, log: createLogger({ level: 'debug', write: (l) => logs.push(l) }), webhook: { backoffMs: 20, tries: 3 } })
  core.db
    .prepare("INSERT INTO repos (id, key, host, api_url, owner, name, default_branch, connected_at) VALUES (1, 'github.com/acme/calc', 'github.com', 'https://api.github.com', 'acme', 'calc', 'main', ?)")
    .run(new Date().toISOString())
  core.notifier.onDesktop((n) => notices.push(n))
}, 30_000)

afterAll(async () => {
  await core?.close()
  await new Promise((resolve) => server.close(resolve))
})

beforeEach(async () => {
  received = []
  failures = []
  notices.length = 0
  await setNotifications({})
})

describe('the webhook', () => {
  it('is kept as a secret: Settings sees its host, never the URL', async () => {
    expect(await call('notify.webhook')).toMatchObject({ set: false, host: null })
    const set = await call<Record<string, unknown>>('notify.setWebhook', { url })
    expect(set).toMatchObject({ set: true, host: new URL(url).host, fromEnv: false })
    expect(JSON.stringify(set)).not.toContain(SECRET)
    const bad = await core.call('notify.setWebhook', { url: 'ftp://example.com/x' })
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad_request', message: expect.stringContaining('https://') } })
    // The file it lives in is the owner's only.
    expect(statSync(join(dataDir, 'secrets', 'webhook.json')).mode & 0o777).toBe(0o600)
  })

  it('a REQUEST reaches it as { text, content }, retried after a 500', async () => {
    failures = [500]
    toInbox(ctx(), task, 'request', 'Which colour should the button be?')
    await core.notifier.idle()
    expect(received).toHaveLength(2)
    expect(received[0]?.path).toBe(`/services/${SECRET}`)
    const { text, content } = received[1]?.body ?? { text: '', content: '' }
    expect(text).toBe('[Baton · Question] architect asks about #3\nWhich colour should the button be?')
    expect(content).toBe(text)
    // The desktop's notice opens the inbox.
    expect(notices).toEqual([{ title: 'architect asks about #3', body: 'Which colour should the button be?', route: '#/inbox' }])
  })

  it('gives up on a refusal (404) at once, and after its tries on 5xx', async () => {
    failures = [404]
    toInbox(ctx(), task, 'failure', 'The Engineer could not finish #3')
    await core.notifier.idle()
    expect(received).toHaveLength(1)
    failures = [502, 503, 500]
    toInbox(ctx(), task, 'failure', 'Still failing')
    await core.notifier.idle()
    expect(received).toHaveLength(4)
    expect(logs.some((l) => l.includes('the webhook failed after 3 tries') && l.includes('answered 500'))).toBe(true)
  })

  it('is not sent when its kind or the webhook is turned off; other kinds still are', async () => {
    await setNotifications({ request: false })
    toInbox(ctx(), task, 'request', 'Nobody hears this')
    await core.notifier.idle()
    expect(received).toHaveLength(0)
    expect(notices).toHaveLength(0)
    toInbox(ctx(), task, 'failure', 'A failure still notifies')
    await core.notifier.idle()
    expect(received.map((r) => r.body.text)).toEqual(['[Baton · Needs you] #3 needs you\nA failure still notifies'])

    await setNotifications({ webhook: false })
    received = []
    notices.length = 0
    toInbox(ctx(), task, 'request', 'Desktop only')
    await core.notifier.idle()
    expect(received).toHaveLength(0)
    expect(notices.map((n) => n.body)).toEqual(['Desktop only'])

    await setNotifications({ desktop: false })
    notices.length = 0
    toInbox(ctx(), task, 'request', 'Webhook only')
    await core.notifier.idle()
    expect(notices).toHaveLength(0)
    expect(received).toHaveLength(1)
  })

  it('a PR ready for review and a spent budget notify too; a move to an agent stage does not', async () => {
    core.db
      .prepare("INSERT INTO pulls (repo_id, number, issue, title, state, head, base, head_sha, author, created_at, updated_at) VALUES (1, 12, 3, 'Throw on divide by zero', 'open', 'baton/3-divide', 'main', 'abc123', 'baton', ?, ?)")
      .run(new Date().toISOString(), new Date().toISOString())
    const o = { db: core.db, events: core.events, pipeline: defaultPipeline }
    notifyIfReady(o, 1, 3, 'ready-for-dev')
    notifyIfReady(o, 1, 3, 'needs-review')
    core.events.emit({ type: 'notify', kind: 'budget', title: '#3: a budget is spent', body: '$5.00 of $5.00 per issue', repoId: 1, issue: 3 })
    await core.notifier.idle()
    expect(received.map((r) => r.body.text)).toEqual(['[Baton · Ready for review] PR #12 for #3 is ready for your review\nThrow on divide by zero', '[Baton · Budget spent] #3: a budget is spent\n$5.00 of $5.00 per issue'])
    expect(notices.map((n) => n.route)).toEqual(['#/pr/1/12', '#/inbox'])
    await setNotifications({ review: false, budget: false })
    received = []
    notifyIfReady(o, 1, 3, 'needs-review')
    core.events.emit({ type: 'notify', kind: 'budget', title: '#3: a budget is spent', body: 'again', repoId: 1, issue: 3 })
    await core.notifier.idle()
    expect(received).toHaveLength(0)
  })

  it('a test message goes out once, whatever the settings', async () => {
    await setNotifications({ webhook: false })
    failures = [500]
    expect(await call('notify.testWebhook')).toMatchObject({ ok: false, status: 500, tries: 1 })
    expect(await call('notify.testWebhook')).toMatchObject({ ok: true, status: 200, tries: 1 })
    expect(received.at(-1)?.body.text).toContain('Baton can reach this channel')
  })

  it('the URL is never in SQLite nor in a log line', async () => {
    // A line that would carry it is masked: the URL was registered with the log masker.
    core.log.warn(`posting to ${url}`)
    expect(logs.at(-1)).toContain('***')
    expect(logs.join('\n')).not.toContain(SECRET)
    core.db.pragma('wal_checkpoint(TRUNCATE)')
    const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]))
    const holding = files(dataDir).filter((f) => readFileSync(f).includes(SECRET))
    expect(holding).toEqual([join(dataDir, 'secrets', 'webhook.json')])
    const audit = core.db.prepare("SELECT message FROM events WHERE kind LIKE 'notify.%'").all() as Array<{ message: string }>
    expect(audit.map((a) => a.message)).toContain(`Webhook set (${new URL(url).host})`)
  })

  it('BATON_NOTIFY_WEBHOOK leaves main\'s environment at start, and no child gets it', () => {
    const env: NodeJS.ProcessEnv = { BATON_NOTIFY_WEBHOOK: url, PATH: '/usr/bin' }
    const kept = takeEnvSecrets(env)
    expect(env.BATON_NOTIFY_WEBHOOK).toBeUndefined()
    expect(kept.BATON_NOTIFY_WEBHOOK).toBe(url)
    expect(withoutCredentials(kept)).toEqual({ PATH: '/usr/bin' })
  })

  it('after a network error it tries again, then reports the host only', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise((resolve) => closed.close(resolve))
    const result = await sendWebhook(`http://127.0.0.1:${port}/hook/${SECRET}`, { text: 'x', content: 'x' }, { tries: 3, backoffMs: 5 })
    expect(result).toMatchObject({ ok: false, status: null, tries: 3, error: `127.0.0.1:${port} could not be reached (network error)` })
    expect(result.error).not.toContain(SECRET)
  })
})
