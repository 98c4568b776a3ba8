import t from 'tap'
import { renderBody } from '../../src/forum/sanitize.js'

// A corpus of XSS payloads in the many shapes attackers use (OWASP filter-evasion cheat sheet and friends).
const payloads = [
  '<script>alert(1)</script>',
  '<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>',
  '<script/xss src=https://evil.example/xss.js></script>',
  '<<script>alert("x");//<</script>',
  '<scr<script>ipt>alert(1)</scr</script>ipt>',
  '<img src=x onerror=alert(1)>',
  '<IMG SRC="javascript:alert(1);">',
  '<img src=javascript:alert(1)>',
  '<IMG SRC=JaVaScRiPt:alert(1)>',
  '<IMG """><SCRIPT>alert("XSS")</SCRIPT>">',
  '<img src="x" onload="alert(1)">',
  '<svg onload=alert(1)>',
  '<svg><script>alert(1)</script></svg>',
  '<svg><animate onbegin=alert(1) attributeName=x dur=1s>',
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>',
  '<body onload=alert(1)>',
  '<iframe src="https://evil.example"></iframe>',
  '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
  '<IFRAME SRC="javascript:alert(1);"></IFRAME>',
  '<frameset><frame src="javascript:alert(1)"></frameset>',
  '<object data="javascript:alert(1)"></object>',
  '<embed src="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">',
  '<a href="javascript:alert(1)">click</a>',
  '<a href="JAVASCRIPT:alert(1)">click</a>',
  '<a href=" javascript:alert(1)">click</a>',
  '<a href="jav&#x09;ascript:alert(1)">click</a>',
  '<a href="jav&#x0A;ascript:alert(1)">click</a>',
  '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">click</a>',
  '<a href="data:text/html,<script>alert(1)</script>">click</a>',
  '<a href="vbscript:msgbox(1)">click</a>',
  '<a href="//evil.example/">protocol relative</a>',
  '<a href="https://ok.example" onclick="alert(1)">click</a>',
  '<a href="https://ok.example" onmouseover=alert(1)>hover</a>',
  '<a href="https://ok.example" style="position:fixed;top:0">overlay</a>',
  '<a href="https://ok.example" target="_blank">tab</a>',
  '<p style="background:url(javascript:alert(1))">styled</p>',
  '<div style="width: expression(alert(1));">old IE</div>',
  '<style>@import "https://evil.example/x.css";</style>',
  '<style>body{background:red}</style>',
  '<link rel="stylesheet" href="https://evil.example/x.css">',
  '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
  '<base href="https://evil.example/">',
  '<form action="https://evil.example"><input type="password" name="p"><button>go</button></form>',
  '<input onfocus=alert(1) autofocus>',
  '<select onfocus=alert(1) autofocus>',
  '<textarea onfocus=alert(1) autofocus>',
  '<keygen onfocus=alert(1) autofocus>',
  '<video><source onerror="alert(1)"></video>',
  '<audio src=x onerror=alert(1)>',
  '<details open ontoggle=alert(1)>',
  '<marquee onstart=alert(1)>',
  '<table background="javascript:alert(1)">',
  '<td background="javascript:alert(1)">',
  '<div onmouseover="alert(1)">hover</div>',
  '<b onclick="alert(1)">bold</b>',
  '<blockquote cite="javascript:alert(1)" onclick="alert(1)">quote</blockquote>',
  '<code onclick=alert(1)>code</code>',
  '<template><script>alert(1)</script></template>',
  '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
  '<xmp><script>alert(1)</script></xmp>',
  '<plaintext><script>alert(1)</script>',
  '<isindex type=image src=1 onerror=alert(1)>',
  '<object type="text/x-scriptlet" data="https://evil.example/x.sct"></object>',
  '<applet code="x"></applet>',
  '"><script>alert(1)</script>',
  "'><img src=x onerror=alert(1)>",
  '<!--<img src="--><img src=x onerror=alert(1)//">',
  '<![CDATA[<script>alert(1)</script>]]>',
  '<?xml version="1.0"?><script>alert(1)</script>',
  '<img src="x` `<script>alert(1)</script>"` `>',
  '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
  '<math href="javascript:alert(1)">CLICKME</math>',
  '<a href="https://ok.example" formaction="javascript:alert(1)">x</a>',
  '<button formaction="javascript:alert(1)">x</button>',
  '<a href="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">svg</a>',
  '<a href="file:///etc/passwd">file</a>',
  '<a href="https://ok.example" xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="javascript:alert(1)">x</a>'
]

