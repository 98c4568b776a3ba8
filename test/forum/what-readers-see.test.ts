/**
 * What a reader is shown is what screening reads, and what a member wrote is kept as written (found by the forum
 * review): entities, direction overrides, a stray `<`, text that shows nothing, deep nesting, cursors, reports.
 */
import t from 'tap'
import { events } from '../../src/db/schema.js'
import { renderBody, visibleText } from '../../src/forum/sanitize.js'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

const reply = async (h: TestApp, who: TestAccount, threadId: string, body: string) => {
  const res = await h.as(who, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
  return { status: res.statusCode, json: res.json() }
}
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

t.test('text written with entities is screened as the reader sees it', async (t) => {
  t.equal(visibleText('<p>Tom &amp; Jerry &lt;3</p>'), 'Tom & Jerry <3\n', 'the visible text is text, not HTML')
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  for (const body of ['email me: sobermike84 &lt;at&gt; gmail &lt;dot&gt; com', 'jane.doe&lt;at&gt;gmail.com', 'call 415&#45;555&#45;0187']) {
    const { status, json } = await reply(h, member, threadId, body)
    t.equal(status, 201)
    t.equal(json.post.state, 'held', body)
    t.ok(json.moderation.flags.some((f: { category: string }) => f.category === 'personal_info'), `${body}: personal_info`)
  }
  const { json } = await reply(h, member, threadId, 'Tom &amp; Jerry, fish &amp; chips, 3 &lt; 5')
  t.equal(json.post.state, 'visible', 'ordinary entities stay ordinary')
})

t.test('characters that reorder text for the reader are dropped: readers see the order screening read', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const reversed = (s: string) => [...s].reverse().join('')
  for (const shown of ['call me on 07700 900123', 'dm me for bars']) {
    // Written reversed behind a right-to-left override, a browser showed `shown`; screening read the reversed text.
    const { json } = await reply(h, member, threadId, `\u202E${reversed(shown)}\u202C`)
    t.equal(json.post.bodyHtml, `<p>${reversed(shown)}</p>`, `"${shown}" now shows as screening read it`)
  }
  const { json } = await reply(h, member, threadId, 'plain words \u2066with an isolate\u2069')
  t.equal(json.post.bodyHtml, '<p>plain words with an isolate</p>')
  // Written as entities, they came out of sanitising as the characters (found by the session review).
  const entities = await reply(h, member, threadId, '&#x202E;321009 00770&#x202C; and &#8238;srab&#8236;')
  t.equal(entities.json.post.bodyHtml, '<p>321009 00770 and srab</p>')
  const titled = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: `\u202E${reversed('call 07700 900123')}\u202C`, body: 'hello all', contentWarning: '\u202Emild\u202C' } })
  t.equal(titled.json().thread.title, reversed('call 07700 900123'), 'and a title')
  t.equal(titled.json().thread.contentWarning, 'mild', 'and a warning')
  const exported = (await h.as(member, { url: '/api/v1/me/export' })).json()
  t.notOk(JSON.stringify(exported).includes('\u202E'), 'nothing keeps them')
})

t.test('a < that starts no tag is the writer’s text, and nothing after it is lost', async (t) => {
  t.equal(renderBody('I went from daily to <once a week.\nStill going, 40 days.'), '<p>I went from daily to &lt;once a week.<br>Still going, 40 days.</p>')
  t.equal(renderBody('a <foo> b </bar> c'), '<p>a &lt;foo&gt; b &lt;/bar&gt; c</p>')
  t.equal(renderBody('love you all <3 and 2<5'), '<p>love you all &lt;3 and 2&lt;5</p>')
  t.equal(renderBody('<b>bold</b> and <script>alert(1)</script>gone'), '<p><b>bold</b> and gone</p>', 'real tags are still read as tags')
  t.equal(renderBody('<STRONG>loud</STRONG> <Em>soft</Em>'), '<p><strong>loud</strong> <em>soft</em></p>')
  // Before an element's name too, unless a whole tag follows (found by the session review).
  t.equal(renderBody('Sober for <a month now, and thank you all'), '<p>Sober for &lt;a month now, and thank you all</p>')
  t.equal(renderBody('cut down to <b 2 a day > last year'), '<p>cut down to &lt;b 2 a day &gt; last year</p>')
  t.equal(renderBody('<a href="https://example.org/a?b=1&c=2">a link</a> and <p\nclass="x">a block</p>'), '<p><a href="https://example.org/a?b=1&amp;c=2" rel="nofollow ugc noopener noreferrer">a link</a> and</p><p>a block</p>')
  t.equal(renderBody('<img src=x onerror=alert(1)>gone? <!-- a comment --> yes'), '<p>gone?  yes</p>', 'and markup meant as markup is still sanitised')
})

t.test('a post holds at most 2,000 tags (rendering costs microseconds a tag, before screening)', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const tooMany = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: '<b>'.repeat(2_001) + 'x' } })
  t.equal(tooMany.statusCode, 400)
  t.match(tooMany.json().error, { code: 'validation_failed', details: { field: 'body' } })
  const enough = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: '<b>a</b> '.repeat(1_000) } })
  t.equal(enough.statusCode, 201)
})

