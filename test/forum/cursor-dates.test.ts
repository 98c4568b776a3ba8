/** Paging cursors name a time: one that no calendar has (31 February) is refused as a bad cursor, on every list. */
import t from 'tap'
import { isIsoTime } from '../../src/forum/cursor.js'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'

const ID = '01a209e1-a90e-7142-9e55-bbe7ee3ea064'
const IMPOSSIBLE = ['2026-02-31T00:00:00.000Z', '2026-04-31T12:00:00.000Z', '2026-02-29T08:00:00.000Z', '2026-01-01T24:00:00.000Z']

/** A cursor as the server writes it: base64url JSON of the sort key. */
const cursorOf = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString('base64url')

t.test('a time is a cursor time only as toISOString prints it, on a day its month has', async (t) => {
  for (const at of ['2026-02-28T23:59:59.999Z', '2024-02-29T00:00:00.000Z', '0001-01-01T00:00:00.000Z', '9999-12-31T23:59:59.999Z', new Date().toISOString()]) {
    t.ok(isIsoTime(at), `${at} is a time`)
  }
  for (const at of [...IMPOSSIBLE, '2026-13-01T00:00:00.000Z', '2026-01-01T00:60:00.000Z', '0000-01-01T00:00:00.000Z', '2026-01-01T00:00:00Z', 'yesterday']) {
    t.notOk(isIsoTime(at), `${at} is not`)
  }
})

/** Every list with a time in its cursor, and the cursor's sort key around that time. */
async function timeCursorLists(h: TestApp, staff: TestAccount) {
  const { threadId } = await h.startThread(staff)
  return [
    { name: 'the moderation queue', url: '/api/v1/moderation/queue', key: (at: string) => [0, at, ID] },
    { name: 'the moderation log', url: '/api/v1/moderation/log', key: (at: string) => [at, ID] },
    { name: 'the rules', url: '/api/v1/moderation/rules', key: (at: string) => [at, ID] },
    { name: "a board's threads", url: '/api/v1/boards/general/threads', key: (at: string) => [at, ID] },
    { name: "a thread's posts", url: `/api/v1/threads/${threadId}`, key: (at: string) => [at, ID] }
  ]
}

t.test('a cursor naming a day its month does not have is 400 on every list, not 500 nor another day', async (t) => {
  const h = await buildTestApp(t)
  const moderator = await h.signUp({ role: 'moderator' })
  for (const list of await timeCursorLists(h, moderator)) {
    for (const at of IMPOSSIBLE) {
      const res = await h.as(moderator, { url: `${list.url}?cursor=${cursorOf(list.key(at))}` })
      t.equal(res.statusCode, 400, `${list.name}, ${at}: ${res.statusCode} ${res.body.slice(0, 120)}`)
      t.match(res.json(), { error: { code: 'validation_failed', message: String, details: { field: 'cursor' } } })
    }
    const real = await h.as(moderator, { url: `${list.url}?cursor=${cursorOf(list.key('2026-02-28T12:00:00.000Z'))}` })
    t.equal(real.statusCode, 200, `${list.name}: a cursor on a real day still pages`)
  }
})

t.test("the cursors the server gives out still page through every list, across the end of February", async (t) => {
  const h = await buildTestApp(t)
  // The items, lines and posts are written at the last millisecond of a leap day and the first of March.
  h.clock.set(new Date('2028-02-29T23:59:59.998Z'))
  const moderator = await h.signUp({ role: 'moderator' })
  const reporter = await h.signUp()
  await h.startThread(moderator)
  const { threadId } = await h.startThread(moderator)
  for (let i = 0; i < 3; i++) {
    const writer = await h.signUp()
    const { postId } = await h.reply(writer, threadId, `a reply that gets reported, number ${i}`)
    await h.as(reporter, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment' } })
    h.clock.advance(1)
  }
  // Staff actions for the log.
  for (const item of (await h.as(moderator, { url: '/api/v1/moderation/queue' })).json().items as Array<{ id: string }>) {
    t.equal((await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item.id}/claim` })).statusCode, 200)
  }
  // Each list, and the field of its page that holds its rows.
  const lists: Array<[string, string]> = [
    ['/api/v1/moderation/queue?status=claimed', 'items'],
    ['/api/v1/moderation/log?', 'actions'],
    ['/api/v1/moderation/rules?', 'rules'],
    ['/api/v1/boards/general/threads?', 'threads'],
    [`/api/v1/threads/${threadId}?`, 'posts']
  ]
  for (const [list, rows] of lists) {
    const first = (await h.as(moderator, { url: `${list}&limit=1` })).json()
    t.type(first.nextCursor, 'string', `${list} has a next page`)
    const second = await h.as(moderator, { url: `${list}&limit=1&cursor=${first.nextCursor}` })
    t.equal(second.statusCode, 200, `${list}: the server's own cursor is accepted`)
    t.equal(second.json()[rows].length, 1, `${list}: and gives the next page`)
    t.not(second.json()[rows][0].id, first[rows][0].id, `${list}: not the first one again`)
  }
})
