// The workspaces' disk budget: how many bytes the clones and worktrees hold.
import { promises as fs } from 'node:fs'
import { join } from 'node:path'

/** Bytes under `path`, not following symbolic links; 0 when it does not exist. */
export async function folderSize(path: string): Promise<number> {
  let stat
  try {
    stat = await fs.lstat(path)
  } catch {
    return 0
  }
  if (!stat.isDirectory()) return stat.size
  let total = 0
  let entries: string[] = []
  try {
    entries = await fs.readdir(path)
  } catch {
    return 0
  }
  for (const name of entries) total += await folderSize(join(path, name))
  return total
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}
