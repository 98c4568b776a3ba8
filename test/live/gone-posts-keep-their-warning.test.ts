import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { LiveSocket, liveUrl } from '../helpers/live.js'

/**
 * A content warning is part of what a member wrote, and screening reads it: a number there holds the post. When
 * such a post is then deleted by its author or removed by a moderator, its placeholder carries no warning for
 * readers, live, on resume or over REST; its author and staff still see it (found by the live review).
 */
for (const how of ['the author deletes it', 'a moderator removes it'] as const) {
  t.test(`a post held for its warning: when ${how}, readers never get the warning`, async (t) => {
    const h = await buildTestApp(t)
    const url = await liveUrl(h.app)
    const moderator = await h.signUp({ role: 'moderator' })
    const author = await h.signUp()
    const reader = await h.signUp()
    const { threadId } = await h.startThread(reader)
    const { postId } = await h.reply(author, threadId, 'an ordinary reply')
    const live = await LiveSocket.open(url, { token: reader.token })
    t.teardown(() => live.close())
    await live.subscribe(`thread:${threadId}`)

    const edit = await h.as(author, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { contentWarning: 'text me 415-555-0187' } })
    t.equal(edit.json().moderation.state, 'held')
    const placeholder = await live.waitFor((m) => m.event === 'post.updated' && m.data?.id === postId)
    t.match(placeholder.data, { state: 'held', bodyHtml: null, contentWarning: null })

    if (how === 'the author deletes it') {
      t.equal((await h.as(author, { method: 'DELETE', url: `/api/v1/posts/${postId}` })).statusCode, 204)
    } else {
      const items = (await h.as(moderator, { url: '/api/v1/moderation/queue?status=open&limit=100' })).json().items as Array<{ id: string; post: { id: string } }>
      const item = items.find((i) => i.post.id === postId)!
      const res = await h.as(moderator, { method: 'POST', url: `/api/v1/moderation/queue/${item.id}/resolve`, payload: { decision: 'remove', reason: 'phone number' } })
      t.equal(res.statusCode, 200)
    }
    const gone = await live.waitFor((m) => (m.event === 'post.deleted' || m.event === 'post.removed') && m.data?.id === postId)
    t.equal(gone.data?.contentWarning, null, 'live: the placeholder has no warning')

    const resumed = await LiveSocket.open(url, { token: reader.token })
    t.teardown(() => resumed.close())
    await resumed.subscribe(`thread:${threadId}`, '0')
    await resumed.waitFor((m) => (m.event === 'post.deleted' || m.event === 'post.removed') && m.data?.id === postId)
    const readerView = (await h.as(reader, { url: `/api/v1/threads/${threadId}` })).json().posts.find((p: { id: string }) => p.id === postId)
    t.match(readerView, { bodyHtml: null, contentWarning: null }, 'REST: the placeholder has no warning')
    t.notMatch(JSON.stringify(live.messages), /415-555-0187/, 'live: the warning reached no reader')
    t.notMatch(JSON.stringify(resumed.messages), /415-555-0187/, 'resume: earlier events were rewritten without it')

    const ownView = (await h.as(author, { url: `/api/v1/threads/${threadId}` })).json().posts.find((p: { id: string }) => p.id === postId)
    t.equal(ownView.contentWarning, 'text me 415-555-0187', 'its author still sees what they wrote')
    const staffView = (await h.as(moderator, { url: `/api/v1/threads/${threadId}` })).json().posts.find((p: { id: string }) => p.id === postId)
    t.equal(staffView.contentWarning, 'text me 415-555-0187', 'and so do staff')
  })
}
