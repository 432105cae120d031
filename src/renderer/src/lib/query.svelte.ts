// A live query: calls an API method, keeps the result, and calls again when
// the core says one of the query's topics changed.
import type { ApiInput, ApiMethod, ApiOutput, Topic } from '../../../shared/api'
import { ApiError, call, onEvent } from './api'

export class Query<M extends ApiMethod> {
  // Raw: a result is replaced whole on every refresh, never mutated in place, and
  // deep proxies over 10,000 board cards would cost hundreds of milliseconds.
  data = $state.raw<ApiOutput<M> | undefined>(undefined)
  error = $state<ApiError | null>(null)
  loading = $state(true)
  private inflight = false
  private again = false

  constructor(
    private readonly method: M,
    private readonly input: () => ApiInput<M>,
    private readonly topics: Topic[]
  ) {}

  /** Starts loading and listening; returns the stop function (use in $effect). */
  start(): () => void {
    void this.refresh()
    return onEvent((event) => {
      if (event.type === 'changed' && event.topics.some((topic) => this.topics.includes(topic))) void this.refresh()
    })
  }

  async refresh(): Promise<void> {
    if (this.inflight) {
      this.again = true
      return
    }
    this.inflight = true
    try {
      const run = call as (method: M, input: ApiInput<M>) => Promise<ApiOutput<M>>
      this.data = await run(this.method, this.input())
      this.error = null
    } catch (error) {
      this.error = error instanceof ApiError ? error : new ApiError('transport', String(error))
    } finally {
      this.loading = false
      this.inflight = false
      if (this.again) {
        this.again = false
        void this.refresh()
      }
    }
  }
}
