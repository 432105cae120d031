// The pipeline board, kept live by deltas: the whole board once, then only the
// cards that changed. A `changed` event naming issues or tasks carries the
// board's version; when it is newer than ours we ask for what changed since
// (`issues.boardChanges`) and patch: unchanged cards keep their objects, so the
// keyed virtual list re-renders only the changed ones. The core answers with
// the whole board when it cannot answer a delta (another epoch after a
// restart, a version it no longer holds, too many changes); an event without a
// version (a reconnect) makes us ask too.
//
// One store for the app, kept while other screens show: coming back to the
// board costs a render, not a 10,000-card fetch.
import type { ApiEvent, BoardDelta, BoardIssue } from '../../../shared/api'
import { applyBoardDelta, type BoardState } from '../../../shared/board-delta'
import { ApiError, call, onEvent } from './api'

export class BoardStore {
  // Raw: replaced whole on every change (deep proxies over 10,000 cards would cost hundreds of ms).
  data = $state.raw<BoardIssue[] | undefined>(undefined)
  error = $state<ApiError | null>(null)
  loading = $state(true)
  /** Deltas applied and whole boards fetched, for tests and the benchmark. */
  stats = { deltas: 0, full: 0 }
  private state: BoardState | null = null
  private inflight = false
  private again = false
  private forceFull = false
  private started = false
  private retry: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly fetch: (input: { since?: number; epoch?: string }) => Promise<BoardDelta> = (input) => call('issues.boardChanges', input)) {}

  /** Starts once; the store then follows the core for the app's lifetime. */
  start(): void {
    if (this.started) return
    this.started = true
    void this.sync()
    onEvent((event) => this.onEvent(event))
  }

  onEvent(event: ApiEvent): void {
    if (event.type !== 'changed' || !event.topics.some((t) => t === 'issues' || t === 'tasks')) return
    const b = event.board
    // Already at (or past) that version: nothing to ask.
    if (b && this.state && b.epoch === this.state.epoch && b.version <= this.state.version) return
    void this.sync()
  }

  /** The whole board again (the retry button). */
  refresh(): Promise<void> {
    this.forceFull = true
    return this.sync()
  }

  async sync(): Promise<void> {
    if (this.inflight) {
      this.again = true
      return
    }
    this.inflight = true
    try {
      const full = this.forceFull || !this.state
      this.forceFull = false
      const delta = await this.fetch(full || !this.state ? {} : { since: this.state.version, epoch: this.state.epoch })
      let next = applyBoardDelta(this.state, delta)
      if (!next) {
        // Out of step (should not happen: we always ask since our own version): start over.
        next = applyBoardDelta(null, await this.fetch({}))
      }
      if (delta.kind === 'full') this.stats.full++
      else this.stats.deltas++
      if (next && (next.cards !== this.state?.cards || !this.data)) this.data = next.cards
      this.state = next
      this.error = null
    } catch (error) {
      this.error = error instanceof ApiError ? error : new ApiError('transport', String(error))
      // What changed meanwhile is not lost: ask again soon, even if no event comes.
      clearTimeout(this.retry)
      this.retry = setTimeout(() => void this.sync(), 3000)
    } finally {
      this.loading = false
      this.inflight = false
      if (this.again) {
        this.again = false
        void this.sync()
      }
    }
  }
}

export const boardStore = new BoardStore()
