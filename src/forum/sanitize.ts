import { decodeHTML } from 'entities'
import sanitizeHtml from 'sanitize-html'

/**
 * The href a browser would follow, if it is an absolute http(s) address, else undefined. sanitize-html's
 * allowedSchemes only checks URLs that carry a scheme, so relative ones ("/api/v1/me", "#x", "?x=1") would
 * pass; the WHATWG parser strips the spaces, tabs and control characters browsers ignore, exactly as they do.
 */
function absoluteWebHref(href: string | undefined): string | undefined {
  if (!href || !URL.canParse(href)) return undefined
  const url = new URL(href)
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined
}

/** The contract's allow-list: everything else is removed, links keep only absolute http(s) hrefs. */
const options: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'strong', 'b', 'em', 'i', 'u', 's', 'blockquote', 'ul', 'ol', 'li', 'code', 'pre', 'a'],
  allowedAttributes: { a: ['href', 'rel'] },
  allowedSchemes: ['http', 'https'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  // Content of these is dropped with the tag, not kept as text.
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'iframe', 'svg', 'math', 'template', 'object', 'embed'],
  disallowedTagsMode: 'discard',
  // Deeper tags are dropped, their text kept: quotes nested a thousand deep cost rendering a second per post.
  nestingLimit: 20,
  transformTags: {
    // The writer's own rel (or anything else) is replaced, and any other href is dropped, keeping the text.
    a: (tagName, attribs) => {
      const href = absoluteWebHref(attribs.href)
      return { tagName, attribs: { ...(href ? { href } : {}), rel: 'nofollow ugc noopener noreferrer' } }
    }
  }
}

const BLOCK_TAG = /<(p|ul|ol|pre|blockquote)[\s>]/
const BLOCK_NAMES = new Set(['p', 'ul', 'ol', 'pre', 'blockquote'])
// Sanitised HTML is well formed and escapes every < and > of the text, so splitting on tags is exact:
// the pieces alternate text, tag, text, tag, text.
const BETWEEN_TAGS = /(<[^>]*>)/

function nesting(piece: string): number {
  if (!piece.startsWith('<') || piece.startsWith('<br')) return 0
  return piece.startsWith('</') ? -1 : 1
}

/** Inline content: blank-line-separated text becomes paragraphs and single newlines <br>. */
function paragraphs(inline: string): string {
  // A block nested in an inline element (<em>a<pre>…</pre></em>) is the writer's own structure.
  if (BLOCK_TAG.test(inline)) return inline
  const found = ['']
  let depth = 0
  for (const piece of inline.split(BETWEEN_TAGS)) {
    // A blank line inside <em>…</em> cannot end the paragraph without breaking the element apart.
    const [first = '', ...rest] = depth === 0 ? piece.split(/\n\s*\n/) : [piece]
    found[found.length - 1] += first
    found.push(...rest)
    depth += nesting(piece)
  }
  return found
    .map((paragraph) => paragraph.trim())
    .filter(Boolean)
    .map((paragraph) => `<p>${paragraph.replace(/\n/g, '<br>')}</p>`)
    .join('')
}

/**
 * Text between the writer's own blocks gets paragraphs and line breaks; the blocks are kept as written,
 * except that what a quote holds is treated like the text around it.
 */
function renderFlow(html: string): string {
  const parts: string[] = []
  let inline = ''
  let block = ''
  let blockName: string | undefined
  let depth = 0
  for (const piece of html.split(BETWEEN_TAGS)) {
    const opened = /^<([a-z]+)/.exec(piece)?.[1]
    if (depth === 0 && opened && BLOCK_NAMES.has(opened)) {
      parts.push(paragraphs(inline))
      inline = ''
      blockName = opened
    }
    depth += nesting(piece)
    if (!blockName) {
      inline += piece
      continue
    }
    block += piece
    if (depth === 0) {
      parts.push(blockName === 'blockquote' ? `<blockquote>${renderFlow(block.slice('<blockquote>'.length, -'</blockquote>'.length))}</blockquote>` : block)
      block = ''
      blockName = undefined
    }
  }
  parts.push(paragraphs(inline))
  return parts.join('')
}

