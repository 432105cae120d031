// better-sqlite3 is a native module: node_modules holds the build for Node
// (tests, headless, CLI); the desktop app loads a second build made for
// Electron's ABI (scripts/electron-native.js; in a release, a resource), so
// neither breaks the other.
import { existsSync } from 'node:fs'
import { join } from 'node:path'

export function electronNativeBinding(options: { packaged: boolean; resourcesPath: string; appPath: string }): string | undefined {
  const candidates = options.packaged
    ? [join(options.resourcesPath, 'native', 'better_sqlite3.node')]
    : [join(options.appPath, '.electron-native', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node')]
  return candidates.find((file) => existsSync(file))
}
