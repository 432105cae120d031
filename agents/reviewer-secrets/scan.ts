// Key-shaped strings in a line of added code. Each pattern is a kind of
// credential whose shape is its own (an AWS access key id is AKIA and 16
// capitals or digits; a GitHub token ghp_ and 36 letters), so a match is all
// but surely a key; a long, random-looking value assigned to a name such as
// key, secret or token is likely one. What is found is never repeated in full:
// the review goes on GitHub, where repeating the key would leak it again.
import type { Finding } from '../../src/main/review/findings'

export interface SecretHit {
  rule: string
  what: string
  severity: Finding['severity']
  /** The value found, for masking (never posted). */
  value: string
}

const SHAPES: Array<{ rule: string; what: string; re: RegExp }> = [
  { rule: 'secret/private-key', what: 'a private key block', re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----/ },
  { rule: 'secret/aws-access-key', what: 'an AWS access key id', re: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  { rule: 'secret/github-token', what: 'a GitHub token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/ },
  { rule: 'secret/sk-key', what: 'an API secret key (sk-…)', re: /\bsk-(?:ant-|proj-|live_|test_)?[A-Za-z0-9_-]{20,}/ },
  { rule: 'secret/slack-token', what: 'a Slack token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/ }
]

/** A name that says it holds a secret, then `=` or `:`, then a quoted value. */
const ASSIGNMENT = /([A-Za-z_$][\w$.-]*?(?:key|secret|token|passwd|password|pwd|credential)s?)["']?\s*(?::=|=>|[:=])\s*(["'`])([^"'`\s]{16,})\2/i

/** Shannon entropy of a string, bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>()
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1)
  let bits = 0
  for (const n of counts.values()) {
    const p = n / s.length
    bits -= p * Math.log2(p)
  }
  return bits
}

/** Values that look random enough to be a key: 3.5 bits a character (English prose is about 2.5, a hex sha 4, base64 near 6). */
export const ENTROPY_BITS = 3.5

export function scanLine(text: string): SecretHit[] {
  const hits: SecretHit[] = []
  for (const s of SHAPES) {
    const m = s.re.exec(text)
    if (m) hits.push({ rule: s.rule, what: s.what, severity: 'critical', value: m[0] })
  }
  if (hits.length) return hits
  const a = ASSIGNMENT.exec(text)
  if (a) {
    const value = a[3] as string
    // A placeholder ("changeme", "your-token-here", ${ENV}) is no key.
    const placeholder = /^(x+|\*+|\.+|<.*>|\$\{.*\}|.*(example|change.?me|your|dummy|placeholder|redacted).*)$/i.test(value)
    if (!placeholder && entropy(value) >= ENTROPY_BITS) {
      hits.push({ rule: 'secret/high-entropy', what: `a random-looking value assigned to ${a[1]}`, severity: 'recommendation', value })
    }
  }
  return hits
}

/** The value as a review may show it: its first four characters and its length. */
export const masked = (value: string): string => `${value.slice(0, 4)}… (${value.length} characters)`
