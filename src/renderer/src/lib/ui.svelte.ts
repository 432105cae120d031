// App-wide UI state that several screens and the command palette share.
export const ui = $state({
  /** The "New issue" dialog is open. */
  newIssue: false,
  /** The command palette is open. */
  palette: false,
  /** Short-lived messages (notify events, confirmations). */
  toasts: [] as Array<{ id: number; tone: 'info' | 'warn' | 'danger' | 'ok'; title: string; body: string }>
})

let nextToast = 1
export function toast(tone: 'info' | 'warn' | 'danger' | 'ok', title: string, body = '', ttlMs = 6000): void {
  const id = nextToast++
  ui.toasts.push({ id, tone, title, body })
  setTimeout(() => {
    const i = ui.toasts.findIndex((t) => t.id === id)
    if (i >= 0) ui.toasts.splice(i, 1)
  }, ttlMs)
}