/**
 * The elements of HTML, SVG and MathML that a parser reads as tags. A `<` before any other word is the writer's
 * text ("from daily to <once a week"): left as it was, the parser took it for a tag and dropped the rest of the post.
 */
const ELEMENTS = new Set(
  (
    'a abbr address area article aside audio b base bdi bdo blockquote body br button canvas caption cite code col colgroup ' +
    'data datalist dd del details dfn dialog div dl dt em embed fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 head ' +
    'header hgroup hr html i iframe img input ins kbd label legend li link main map mark menu meta meter nav noscript object ' +
    'ol optgroup option output p param picture pre progress q rp rt ruby s samp script search section select slot small source ' +
    'span strike strong style sub summary sup table tbody td template textarea tfoot th thead time title tr track u ul var video ' +
    'wbr svg math center font marquee blink frame frameset noframes applet basefont big acronym tt xmp plaintext listing image'
  ).split(' ')
)
/**
 * A whole tag as people write one: a name, then attributes whose names start with a letter (`href="…"`, `rel=x`,
 * `disabled`), then `>`. Anything else after `<` is the writer's text: `sober for <a month now` (no `>`), `cut down
 * to <b 2 a day > last year` (an attribute cannot be `2`), `<3`.
 */
const WHOLE_TAG = /<\/?([A-Za-z][A-Za-z0-9-]*)(?:\s+[A-Za-z_:][-\w:.]*(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*\s*\/?>/y
const ANGLE = /</g

function escapeStrayAngles(source: string): string {
  return source.replace(ANGLE, (lt, at: number) => {
    if (!/[A-Za-z/]/.test(source[at + 1] ?? '')) return lt // a comment, `<!doctype`, `<3`: the parser reads those as text or drops them whole
    WHOLE_TAG.lastIndex = at
    const tag = WHOLE_TAG.exec(source)
    return tag && ELEMENTS.has((tag[1] ?? '').toLowerCase()) ? lt : '&lt;'
  })
}

/** The writer's text as safe HTML. Plain text keeps its line breaks, wherever it stands. */
export function renderBody(source: string): string {
  // Bidi controls written as entities (`&#x202E;`) come out of sanitising as the characters: dropped here too.
  return renderFlow(sanitizeHtml(escapeStrayAngles(source.replace(/\r\n?/g, '\n')), options)).replace(BIDI_CONTROLS, '')
}

/**
 * The text a reader would see, without markup: what the flagging engine scans. Entities are decoded, as the
 * browser decodes them: `sobermike84 &lt;at&gt; gmail` shows, and must be read as, `sobermike84 <at> gmail`.
 */
export function visibleText(html: string): string {
  return decodeHTML(sanitizeHtml(html.replace(/<br\s*\/?>|<\/p>|<\/li>/gi, '\n'), { allowedTags: [], allowedAttributes: {} })).replace(BIDI_CONTROLS, '')
}

/**
 * Characters that reorder what follows them (embeddings, overrides and isolates of the bidirectional algorithm):
 * with them a reader sees `call me on 07700 900123` where screening reads `321009 00770 no em llac`. They carry
 * nothing a reader sees, so writing loses them before it is screened or kept.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g

export function withoutBidiControls(text: string): string
export function withoutBidiControls(text: string | null | undefined): string | null | undefined
export function withoutBidiControls(text: string | null | undefined): string | null | undefined {
  return typeof text === 'string' ? text.replace(BIDI_CONTROLS, '') : text
}

/** Spaces, line breaks and the characters that show nothing (zero-width, fillers, blank braille). */
const INVISIBLE = /[\p{White_Space}\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/gu

/** Whether a title, a body or a content warning shows anything at all. */
export function showsSomething(text: string): boolean {
  return text.replace(INVISIBLE, '').length > 0
}
