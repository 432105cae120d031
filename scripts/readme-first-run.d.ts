// Types for scripts/readme-first-run.js (plain JS: .ci/run runs it with no build), for the TypeScript that imports it (bench/first-run.ts, its unit test).
import type { ChildProcess } from 'node:child_process'

export function readmeCommands(readme: string): { install: string; headless: string; others: string[] }
export function freshClone(repo: string, dir: string): string
export function runShown(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<number>
export function killGroup(child: ChildProcess, signal?: NodeJS.Signals): void
export function startUntilUrl(command: string, cwd: string, env: NodeJS.ProcessEnv, timeoutMs?: number): Promise<{ child: ChildProcess; url: string; ms: number; output: string }>
export function stopGroup(child: ChildProcess, graceMs?: number): Promise<void>
export function checkAnswers(printed: string): Promise<{ mode: string; database: { schemaVersion: number; latestVersion: number } } & Record<string, unknown>>
