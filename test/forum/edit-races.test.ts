/**
 * An author's edit is screened from the post as first read, outside its transaction. Whatever a moderator or the
 * reports decide in that gap must stand: the edit starts again from the post as it is now (src/forum/posts.ts
 * editPost). Each test lands the decision in the gap through the rule book, which screening reads there.
 */
import { eq } from 'drizzle-orm'
import t, { type Test } from 'tap'
import { posts } from '../../src/db/schema.js'
import { editPost, type PostEdit } from '../../src/forum/posts.js'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'
import { writerWhile } from '../helpers/meanwhile.js'

/** The edit, with `meanwhile` run once, after the edit first read the post and before its transaction. */
async function editWhile(h: TestApp, author: TestAccount, postId: string, edit: PostEdit, meanwhile: () => Promise<void>) {
  const { deps, row } = await writerWhile(h, author, meanwhile)
  return { deps, result: editPost(deps, row, postId, edit) }
}

async function setup(t: Test) {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId } = await h.startThread(reader)
  const itemOf = async (postId: string) =>
    ((await h.as(moderator, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json().items as Array<{ id: string; post: { id: string } }>).find(
      (i) => i.post.id === postId
    )!
  const resolve = (itemId: string, payload: object) =>
    h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${itemId}/resolve`, payload }).then((res) => {
      if (res.statusCode !== 200) throw new Error(`resolve: ${res.statusCode} ${res.body}`)
    })
  return { h, author, reader, moderator, threadId, itemOf, resolve }
}

t.test("a moderator's removal made meanwhile stands: the edit is refused and changes nothing", async (t) => {
  const { h, author, reader, moderator, threadId } = await setup(t)
  const { postId } = await h.reply(author, threadId, 'words a moderator will remove')
  const { deps, result } = await editWhile(h, author, postId, { body: 'edited after all' }, () =>
    h.reportAndResolve(reader, moderator, postId, { decision: 'remove', reason: 'harassment' })
  )
  await t.rejects(result, { code: 'forbidden' })
  const [post] = await deps.db.select().from(posts).where(eq(posts.id, postId))
  t.equal(post?.state, 'removed', 'the post stays removed')
  t.equal(post?.bodySource, 'words a moderator will remove', 'and unedited')
})

t.test('an approval made meanwhile stands: the edit is screened again from the published post', async (t) => {
  const { h, author, reader, threadId, itemOf, resolve } = await setup(t)
  const held = await h.as(author, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'you can text me on 415 555 0187 any time' } })
  const postId = held.json().post.id
  const item = await itemOf(postId)
  const { result } = await editWhile(h, author, postId, { body: 'took my number out, hang in there everyone' }, () => resolve(item.id, { decision: 'approve' }))
  const edited = await result
  t.equal(edited.moderation.state, 'visible')
  const shown = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts.find((p: { id: string }) => p.id === postId)
  t.match(shown, { state: 'visible', bodyHtml: '<p>took my number out, hang in there everyone</p>' }, 'published with the edit, not held with no item to review')
})

t.test('a redaction made meanwhile stands: an edit of the warning alone keeps the redacted body', async (t) => {
  const { h, author, reader, threadId, itemOf, resolve } = await setup(t)
  const { postId } = await h.reply(author, threadId, 'my ex lives at 12 Elm Street, go tell her')
  await h.as(reader, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment' } })
  const item = await itemOf(postId)
  const { result } = await editWhile(h, author, postId, { contentWarning: 'venting' }, () =>
    resolve(item.id, { decision: 'redact', body: 'my ex lives [address removed]' })
  )
  await result
  const shown = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts.find((p: { id: string }) => p.id === postId)
  t.match(shown, { bodyHtml: '<p>my ex lives [address removed]</p>', contentWarning: 'venting' })
  t.notMatch(JSON.stringify(shown), /Elm Street/, 'the redacted words are not back')
})

t.test(
  "an author's edit and a moderator's decision on the same post at the same moment: both answer, neither deadlocks",
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' },
  async (t) => {
    const { h, author, reader, threadId, itemOf, moderator } = await setup(t)
    for (let trial = 0; trial < 12; trial++) {
      const { postId } = await h.reply(author, threadId, `a reply to be reported, trial ${trial}`)
      await h.as(reader, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment' } })
      const item = await itemOf(postId)
      const [edit, decision] = await Promise.all([
        h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: `call me on 415 555 01${10 + trial}` } }),
        h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item.id}/resolve`, payload: { decision: 'approve' } })
      ])
      t.equal(edit.statusCode, 200, `trial ${trial}: the edit answers ${edit.statusCode}`)
      t.equal(decision.statusCode, 200, `trial ${trial}: the decision answers ${decision.statusCode}`)
    }
  }
)

t.test(
  "an author's edit and a member's report on a post already in the queue, at the same moment: both answer, neither deadlocks",
  { skip: process.env.TEST_DATABASE_URL ? false : 'needs real PostgreSQL: PGlite has one connection, so transactions cannot overlap' },
  async (t) => {
    const { h, author, reader, threadId } = await setup(t)
    for (let trial = 0; trial < 12; trial++) {
      const { postId } = await h.reply(author, threadId, `a reply to be reported, trial ${trial}`)
      await h.as(reader, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'harassment' } })
      const another = await h.signUp()
      const [edit, report] = await Promise.all([
        h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: `call me on 415 555 01${10 + trial}` } }),
        h.as(another, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'crisis' } })
      ])
      t.equal(edit.statusCode, 200, `trial ${trial}: the edit answers ${edit.statusCode}`)
      t.ok([201, 404].includes(report.statusCode), `trial ${trial}: the report is kept, or finds the post held before it was read (${report.statusCode})`)
    }
  }
)
