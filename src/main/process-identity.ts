// What tells one process from a later one that was given the same PID (issue
// #11: "One Baton per folder, by identity"). A PID alone is reused: after a
// crash or a reboot an unrelated process may hold the PID a stale lock names.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

/**
 * An identity for the running process `pid`, stable for its lifetime and
 * different for any later process with that PID; undefined when it is gone or
 * this platform cannot tell (callers must then fail safe).
 *
 * - Linux: the boot id (/proc/sys/kernel/random/boot_id) and the start time in
 *   clock ticks since boot (/proc/<pid>/stat field 22): a PID reused after a
 *   reboot has another boot id, one reused since boot another start time.
 * - macOS and the BSDs: `ps -o lstart=`, the kernel's record of when it started
 *   (to the second; PIDs there are not handed out again within a second).
 * - Windows: undefined.
 */
export function processIdentity(pid: number, platform: NodeJS.Platform = process.platform): string | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined
  if (platform === 'linux') return linuxIdentity(pid)
  if (platform === 'win32') return undefined
  return psIdentity(pid)
}

function linuxIdentity(pid: number): string | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return undefined
  }
  // Field 2, the command name, is in parentheses and may itself hold spaces and
  // parentheses: count fields from the last ')'. What follows starts at field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const startTime = fields[22 - 3]
  if (!startTime || !/^\d+$/.test(startTime)) return undefined
  let bootId = ''
  try {
    bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
  } catch {
    // Without a boot id the start time alone still tells processes of this boot apart.
  }
  return `linux:${bootId}:${startTime}`
}

function psIdentity(pid: number): string | undefined {
  const ps = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/bin:/usr/bin', LC_ALL: 'C' },
    timeout: 5_000
  })
  const started = ps.status === 0 ? ps.stdout.trim() : ''
  return started ? `ps:${started}` : undefined
}