t.test('titles, warnings and bodies that show nothing are refused; nothing is stored', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  for (const title of ['   ', '\u200b\u200b\u200b', '\n\n\n', '\u3164\u3164\u3164', '\u034F\u034F\u034F', '\uFE0F\uFE0F\uFE0F']) {
    const res = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title, body: 'hello all' } })
    t.equal(res.statusCode, 400, `title ${JSON.stringify(title)}`)
    t.match(res.json().error, { code: 'validation_failed', details: { field: 'title' } })
  }
  const blankWarning = await h.as(member, { method: 'POST', url: '/api/v1/boards/triggers/threads', payload: { title: 'Rough one', body: 'cravings all night', contentWarning: ' \u200b ' } })
  t.equal(blankWarning.statusCode, 400, 'a warning that shows nothing is no warning')
  t.match(blankWarning.json().error, { details: { field: 'contentWarning' } })
  for (const body of ['\u200b', ' \n ', '<b></b>\u200b', '\u034F\u034F', '\u17B4\u17B5', '\uFE0F']) {
    const res = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload: { title: 'Invisible body', body } })
    t.equal(res.statusCode, 400, `body ${JSON.stringify(body)}`)
  }
  const boards = (await h.as(member, { url: '/api/v1/boards/general/threads' })).json()
  t.same(boards.threads, [], 'nothing was stored')

  const { threadId, postId } = await h.startThread(member, 'triggers', { title: 'Cravings', body: 'it was hard', contentWarning: 'cravings' })
  t.ok(threadId)
  const edit = await h.as(member, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { contentWarning: '\u200b' } })
  t.equal(edit.statusCode, 400, 'nor can an edit blank the warning a board needs')
  const elsewhere = await h.startThread(member, 'general', { title: 'Fine', body: 'ok', contentWarning: 'mild' })
  const cleared = await h.as(member, { method: 'PATCH', url: `/api/v1/posts/${elsewhere.postId}`, payload: { contentWarning: '  ' } })
  t.equal(cleared.statusCode, 200)
  t.equal(cleared.json().post.contentWarning, null, 'elsewhere a blank warning clears it')
})

t.test('quotes nested deeper than 20 levels keep their text but not their depth', async (t) => {
  const html = renderBody('<blockquote>'.repeat(1666) + 'x')
  t.ok((html.match(/<blockquote>/g) ?? []).length <= 20, 'at most 20 levels')
  t.match(html, /x/, 'the text is kept')
  t.equal(renderBody('<blockquote><blockquote>quoted twice</blockquote></blockquote>'), '<blockquote><blockquote><p>quoted twice</p></blockquote></blockquote>')
})

t.test('cursors with times PostgreSQL cannot keep are 400, on every list', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(member)
  const id = '01900000-0000-7000-8000-000000000000'
  for (const at of ['+010000-01-01T00:00:00.000Z', '0000-01-01T00:00:00.000Z', '-000001-01-01T00:00:00.000Z', '2026-01-01']) {
    for (const url of [`/api/v1/boards/general/threads?cursor=${b64([at, id])}`, `/api/v1/threads/${threadId}?cursor=${b64([at, id])}`]) {
      const res = await h.as(member, { url })
      t.equal(res.statusCode, 400, `${at} ${url.split('?')[0]}`)
      t.equal(res.json().error.code, 'validation_failed')
    }
  }
  for (const cursor of [b64([0, '+010000-01-01T00:00:00.000Z', id]), Buffer.from(`[1e400,"2026-01-01T00:00:00.000Z","${id}"]`).toString('base64url'), b64([0, '2026-01-01T00:00:00.000Z', '-'.repeat(36)])]) {
    const res = await h.as(moderator, { url: `/api/v1/moderation/queue?cursor=${cursor}` })
    t.equal(res.statusCode, 400, 'and on the queue')
  }
})

t.test("a thread's last activity never goes back in time", async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const { threadId } = await h.startThread(member)
  const start = h.clock.now().getTime()
  h.clock.set(new Date(start + 5000))
  await reply(h, member, threadId, 'the later reply, committed first')
  // A reply whose time was read before the other's (slow screening, an instance whose clock is behind) commits after it.
  h.clock.set(new Date(start + 2000))
  await reply(h, member, threadId, 'an earlier-stamped reply')
  const thread = (await h.as(member, { url: `/api/v1/threads/${threadId}` })).json().thread
  t.equal(thread.lastPostAt, new Date(start + 5000).toISOString())
  // The board's live list says the same (found by the session review: its news carried the later reply's own time).
  const news = (await h.db.database.db.select().from(events)).filter((e) => e.channel === 'board:general' && e.event === 'thread.updated')
  const last = news.sort((a, b) => Number(a.id) - Number(b.id)).at(-1)!.data as { lastPostAt: string }
  t.equal(last.lastPostAt, thread.lastPostAt)
})

t.test('reports are for posts by others that still show something', async (t) => {
  const h = await buildTestApp(t)
  const moderator = await h.signUp({ role: 'moderator' })
  const author = await h.signUp()
  const other = await h.signUp()
  const { threadId } = await h.startThread(author)
  const { postId } = await h.reply(author, threadId, 'some reply here')
  const own = await h.as(author, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'spam' } })
  t.equal(own.statusCode, 403, 'not one’s own post')
  await h.reportAndResolve(other, moderator, postId, { decision: 'remove', reason: 'rule 3' })
  const third = await h.signUp()
  const removed = await h.as(third, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment' } })
  t.equal(removed.statusCode, 404, 'not a removed post')
  const { postId: gone } = await h.reply(author, threadId, 'about to go')
  t.equal((await h.as(author, { method: 'DELETE', url: `/api/v1/posts/${gone}` })).statusCode, 204)
  t.equal((await h.as(other, { method: 'POST', url: `/api/v1/posts/${gone}/reports`, payload: { reason: 'spam' } })).statusCode, 404, 'nor a deleted one')
  const queue = (await h.as(moderator, { url: '/api/v1/moderation/queue?status=open' })).json().items
  t.same(queue, [], 'none of them queued anything')
  // The same account reporting again gets its first report, whatever became of the post (the contract's 200).
  const again = await h.as(other, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'spam' } })
  t.equal(again.statusCode, 200, 'a repeat report of the removed post answers with the first')
  t.equal(again.json().report.reason, 'harassment')
})
