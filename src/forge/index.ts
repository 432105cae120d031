// The local GitHub-compatible forge (DESIGN.md §8). See README.md.
export { createForge } from './forge'
export type { Forge, ForgeOptions, AddUserInput, AddRepoInput, CreateIssueInput } from './forge'
export type { ForgeSettings } from './http/server'
export { parseSeed, forgeSeedSchema, ForgeSeedError, permissionLevels } from './seed'
export type { ForgeSeed, ParsedSeed, Permission } from './seed'
export type { FaultRule, ActiveFault } from './faults'
export type { RequestLogEntry } from './request-log'
