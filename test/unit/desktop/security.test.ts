// Pins the desktop window's security settings (DESIGN.md §9) without Electron.
import { readFileSync } from 'node:fs'
import { join, sep } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CONTENT_SECURITY_POLICY } from '../../../src/main/serve'
import {
  APP_ORIGIN,
  externalUrl,
  isAllowedNavigation,
  isTrustedSender,
  RELEASE_FUSES,
  rendererPath,
  webPreferences
} from '../../../src/main/desktop/security'

describe('desktop security', () => {
  it('the window runs isolated, sandboxed, with no Node in the page', () => {
    const prefs = webPreferences('/app/preload/index.cjs')
    expect(prefs).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false
    })
    expect(prefs.preload.endsWith('.cjs')).toBe(true)
  })

  it('the desktop entry uses these preferences and these handlers', () => {
    const entry = readFileSync('src/main/index.ts', 'utf8')
    expect(entry).toContain('webPreferences: webPreferences(')
    expect(entry).toContain('setWindowOpenHandler')
    expect(entry).toMatch(/return \{ action: 'deny' \}/)
    expect(entry).toContain("'will-navigate'")
    expect(entry).toContain('isTrustedSender(event.senderFrame?.url)')
    expect(entry).toContain('registerSchemesAsPrivileged')
    expect(entry).not.toMatch(/loadFile\(|loadURL\(\s*['"`]file:/)
  })

  it('only our own page may call the API', () => {
    expect(isTrustedSender(`${APP_ORIGIN}/index.html`)).toBe(true)
    expect(isTrustedSender('baton://app/')).toBe(true)
    expect(isTrustedSender('baton://evil/index.html')).toBe(false)
    expect(isTrustedSender('https://app/')).toBe(false)
    expect(isTrustedSender('file:///etc/passwd')).toBe(false)
    expect(isTrustedSender('')).toBe(false)
    expect(isTrustedSender(undefined)).toBe(false)
    expect(isTrustedSender('not a url')).toBe(false)
  })

  it('never navigates away, and opens only http(s) links outside', () => {
    expect(isAllowedNavigation('https://github.com/')).toBe(false)
    expect(isAllowedNavigation(`${APP_ORIGIN}/index.html#/inbox`)).toBe(true)
    expect(externalUrl('https://github.com/acme/shop/pull/3')).toBe('https://github.com/acme/shop/pull/3')
    expect(externalUrl('http://example.com')).toBe('http://example.com/')
    expect(externalUrl('file:///etc/passwd')).toBeNull()
    expect(externalUrl('javascript:alert(1)')).toBeNull()
    expect(externalUrl('smb://host/share')).toBeNull()
    expect(externalUrl('nonsense')).toBeNull()
  })

  it('the app protocol serves only files inside the renderer folder', () => {
    const dir = join('/opt', 'baton', 'renderer')
    expect(rendererPath('baton://app/', dir, join, sep)).toBe(join(dir, 'index.html'))
    expect(rendererPath('baton://app/assets/a.js', dir, join, sep)).toBe(join(dir, 'assets', 'a.js'))
    expect(rendererPath('baton://app/..%2F..%2Fetc%2Fpasswd', dir, join, sep)).toBeNull()
    expect(rendererPath('baton://other/index.html', dir, join, sep)).toBeNull()
  })

  it('a strict Content-Security-Policy: no inline or remote script, no plugins', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'")
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*(unsafe-inline|unsafe-eval|https?:)/)
    expect(CONTENT_SECURITY_POLICY).toContain("object-src 'none'")
    const html = readFileSync('src/renderer/index.html', 'utf8')
    expect(html).toContain("script-src 'self'")
  })

  it('release fuses keep run-as-node (agents need it) and turn the rest off', () => {
    expect(RELEASE_FUSES.runAsNode).toBe(true)
    expect(RELEASE_FUSES.enableNodeOptionsEnvironmentVariable).toBe(false)
    expect(RELEASE_FUSES.enableNodeCliInspectArguments).toBe(false)
    expect(RELEASE_FUSES.onlyLoadAppFromAsar).toBe(true)
  })

  it('the preload exposes named functions, not ipcRenderer', () => {
    const preload = readFileSync('src/preload/index.ts', 'utf8')
    expect(preload).toContain("exposeInMainWorld('baton'")
    expect(preload).not.toMatch(/exposeInMainWorld\([^)]*ipcRenderer\s*\)/)
    expect(preload).toContain('(_event: unknown, payload: ApiEvent) => listener(payload)')
  })
})
