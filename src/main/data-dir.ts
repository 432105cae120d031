// Where Baton keeps its data: the platform's convention, or --data-dir.
import { accessSync, constants, mkdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { AppError } from '../shared/errors'

/** Headless default: the XDG data home on Linux, the usual folders elsewhere. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Baton')
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Baton')
  const xdg = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share')
  return join(xdg, 'baton')
}

/** Creates the folder when missing and checks Baton can write there. */
export function prepareDataDir(dir: string): string {
  const path = resolve(dir)
  try {
    mkdirSync(path, { recursive: true, mode: 0o700 })
    accessSync(path, constants.W_OK | constants.R_OK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error'
    throw new AppError(
      'unavailable',
      `The data folder ${path} cannot be used (${code}). Choose a folder you can write to with --data-dir, or fix its permissions.`,
      { path, code }
    )
  }
  return path
}

export const paths = {
  database: (dataDir: string) => join(dataDir, 'baton.db'),
  lock: (dataDir: string) => join(dataDir, 'baton.lock'),
  ipc: (dataDir: string) => join(dataDir, 'ipc'),
  workspaces: (dataDir: string) => join(dataDir, 'workspaces'),
  logs: (dataDir: string) => join(dataDir, 'logs'),
  secrets: (dataDir: string) => join(dataDir, 'secrets')
}
