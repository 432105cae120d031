// Issue text is untrusted (DESIGN.md §9): Markdown goes through marked, then
// DOMPurify with a tight allow-list. Links may only point to http(s) or mailto
// and always open in a new window without an opener, so a page can never
// navigate the app away or reach back into it.
import DOMPurify from 'dompurify'
import hljs from 'highlight.js/lib/common'
import { Marked } from 'marked'
import { isSafeMarkdownHref } from '../../../shared/safe-url'
import { memoByText } from './memo-text'

const marked = new Marked({ gfm: true, breaks: false, async: false })
// Code in issues is highlighted when its fence names a language highlight.js
// knows (no guessing: highlightAuto is slow on long logs, and a wrong guess
// misleads). highlight.js escapes the code; only its hljs-* classes survive
// the sanitizer below.
marked.use({
  renderer: {
    code({ text, lang }) {
      const language = (lang ?? '').trim().split(/\s+/)[0]?.toLowerCase() ?? ''
      if (!language || !hljs.getLanguage(language)) return false
      const html = hljs.highlight(text, { language, ignoreIllegals: true }).value
      return `<pre><code class="hljs language-${language}">${html}</code></pre>\n`
    }
  }
})
const HLJS_CLASS = /^(?:hljs(?:-[a-z0-9_]+)*|language-[a-z0-9_+#-]+|[a-z_]+_)$/

let hooked = false
function installHooks(): void {
  if (hooked) return
  hooked = true
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    // Classes only from highlight.js, only on code and its spans: issue text cannot style the app.
    if (node.hasAttribute('class')) {
      const kept = node.tagName === 'SPAN' || node.tagName === 'CODE' ? (node.getAttribute('class') ?? '').split(/\s+/).filter((c) => HLJS_CLASS.test(c)) : []
      if (kept.length) node.setAttribute('class', kept.join(' '))
      else node.removeAttribute('class')
    }
    if (node.tagName === 'A') {
      const href = node.getAttribute('href') ?? ''
      if (!isSafeMarkdownHref(href)) node.removeAttribute('href')
      else if (!href.startsWith('#')) {
        node.setAttribute('target', '_blank')
        node.setAttribute('rel', 'noopener noreferrer nofollow')
      }
    }
    if (node.tagName === 'IMG') {
      if (!node.getAttribute('alt')) node.setAttribute('alt', 'image')
      const src = node.getAttribute('src') ?? ''
      // Only https images: no data: tricks, no plain-http tracking pixels.
      if (!/^https:/i.test(src.trim())) node.removeAttribute('src')
      node.setAttribute('loading', 'lazy')
      node.setAttribute('referrerpolicy', 'no-referrer')
    }
  })
}

const CONFIG = {
  ALLOWED_TAGS: [
    'a', 'b', 'blockquote', 'br', 'code', 'del', 'details', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'i', 'img', 'input',
    'kbd', 'li', 'ol', 'p', 'pre', 's', 'span', 'strong', 'sub', 'summary', 'sup', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul'
  ],
  ALLOWED_ATTR: ['href', 'title', 'alt', 'src', 'type', 'checked', 'disabled', 'align', 'colspan', 'rowspan', 'start', 'class'],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false
}

/** Markdown → HTML that is safe to insert with {@html}; the same text is rendered once (memo-text.ts). */
export const renderMarkdown = memoByText(renderMarkdownNow)

function renderMarkdownNow(source: string): string {
  installHooks()
  // Baton's hidden markers (<!-- baton:… -->) are for machines, not people.
  const html = marked.parse(source.replace(/<!--[\s\S]*?-->/g, ''), { async: false }) as string
  const fragment = DOMPurify.sanitize(html, { ...CONFIG, RETURN_DOM_FRAGMENT: true })
  // Inputs survive only as task-list checkboxes (inert, labelled); an image
  // whose address was refused is dropped rather than shown broken.
  for (const input of fragment.querySelectorAll('input')) {
    if (input.getAttribute('type') !== 'checkbox') input.remove()
    else {
      input.setAttribute('disabled', '')
      input.setAttribute('aria-label', input.hasAttribute('checked') ? 'done' : 'not done')
    }
  }
  for (const img of fragment.querySelectorAll('img:not([src])')) img.remove()
  // A code block scrolls sideways: a keyboard reaches it (axe: scrollable-region-focusable).
  for (const pre of fragment.querySelectorAll('pre')) pre.setAttribute('tabindex', '0')
  const out = document.createElement('div')
  out.append(fragment)
  return out.innerHTML
}

/** Plain-text excerpt of Markdown (for cards and list rows). */
export function excerpt(source: string, max = 160): string {
  const text = source
    .replace(/<!--[\s\S]*?-->/g, '')
    .replace(/<[^>]*>/g, '')
    .replace(/[#>*_`~[\]()!-]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
