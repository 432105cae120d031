// The core's event hub. `changed` notifications are coalesced per tick so a
// burst of writes costs the renderer one refresh, not one per row.
import type { ApiEvent, BoardVersion, Topic } from '../shared/api'

export type Listener = (event: ApiEvent) => void

export class EventHub {
  private readonly listeners = new Set<Listener>()
  private pending = new Set<Topic>()
  private scheduled = false
  /** The board's version for each `changed` event (set by the core; see store/board-log.ts). */
  board: (() => BoardVersion) | null = null

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  emit(event: ApiEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event)
      } catch {
        // One broken subscriber (a closed socket) must not stop the others.
      }
    }
  }

  changed(...topics: Topic[]): void {
    for (const topic of topics) this.pending.add(topic)
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      const batch = [...this.pending]
      this.pending = new Set()
      if (!batch.length) return
      let board: BoardVersion | undefined
      try {
        // On every batch, not only issues and tasks: what the board shows from
        // outside SQLite (a pipeline changed in Settings) is noticed here too.
        if (this.board) board = this.board()
      } catch {
        // The database is closing: an event without a version makes the renderer ask.
      }
      this.emit(board ? { type: 'changed', topics: batch, board } : { type: 'changed', topics: batch })
    })
  }

  get size(): number {
    return this.listeners.size
  }
}
