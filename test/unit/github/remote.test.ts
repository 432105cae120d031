// Every way people name a repository reduces to one identity.
import { describe, expect, it } from 'vitest'
import { apiUrlFor, hostOfApi, parseRemote } from '../../../src/main/github/remote'
import { webBase } from '../../../src/main/store/web-url'
import { AppError } from '../../../src/shared/errors'

describe('parseRemote', () => {
  const same = [
    'Octo-Cat/Hello.World',
    ' octo-cat/hello.world ',
    'https://github.com/Octo-Cat/Hello.World',
    'https://github.com/octo-cat/hello.world.git',
    'https://github.com/octo-cat/hello.world/',
    'https://www.github.com/octo-cat/hello.world',
    'http://GitHub.com/octo-cat/hello.world',
    'git@github.com:Octo-Cat/Hello.World.git',
    'git@github.com:octo-cat/hello.world',
    'ssh://git@github.com/octo-cat/hello.world.git',
    'ssh://git@github.com:22/octo-cat/hello.world.git',
    'git+ssh://git@github.com/octo-cat/hello.world'
  ]
  it.each(same)('%s → github.com/octo-cat/hello.world', (input) => {
    const ref = parseRemote(input)
    expect(ref.key).toBe('github.com/octo-cat/hello.world')
    expect(ref.host).toBe('github.com')
    expect(ref.owner.toLowerCase()).toBe('octo-cat')
    expect(ref.name.toLowerCase()).toBe('hello.world')
  })

  it('keeps the spelling typed, lowers only the key', () => {
    expect(parseRemote('Octo-Cat/Hello.World')).toEqual({ host: 'github.com', owner: 'Octo-Cat', name: 'Hello.World', key: 'github.com/octo-cat/hello.world' })
  })

  it('GHES hosts: https with a port, ssh without its port', () => {
    expect(parseRemote('https://ghe.example.com/acme/shop.git').key).toBe('ghe.example.com/acme/shop')
    expect(parseRemote('git@ghe.example.com:acme/shop.git').key).toBe('ghe.example.com/acme/shop')
    expect(parseRemote('ssh://git@ghe.example.com:2222/acme/shop').key).toBe('ghe.example.com/acme/shop')
    expect(parseRemote('http://127.0.0.1:4747/acme/shop.git').key).toBe('127.0.0.1:4747/acme/shop')
    expect(parseRemote('https://ghe.example.com:443/acme/shop').key).toBe('ghe.example.com/acme/shop')
  })

  it('owner/name takes the default host (the signed-in one)', () => {
    expect(parseRemote('acme/shop', '127.0.0.1:4747').key).toBe('127.0.0.1:4747/acme/shop')
  })

  const bad = ['', '   ', 'shop', 'acme/', '/shop', 'acme/shop/extra', 'https://github.com/acme', 'https://github.com/acme/shop/tree/main', 'ftp://github.com/a/b', 'a b/c', 'acme/sh op', '-acme/shop', 'acme/..', 'https://', 'file:///tmp/a/b']
  it.each(bad)('refuses %j with a message that shows the accepted forms', (input) => {
    let error: unknown
    try {
      parseRemote(input)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(AppError)
    expect((error as AppError).code).toBe('bad_request')
    expect((error as AppError).message).toMatch(/owner\/name/)
  })
})

describe('hosts and URLs', () => {
  it('maps github.com and GHES', () => {
    expect(apiUrlFor('github.com')).toBe('https://api.github.com')
    expect(apiUrlFor('ghe.example.com')).toBe('https://ghe.example.com/api/v3')
    expect(hostOfApi('https://api.github.com')).toBe('github.com')
    expect(hostOfApi('http://127.0.0.1:4747/api/v3')).toBe('127.0.0.1:4747')
    expect(webBase('https://api.github.com', 'a', 'b')).toBe('https://github.com/a/b')
    expect(webBase('http://127.0.0.1:4747/api/v3', 'a', 'b')).toBe('http://127.0.0.1:4747/a/b')
  })
})
