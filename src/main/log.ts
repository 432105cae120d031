// A small logger that never prints a secret: every token Baton loads is
// registered here and masked in every line (DESIGN.md §9).
const secrets = new Set<string>()

export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 6) secrets.add(value)
}

export function redact(text: string): string {
  let out = text
  for (const secret of secrets) out = out.split(secret).join('***')
  return out
}

export type Level = 'debug' | 'info' | 'warn' | 'error'
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  debug(message: string, data?: unknown): void
  info(message: string, data?: unknown): void
  warn(message: string, data?: unknown): void
  error(message: string, data?: unknown): void
}

export function createLogger(options: { level?: Level; write?: (line: string) => void } = {}): Logger {
  const min = order[options.level ?? ((process.env.BATON_LOG_LEVEL as Level | undefined) ?? 'info')] ?? order.info
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'))
  const log = (level: Level) => (message: string, data?: unknown) => {
    if (order[level] < min) return
    const extra = data === undefined ? '' : ' ' + (data instanceof Error ? data.stack ?? data.message : JSON.stringify(data))
    write(redact(`${new Date().toISOString()} ${level.padEnd(5)} ${message}${extra}`))
  }
  return { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') }
}
