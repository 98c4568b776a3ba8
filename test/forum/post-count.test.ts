import { sql } from 'drizzle-orm'
import t from 'tap'
import { rows } from '../../src/db/client.js'
import { buildTestApp, TEST_PASSWORD, type TestAccount } from '../helpers/app.js'

// A thread's post count is kept by a trigger (migration 0008) rather than counted on each read. Whatever
// changes a post's visibility, the count must stay what a reader outside staff actually sees.
t.test("a thread's post count follows every change of a post's visibility", async (t) => {
  const h = await buildTestApp(t)
  const author = await h.signUp()
  const reader = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  // Writes nothing: sees what any reader sees, with none of their own held posts.
  const onlooker = await h.signUp()
  const { threadId } = await h.startThread(author)

  const counted = async () => {
    const page = await h.as(onlooker, { url: `/api/v1/threads/${threadId}?limit=100` })
    const list = await h.as(onlooker, { url: '/api/v1/boards/general/threads?limit=100' })
    const [row] = await rows<{ n: number }>(
      h.db.database.db,
      sql`select count(*)::int as n from posts where thread_id = ${threadId} and published_at is not null and state <> 'held'`
    )
    return {
      header: page.json().thread.postCount as number,
      boardList: (list.json().threads as Array<{ id: string; postCount: number }>).find((i) => i.id === threadId)!.postCount,
      seenByOthers: (page.json().posts as unknown[]).length,
      recounted: Number(row!.n)
    }
  }
  const expectCount = async (n: number, step: string) => {
    t.same(await counted(), { header: n, boardList: n, seenByOthers: n, recounted: n }, step)
  }
  const post = async (who: TestAccount, body: string) => {
    const res = await h.as(who, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body } })
    t.equal(res.statusCode, 201)
    return res.json().post as { id: string; state: string }
  }
  const queueItemOf = async (postId: string) => {
    const res = await h.as(moderator, { url: '/api/v1/moderation/queue?status=open' })
    return (res.json().items as Array<{ id: string; post: { id: string } }>).find((i) => i.post.id === postId)!.id
  }
  const resolve = async (postId: string, payload: object) => {
    const res = await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${await queueItemOf(postId)}/resolve`, payload })
    t.equal(res.statusCode, 200)
  }

  await expectCount(1, 'the opening post')
  await post(reader, 'Thanks for sharing this with us.')
  const second = await post(author, 'It helps to write it down.')
  await expectCount(3, 'two published replies')

  const held = await post(reader, 'call me on 07700 900123 after the meeting')
  t.equal(held.state, 'held')
  await expectCount(3, 'a held reply is not counted')
  await resolve(held.id, { decision: 'approve' })
  await expectCount(4, 'approving it publishes it')

  const sourcing = await post(reader, 'selling oxy, hmu')
  await resolve(sourcing.id, { decision: 'remove', reason: 'Selling drugs is not allowed.' })
  await expectCount(4, 'a held post removed before publishing never counts')

  const edited = await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${second.id}`, payload: { body: 'text me on 415-555-2671' } })
  t.equal(edited.json().post.state, 'held')
  await expectCount(3, 'an edit that is held again leaves the count')
  await resolve(second.id, { decision: 'remove', reason: 'No phone numbers, please.' })
  await expectCount(4, 'a published post removed keeps its placeholder')

  const third = await post(author, 'One more thing before I sign off.')
  t.equal((await h.as(author, { method: 'DELETE', url: `/api/v1/posts/${third.id}` })).statusCode, 204)
  await expectCount(5, 'a deleted post keeps its placeholder')

  t.equal((await h.as(reader, { method: 'DELETE', url: '/api/v1/me', payload: { password: TEST_PASSWORD } })).statusCode, 204)
  const after = await counted()
  t.equal(after.header, 5, "an account's deletion keeps its posts, by a former member")
  t.equal(after.recounted, 5)
})
