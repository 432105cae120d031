import { expect, it } from 'vitest'
import { parseRequestTarget } from '../../src/main/request-target'

it('reads origin-form paths, decoded, with their query', () => {
  const target = parseRequestTarget('/api/app.status?token=abc&x=%')
  expect(target).toMatchObject({ ok: true, pathname: '/api/app.status', path: '/api/app.status' })
  expect(target.ok && target.searchParams.get('token')).toBe('abc')
  expect(parseRequestTarget('/caf%C3%A9')).toMatchObject({ ok: true, pathname: '/caf%C3%A9', path: '/café' })
})

it('keeps `//` a path, never an authority', () => {
  expect(parseRequestTarget('//')).toMatchObject({ ok: true, pathname: '//' })
  expect(parseRequestTarget('//evil.example/x')).toMatchObject({ ok: true, pathname: '//evil.example/x' })
  expect(parseRequestTarget('/\\evil.example')).toMatchObject({ ok: true, pathname: '//evil.example' })
})

it('removes dot segments, escaped or not, before a path names a file', () => {
  expect(parseRequestTarget('/a/../../b')).toMatchObject({ ok: true, path: '/b' })
  expect(parseRequestTarget('/%2e%2e/%2e%2e/etc/passwd')).toMatchObject({ ok: true, path: '/etc/passwd' })
  // An escaped slash is not a separator for the URL parser: the file check in serve.ts catches it.
  expect(parseRequestTarget('/..%2f..%2fbaton.db')).toMatchObject({ ok: true, path: '/../../baton.db' })
})

it.each([
  ['/%', /percent-encoded/],
  ['/%E0%A4%A', /percent-encoded/],
  ['/%ED%A0%80', /percent-encoded/], // a UTF-16 surrogate
  ['/%C0%AF', /percent-encoded/], // an overlong '/'
  ['/%/../x', /percent-encoded/], // malformed as sent, even though normalizing would drop it
  ['/a%00b', /NUL/],
  ['*', /origin-form/],
  ['http://127.0.0.1/', /origin-form/],
  ['', /origin-form/],
  [undefined, /origin-form/]
])('refuses %j with a message', (raw, message) => {
  const target = parseRequestTarget(raw)
  expect(target.ok).toBe(false)
  expect(!target.ok && target.message).toMatch(message)
})