// Anything that could run script, load a resource, restyle the page or take input.
const dangerous = [
  /<script/i, /<iframe/i, /<frame/i, /<object/i, /<embed/i, /<svg/i, /<math/i, /<style/i, /<link/i, /<meta/i,
  /<base/i, /<form/i, /<input/i, /<button/i, /<img/i, /<video/i, /<audio/i, /<source/i, /<template/i, /<div/i,
  /<table/i, /<td/i, /<details/i, /<marquee/i, /<body/i, /<select/i, /<textarea/i, /<applet/i,
  /\son\w+\s*=/i, /javascript:/i, /vbscript:/i, /data:/i, /file:/i, /style\s*=/i, /target\s*=/i, /formaction/i,
  /xlink/i, /href="\/\//i, /cite=/i, /background=/i, /srcdoc/i
]

t.test('no script, event handler, unsafe link, frame, svg or style survives sanitising', async (t) => {
  t.ok(payloads.length >= 75, `a corpus of ${payloads.length} payloads`)
  for (const payload of payloads) {
    const html = renderBody(payload)
    for (const pattern of dangerous) {
      // Escaped text (&lt;script&gt;) is harmless and allowed: look only at real tags and attributes.
      const tagsOnly = html.replace(/&lt;|&gt;|&amp;|&quot;|&#\d+;/g, ' ')
      const tags = tagsOnly.match(/<[^>]*>/g)?.join(' ') ?? ''
      t.notMatch(tags, pattern, `${payload} → ${html}`)
    }
  }
})

t.test('the allowed formatting survives', async (t) => {
  const html = renderBody(
    '<p><strong>strong</strong> <b>b</b> <em>em</em> <i>i</i> <u>u</u> <s>s</s> <code>code</code></p>' +
      '<blockquote>quote</blockquote><ul><li>one</li></ul><ol><li>two</li></ol><pre>pre</pre><p>line<br>break</p>'
  )
  for (const tag of ['strong', 'b', 'em', 'i', 'u', 's', 'code', 'blockquote', 'ul', 'ol', 'li', 'pre', 'p']) {
    t.match(html, new RegExp(`<${tag}>`), tag)
  }
  t.match(html, /<br \/>|<br>/)
})

t.test('links keep only an http(s) href and get rel="nofollow ugc noopener noreferrer"', async (t) => {
  t.equal(
    renderBody('<a href="https://example.org/help" title="t" rel="opener">help</a>'),
    '<p><a href="https://example.org/help" rel="nofollow ugc noopener noreferrer">help</a></p>'
  )
  t.equal(renderBody('<a href="javascript:alert(1)">text stays</a>'), '<p><a rel="nofollow ugc noopener noreferrer">text stays</a></p>')
})

t.test('plain text keeps its line breaks and its angle brackets as text', async (t) => {
  t.equal(renderBody('Day 1.\nStill here.\n\nDay 2.'), '<p>Day 1.<br>Still here.</p><p>Day 2.</p>')
  t.equal(renderBody('I was <3 days sober & proud > ever'), '<p>I was &lt;3 days sober &amp; proud &gt; ever</p>')
  t.equal(renderBody('windows\r\nline\r\n\r\nends'), '<p>windows<br>line</p><p>ends</p>')
})

t.test('links without an absolute http(s) address lose their href but keep their text', async (t) => {
  const relative = ['/api/v1/me', 'evil-page.html', '?x=1', '#frag', '//evil.example/', '\\\\evil.example', '/\\evil.example', '', '   ']
  const otherSchemes = ['mailto:a@b.example', 'tel:+15555550142', 'ftp://files.example/x', 'javascript:alert(1)']
  const smuggled = [' javascript:alert(1)', 'java\tscript:alert(1)', 'java&#x09;script:alert(1)', '\x01javascript:alert(1)', 'https:', 'http://']
  for (const href of [...relative, ...otherSchemes, ...smuggled]) {
    t.equal(
      renderBody(`<a href="${href}">look</a>`),
      '<p><a rel="nofollow ugc noopener noreferrer">look</a></p>',
      JSON.stringify(href)
    )
  }
})

t.test('absolute http(s) links are kept, as the address a browser would follow', async (t) => {
  const kept: Array<[string, string]> = [
    ['https://example.org/help', 'https://example.org/help'],
    ['http://example.org/a?b=1&c=2#d', 'http://example.org/a?b=1&amp;c=2#d'],
    ['HTTPS://Example.ORG/Path', 'https://example.org/Path'],
    ['  https://example.org/padded  ', 'https://example.org/padded'],
    ['ht\ttps://example.org/tab', 'https://example.org/tab']
  ]
  for (const [href, shown] of kept) {
    t.equal(
      renderBody(`<a href="${href}">look</a>`),
      `<p><a href="${shown}" rel="nofollow ugc noopener noreferrer">look</a></p>`,
      JSON.stringify(href)
    )
  }
})

t.test('plain text keeps its line breaks next to a quote, a list or code the writer marked up', async (t) => {
  t.equal(
    renderBody('Day one.\nStill here.\nDay two.\n\n<blockquote>you can do it</blockquote>'),
    '<p>Day one.<br>Still here.<br>Day two.</p><blockquote><p>you can do it</p></blockquote>'
  )
  t.equal(
    renderBody('What helped:\n<ul>\n<li>walks</li>\n<li>this forum</li>\n</ul>\nThanks,\nSam'),
    '<p>What helped:</p><ul>\n<li>walks</li>\n<li>this forum</li>\n</ul><p>Thanks,<br>Sam</p>'
  )
  t.equal(renderBody('<blockquote>one line\nand the next\n\nnew verse</blockquote>'), '<blockquote><p>one line<br>and the next</p><p>new verse</p></blockquote>')
  t.equal(renderBody('<strong>Day 3</strong>\nstill <em>here</em>\n\n<p>mine</p>'), '<p><strong>Day 3</strong><br>still <em>here</em></p><p>mine</p>')
})

t.test('HTML the writer structured is left as written', async (t) => {
  t.equal(renderBody('<pre>line one\nline two\n\nline four</pre>'), '<pre>line one\nline two\n\nline four</pre>')
  t.equal(renderBody('<p>first</p>\n\n<p>second\nsame paragraph</p>\n<ol><li>a</li>\n<li>b</li></ol>'), '<p>first</p><p>second\nsame paragraph</p><ol><li>a</li>\n<li>b</li></ol>')
  t.equal(renderBody('<blockquote>\n<p>quoted</p>\n</blockquote>'), '<blockquote><p>quoted</p></blockquote>')
  t.equal(renderBody('<em>a\n<pre>x\ny</pre>\nb</em>'), '<em>a\n<pre>x\ny</pre>\nb</em>', 'a block inside an inline element is not split apart')
  t.equal(renderBody('<div>\n\n</div>\n\n'), '', 'nothing but removed tags and whitespace leaves nothing')
})

t.test('a blank line inside bold or a link does not break the element apart', async (t) => {
  t.equal(renderBody('<strong>one\n\ntwo</strong>\n\nthree'), '<p><strong>one<br><br>two</strong></p><p>three</p>')
  t.equal(renderBody('<a href="https://example.org/">one\n\ntwo</a>'), '<p><a href="https://example.org/" rel="nofollow ugc noopener noreferrer">one<br><br>two</a></p>')
})
