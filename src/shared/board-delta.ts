// Applying `issues.boardChanges` answers to a board, shared by the renderer
// (lib/board.svelte.ts) and the tests that pin the protocol. Pure: unchanged
// cards keep their identity, so a keyed list re-renders only the changed ones.
import type { BoardDelta, BoardIssue } from './api'

export const boardKey = (card: { repoId: number; number: number }): string => `${card.repoId}#${card.number}`

/** The board's order: by number, then repository (as the core sorts). */
export const byNumber = (a: BoardIssue, b: BoardIssue): number => a.number - b.number || a.repoId - b.repoId

export interface BoardState {
  cards: BoardIssue[]
  epoch: string
  version: number
}

/**
 * What we have after an answer: the whole board, or ours patched. Null when a
 * delta does not follow on from our version and epoch (ask for the whole board).
 */
export function applyBoardDelta(state: BoardState | null, delta: BoardDelta): BoardState | null {
  if (delta.kind === 'full') return { cards: delta.cards, epoch: delta.epoch, version: delta.version }
  if (!state || delta.epoch !== state.epoch || delta.from !== state.version) return null
  if (!delta.cards.length && !delta.removed.length) return { ...state, version: delta.version }
  const changed = new Map(delta.cards.map((c) => [boardKey(c), c]))
  const removed = new Set(delta.removed)
  // Looked up by number first: no key string per card of 10,000.
  const touched = new Set<number>([...delta.cards.map((c) => c.number), ...delta.removed.map((k) => Number(k.slice(k.indexOf('#') + 1)))])
  const cards: BoardIssue[] = []
  for (const card of state.cards) {
    if (!touched.has(card.number)) {
      cards.push(card)
      continue
    }
    const key = boardKey(card)
    if (removed.has(key)) continue
    const next = changed.get(key)
    if (next) {
      cards.push(next)
      changed.delete(key)
    } else cards.push(card)
  }
  if (changed.size) {
    // New cards: in the core's order.
    cards.push(...changed.values())
    cards.sort(byNumber)
  }
  return { cards, epoch: delta.epoch, version: delta.version }
}
