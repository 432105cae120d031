import { chmodSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, it } from 'vitest'
import { defaultDataDir, prepareDataDir } from '../../src/main/data-dir'

it('follows each platform convention', () => {
  expect(defaultDataDir({ XDG_DATA_HOME: '/x/data' }, 'linux')).toBe('/x/data/baton')
  expect(defaultDataDir({ XDG_DATA_HOME: 'relative' }, 'linux')).toMatch(/\.local\/share\/baton$/)
  expect(defaultDataDir({}, 'darwin')).toMatch(/Library\/Application Support\/Baton$/)
  expect(defaultDataDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32')).toContain('Baton')
})

it('an unwritable data folder gets a message that says what to do', () => {
  const parent = mkdtempSync(join(tmpdir(), 'baton-dd-'))
  chmodSync(parent, 0o500)
  const target = join(parent, 'inner')
  if (process.getuid?.() === 0) {
    // root ignores permission bits; use a path under a file instead.
    expect(() => prepareDataDir('/proc/version/baton')).toThrow(/cannot be used .*--data-dir/)
  } else {
    expect(() => prepareDataDir(target)).toThrow(/cannot be used .*--data-dir/)
  }
})
