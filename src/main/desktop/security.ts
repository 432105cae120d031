// The desktop window's security policy as plain data and pure checks, so a
// unit test can pin it without Electron (DESIGN.md §9; Electron's security
// checklist: https://www.electronjs.org/docs/latest/tutorial/security).
export const APP_SCHEME = 'baton'
export const APP_ORIGIN = `${APP_SCHEME}://app`

export interface SecureWebPreferences {
  preload: string
  contextIsolation: true
  sandbox: true
  nodeIntegration: false
  nodeIntegrationInWorker: false
  nodeIntegrationInSubFrames: false
  webSecurity: true
  allowRunningInsecureContent: false
  experimentalFeatures: false
  webviewTag: false
  navigateOnDragDrop: false
  spellcheck: boolean
}

/** Checklist items 2–4, 6, 8, 12: isolation, sandbox, no Node in pages, web security on. */
export function webPreferences(preload: string): SecureWebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: true
  }
}

/** Checklist item 17: the IPC sender must be our own page, from our own origin. */
export function isTrustedSender(frameUrl: string | undefined | null): boolean {
  if (!frameUrl) return false
  try {
    const url = new URL(frameUrl)
    return url.protocol === `${APP_SCHEME}:` && url.host === 'app'
  } catch {
    return false
  }
}

/** Checklist item 13: the window never navigates away from the app. */
export function isAllowedNavigation(target: string): boolean {
  return isTrustedSender(target)
}

/**
 * Checklist item 15: external links open in the browser, and only http(s).
 * Parsed with URL, never a prefix test (`https://github.com.evil` stays out of
 * any allow-list this way).
 */
export function externalUrl(target: string): string | null {
  try {
    const url = new URL(target)
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : null
  } catch {
    return null
  }
}

/** Files the app protocol serves: only inside the renderer folder. */
export function rendererPath(requestUrl: string, rendererDir: string, join: (...p: string[]) => string, sep: string): string | null {
  let url: URL
  try {
    url = new URL(requestUrl)
  } catch {
    return null
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== 'app') return null
  const pathname = decodeURIComponent(url.pathname)
  const file = join(rendererDir, pathname === '/' || pathname === '' ? 'index.html' : pathname)
  return file === rendererDir || file.startsWith(rendererDir + sep) ? file : null
}

/** Fuses turned off in release builds (electron-builder's afterPack flips them). */
export const RELEASE_FUSES = {
  // Kept on: agent processes are this binary started with ELECTRON_RUN_AS_NODE
  // (DESIGN.md §6), so the same code runs under Electron and Node.
  runAsNode: true,
  enableCookieEncryption: true,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true
} as const
