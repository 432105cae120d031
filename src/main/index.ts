// The desktop entry: the one module of src/main (with src/main/desktop/ipc.ts)
// that imports electron. It hosts the same core as the headless server and
// bridges its API to the renderer over IPC.
import { app, BrowserWindow, dialog, ipcMain, net, Notification, protocol, safeStorage, shell } from 'electron'
import { join, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { AppError } from '../shared/errors'
import { createCore, type Core } from './app'
import { electronNativeBinding } from './desktop/native'
import {
  APP_ORIGIN,
  APP_SCHEME,
  externalUrl,
  isAllowedNavigation,
  isTrustedSender,
  rendererPath,
  webPreferences
} from './desktop/security'
import { CONTENT_SECURITY_POLICY, startServer, type Server } from './serve'

const here = import.meta.dirname
const rendererDir = join(here, '..', 'renderer')

// Pages come from a privileged custom scheme, never file:// (checklist item 18).
protocol.registerSchemesAsPrivileged([
  { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }
])

let core: Core | null = null
/** The loopback API beside the window (see start()). */
let localServer: Server | null = null
let window: BrowserWindow | null = null

function serveAppProtocol(): void {
  protocol.handle(APP_SCHEME, async (request) => {
    const file = rendererPath(request.url, rendererDir, join, sep)
    if (!file) return new Response('Not found', { status: 404 })
    const response = await net.fetch(pathToFileURL(file).toString()).catch(() => null)
    const ok = response && response.ok ? response : await net.fetch(pathToFileURL(join(rendererDir, 'index.html')).toString())
    const headers = new Headers(ok.headers)
    headers.set('Content-Security-Policy', CONTENT_SECURITY_POLICY)
    headers.set('X-Content-Type-Options', 'nosniff')
    return new Response(ok.body, { status: ok.status, headers })
  })
}

function bridgeApi(current: Core): void {
  ipcMain.handle('baton:call', async (event, method: unknown, input: unknown) => {
    if (!isTrustedSender(event.senderFrame?.url)) {
      return { ok: false, error: { code: 'forbidden', message: 'Untrusted sender.' } }
    }
    return current.call(method, input)
  })
  current.events.subscribe((apiEvent) => {
    for (const win of BrowserWindow.getAllWindows()) {
      if (!win.isDestroyed() && isTrustedSender(win.webContents.getURL())) win.webContents.send('baton:event', apiEvent)
    }
  })
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 1024,
    minHeight: 640,
    show: false,
    title: 'Baton',
    backgroundColor: '#0f1115',
    webPreferences: webPreferences(join(here, '..', 'preload', 'index.cjs'))
  })
  win.once('ready-to-show', () => win.show())
  win.webContents.setWindowOpenHandler(({ url }) => {
    const safe = externalUrl(url)
    if (safe) void shell.openExternal(safe)
    return { action: 'deny' }
  })
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAllowedNavigation(url)) event.preventDefault()
  })
  win.webContents.on('will-attach-webview', (event) => event.preventDefault())
  void win.loadURL(`${APP_ORIGIN}/index.html`)
  return win
}

async function start(): Promise<void> {
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  app.on('second-instance', () => {
    if (window) {
      if (window.isMinimized()) window.restore()
      window.focus()
    }
  })
  await app.whenReady()
  // Deny every permission request (camera, geolocation, …) except notifications.
  app.on('web-contents-created', (_event, contents) => {
    contents.session.setPermissionRequestHandler((_wc, permission, callback) => callback(permission === 'notifications'))
  })
  serveAppProtocol()
  try {
    const sandbox = process.argv.includes('--sandbox')
    core = await createCore({
      // The sandbox keeps its own data folder: its forge, repository and sign-in never mix with the person's.
      dataDir: sandbox ? join(app.getPath('userData'), 'sandbox') : app.getPath('userData'),
      mode: 'desktop',
      sandbox,
      switchMode: (into) => {
        const args = process.argv.slice(1).filter((a) => a !== '--sandbox')
        app.relaunch({ args: into ? [...args, '--sandbox'] : args })
        app.quit()
      },
      nativeBinding: electronNativeBinding({ packaged: app.isPackaged, resourcesPath: process.resourcesPath, appPath: app.getAppPath() }),
      // The token is kept by the OS keychain through safeStorage (DESIGN.md §9).
      cipher: {
        isEncryptionAvailable: () => safeStorage.isEncryptionAvailable(),
        encryptString: (text) => safeStorage.encryptString(text),
        decryptString: (data) => safeStorage.decryptString(data),
        getSelectedStorageBackend: () => (process.platform === 'linux' ? safeStorage.getSelectedStorageBackend() : 'keychain')
      }
    })
  } catch (error) {
    const message = error instanceof AppError ? error.message : String(error)
    dialog.showErrorBox('Baton cannot start', message)
    app.exit(1)
    return
  }
  bridgeApi(core)
  window = createWindow()
  // The same loopback server as `baton serve`, behind a random token of its
  // own (127.0.0.1, Host, token and origin checked: serve.ts): `baton mcp` and
  // the CLI reach the desktop through the lock file's URL and token, and the
  // desktop's own Claude Code and Codex agents get Baton's MCP tools with
  // their task's token (DESIGN.md §11). The window keeps using IPC.
  try {
    localServer = await startServer(core, { port: 0, rendererDir })
    core.lock.update({ url: localServer.url, token: localServer.token })
  } catch (error) {
    core.log.warn(`The desktop's local API (for baton mcp and the CLI) did not start: ${(error as Error).message}`)
  }
  // Native notifications; what shows is decided by the core's policy (src/shared/notify.ts), a click opens the item.
  core.notifier.onDesktop((notice) => {
    if (!Notification.isSupported()) return
    const shown = new Notification({ title: notice.title, body: notice.body })
    shown.on('click', () => {
      const win = window && !window.isDestroyed() ? window : (window = createWindow())
      if (win.isMinimized()) win.restore()
      win.show()
      win.focus()
      // The route is built from numbers by routeOf, never from issue text.
      void win.webContents.executeJavaScript(`location.hash = ${JSON.stringify(notice.route)}`)
    })
    shown.show()
  })
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) window = createWindow()
  })
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
app.on('will-quit', () => {
  void (localServer?.close() ?? Promise.resolve()).finally(() => void core?.close())
})

void start()
