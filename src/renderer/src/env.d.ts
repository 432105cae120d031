/// <reference types="svelte" />
import type { ApiEvent, ApiResult } from '../../shared/api'

declare global {
  interface Window {
    /** Present in the desktop app only: the preload's bridge. */
    baton?: {
      call(method: string, input: unknown): Promise<ApiResult<unknown>>
      onEvent(listener: (event: ApiEvent) => void): () => void
      platform: string
    }
  }
}
export {}
