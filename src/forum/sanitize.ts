import sanitizeHtml from 'sanitize-html'

/** The contract's allow-list: everything else is removed, links keep only http(s) hrefs. */
const options: sanitizeHtml.IOptions = {
  allowedTags: ['p', 'br', 'strong', 'b', 'em', 'i', 'u', 's', 'blockquote', 'ul', 'ol', 'li', 'code', 'pre', 'a'],
  allowedAttributes: { a: ['href', 'rel'] },
  allowedSchemes: ['http', 'https'],
  allowedSchemesAppliedToAttributes: ['href'],
  allowProtocolRelative: false,
  // Content of these is dropped with the tag, not kept as text.
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'iframe', 'svg', 'math', 'template', 'object', 'embed'],
  disallowedTagsMode: 'discard',
  transformTags: {
    // The writer's own rel (or anything else) is replaced; an unsafe href is dropped after this, keeping the text.
    a: (tagName, attribs) => ({
      tagName,
      attribs: { ...(attribs.href ? { href: attribs.href } : {}), rel: 'nofollow ugc noopener noreferrer' }
    })
  }
}

const BLOCK_TAG = /<(p|ul|ol|pre|blockquote)[\s>]/i

/**
 * The writer's text as safe HTML. Plain text keeps its line breaks: blank lines become paragraphs and
 * single newlines <br>; text that already brings its own paragraphs or lists is left as written.
 */
export function renderBody(source: string): string {
  const clean = sanitizeHtml(source.replace(/\r\n?/g, '\n'), options).trim()
  if (BLOCK_TAG.test(clean)) return clean
  return clean
    .split(/\n{2,}/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean)
    .map((paragraph) => `<p>${paragraph.replace(/\n/g, '<br>')}</p>`)
    .join('')
}

/** The text a reader would see, without markup: what the flagging engine scans. */
export function visibleText(html: string): string {
  return sanitizeHtml(html.replace(/<br\s*\/?>|<\/p>|<\/li>/gi, '\n'), { allowedTags: [], allowedAttributes: {} })
}
