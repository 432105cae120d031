// Only http(s) addresses become links (DESIGN.md §9): commit-status and
// check-run URLs in the PR review, and Markdown links.
import { expect, it } from 'vitest'
import { httpUrl, isSafeMarkdownHref } from '../../src/shared/safe-url'

it.each([
  ['https://ci.example/run/1', 'https://ci.example/run/1'],
  ['http://127.0.0.1:8080/job?x=1#l2', 'http://127.0.0.1:8080/job?x=1#l2'],
  ['HTTPS://CI.Example/A', 'https://ci.example/A'],
  ['  https://ci.example/x  ', 'https://ci.example/x']
])('links %j as %j', (value, href) => {
  expect(httpUrl(value)).toBe(href)
})

it.each([
  'javascript:alert(1)',
  'JavaScript:alert(1)',
  ' javascript:alert(1)',
  'java\tscript:alert(1)',
  'java\nscript:alert(1)',
  '\x01javascript:alert(1)',
  'data:text/html,<script>alert(1)</script>',
  'vbscript:msgbox(1)',
  'file:///etc/passwd',
  'ftp://example.com/x',
  'blob:https://example.com/uuid',
  'mailto:a@example.com',
  '/relative/path',
  'relative/path',
  '//evil.example/protocol-relative',
  '#fragment',
  'https://',
  'http:',
  'not a url',
  '',
  '%%%'
])('keeps %j as text', (value) => {
  expect(httpUrl(value)).toBeNull()
})

it('anything that is not a string is no link', () => {
  for (const value of [null, undefined, 42, {}, ['https://x.example'], new URL('https://x.example')]) expect(httpUrl(value)).toBeNull()
})

it('Markdown keeps http(s), mailto and same-page fragments, nothing else', () => {
  for (const ok of ['https://example.com', 'http://example.com/a', 'mailto:a@example.com', '#section', ' https://example.com ']) {
    expect(isSafeMarkdownHref(ok), ok).toBe(true)
  }
  for (const bad of ['javascript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,x', 'vbscript:x', '/relative', 'relative', '//evil.example', '', 'file:///etc/passwd']) {
    expect(isSafeMarkdownHref(bad), bad).toBe(false)
  }
})
