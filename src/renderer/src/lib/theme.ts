import type { Theme } from '../../../shared/api'

const media = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null
let current: Theme = 'system'

function apply(): void {
  const dark = current === 'dark' || (current === 'system' && Boolean(media?.matches))
  document.documentElement.dataset.theme = dark ? 'dark' : 'light'
}

media?.addEventListener('change', apply)

export function setTheme(theme: Theme): void {
  current = theme
  apply()
}
