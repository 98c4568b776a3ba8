import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('starting a thread', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()

  t.test('answers with the thread, its first post and the moderation outcome', async (t) => {
    const res = await h.as(member, {
      method: 'POST',
      url: '/api/v1/boards/general/threads',
      payload: { title: 'Ninety days today', body: 'Never thought I would get here.\nThank you all.' }
    })
    t.equal(res.statusCode, 201)
    const { thread, post, moderation } = res.json()
    t.match(thread, { board: 'general', title: 'Ninety days today', author: { id: member.id, handle: member.handle }, postCount: 1, locked: false, contentWarning: null })
    t.match(post, { threadId: thread.id, state: 'visible', bodyHtml: '<p>Never thought I would get here.<br>Thank you all.</p>', editedAt: null })
    t.same(moderation, { state: 'visible', flags: [], crisisResources: [] })
    t.ok(!Number.isNaN(Date.parse(thread.createdAt)))
  })

  t.test('on the triggers board needs a content warning', async (t) => {
    const missing = await h.as(member, { method: 'POST', url: '/api/v1/boards/triggers/threads', payload: { title: 'Rough night', body: 'Cravings all night.' } })
    t.equal(missing.statusCode, 400)
    t.equal(missing.json().error.code, 'validation_failed')
    const ok = await h.as(member, {
      method: 'POST',
      url: '/api/v1/boards/triggers/threads',
      payload: { title: 'Rough night', body: 'Cravings all night.', contentWarning: 'cravings, alcohol' }
    })
    t.equal(ok.statusCode, 201)
    t.equal(ok.json().thread.contentWarning, 'cravings, alcohol')
  })

  t.test('refuses bad titles and bodies and stores nothing', async (t) => {
    const before = (await h.as(member, { url: '/api/v1/boards/general/threads?limit=100' })).json().threads.length
    for (const payload of [
      { title: 'ab', body: 'x' },
      { title: 'x'.repeat(141), body: 'x' },
      { title: 'Fine title', body: '' },
      { title: 'Fine title', body: 'x'.repeat(20001) },
      { title: 'Fine title', body: '<script>only a script</script>' },
      { title: 'Fine title', body: 'x', extra: true },
      { title: 'Fine title' }
    ]) {
      const res = await h.as(member, { method: 'POST', url: '/api/v1/boards/general/threads', payload })
      t.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 80))
      t.equal(res.json().error.code, 'validation_failed')
    }
    const after = (await h.as(member, { url: '/api/v1/boards/general/threads?limit=100' })).json().threads.length
    t.equal(after, before)
  })

  t.test('on an unknown board is 404', async (t) => {
    const res = await h.as(member, { method: 'POST', url: '/api/v1/boards/nope/threads', payload: { title: 'Hello there', body: 'x' } })
    t.equal(res.statusCode, 404)
    t.equal(res.json().error.code, 'not_found')
  })
})

t.test('family boards and the recovery circle never see each other', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  await h.as(admin, { method: 'POST', url: '/api/v1/boards', payload: { slug: 'recovery-only', name: 'Members in recovery', audience: 'recovery' } })
  const parent = await h.signUp({ circle: 'family' })
  const son = await h.signUp({ circle: 'recovery' })
  const moderator = await h.signUp({ role: 'moderator', circle: 'recovery' })
  const familyThread = await h.startThread(parent, 'family', { title: 'Worried about my son', body: 'He does not know I am here.' })
  const recoveryThread = await h.startThread(son, 'recovery-only', { title: 'Only us here', body: 'Among peers.' })

  const cases = [
    { reader: son, board: 'family', thread: familyThread, who: 'recovery member reading the family board' },
    { reader: parent, board: 'recovery-only', thread: recoveryThread, who: 'family member reading a recovery board' }
  ]
  for (const { reader, board, thread, who } of cases) {
    t.test(who, async (t) => {
      for (const [method, url, payload] of [
        ['GET', `/api/v1/boards/${board}/threads`, undefined],
        ['POST', `/api/v1/boards/${board}/threads`, { title: 'Sneaking in', body: 'hello' }],
        ['GET', `/api/v1/threads/${thread.threadId}`, undefined],
        ['POST', `/api/v1/threads/${thread.threadId}/posts`, { body: 'hello' }],
        ['PATCH', `/api/v1/posts/${thread.postId}`, { body: 'edited' }],
        ['DELETE', `/api/v1/posts/${thread.postId}`, undefined],
        ['POST', `/api/v1/posts/${thread.postId}/reports`, { reason: 'spam' }]
      ] as const) {
        const res = await h.as(reader, { method, url, ...(payload ? { payload } : {}) })
        t.equal(res.statusCode, 404, `${method} ${url}`)
        t.equal(res.json().error.code, 'not_found')
      }
      const boards = (await h.as(reader, { url: '/api/v1/boards' })).json().boards.map((b: { slug: string }) => b.slug)
      t.notOk(boards.includes(board), 'the board is not listed')
    })
  }

  t.test('staff read both', async (t) => {
    t.equal((await h.as(moderator, { url: `/api/v1/threads/${familyThread.threadId}` })).statusCode, 200)
    t.equal((await h.as(moderator, { url: `/api/v1/threads/${recoveryThread.threadId}` })).statusCode, 200)
    t.equal((await h.as(moderator, { url: '/api/v1/boards/family/threads' })).json().threads.length, 1)
  })

  t.test('the family circle reads and writes its own board', async (t) => {
    const other = await h.signUp({ circle: 'family' })
    t.equal((await h.as(other, { url: `/api/v1/threads/${familyThread.threadId}` })).statusCode, 200)
    t.equal((await h.as(other, { method: 'POST', url: `/api/v1/threads/${familyThread.threadId}/posts`, payload: { body: 'Same here.' } })).statusCode, 201)
  })
})

t.test('reading a thread', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const reader = await h.signUp()
  const { threadId } = await h.startThread(member)
  for (let i = 1; i <= 4; i++) {
    h.clock.advance(1000)
    await h.reply(i % 2 ? reader : member, threadId, `reply ${i}`)
  }

  t.test('lists posts oldest first with the thread', async (t) => {
    const res = await h.as(reader, { url: `/api/v1/threads/${threadId}` })
    t.equal(res.statusCode, 200)
    const body = res.json()
    t.equal(body.thread.postCount, 5)
    t.same(body.posts.map((p: { bodyHtml: string }) => p.bodyHtml), ['<p>Hello everyone, checking in today.</p>', '<p>reply 1</p>', '<p>reply 2</p>', '<p>reply 3</p>', '<p>reply 4</p>'])
    t.equal(body.nextCursor, null)
  })

  t.test('pages stay stable when posts arrive between pages', async (t) => {
    const first = (await h.as(reader, { url: `/api/v1/threads/${threadId}?limit=2` })).json()
    t.equal(first.posts.length, 2)
    t.type(first.nextCursor, 'string')
    h.clock.advance(1000)
    await h.reply(member, threadId, 'arrived between pages')
    const seen = [...first.posts.map((p: { id: string }) => p.id)]
    let cursor = first.nextCursor
    while (cursor) {
      const next = (await h.as(reader, { url: `/api/v1/threads/${threadId}?limit=2&cursor=${encodeURIComponent(cursor)}` })).json()
      seen.push(...next.posts.map((p: { id: string }) => p.id))
      cursor = next.nextCursor
    }
    t.equal(seen.length, 6, 'every post once, the new one at the end')
    t.equal(new Set(seen).size, 6, 'no duplicates')
  })

  t.test('bad cursors and limits are 400; unknown query parameters ignored; unknown threads 404, whatever their id looks like', async (t) => {
    for (const url of [`/api/v1/threads/${threadId}?limit=0`, `/api/v1/threads/${threadId}?limit=101`, `/api/v1/threads/${threadId}?cursor=not-a-cursor`]) {
      const res = await h.as(reader, { url })
      t.equal(res.statusCode, 400, url)
      t.equal(res.json().error.code, 'validation_failed')
    }
    t.equal((await h.as(reader, { url: `/api/v1/threads/${threadId}?unknown=1` })).statusCode, 200)
    for (const url of ['/api/v1/threads/not-an-id!', '/api/v1/threads/01a209e1-a90e-7142-9e55-bbe7ee3ea064']) {
      const missing = await h.as(reader, { url })
      t.equal(missing.statusCode, 404, url)
      t.equal(missing.json().error.code, 'not_found')
    }
  })
})

t.test('thread lists are newest activity first and page without duplicates', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const ids: string[] = []
  for (let i = 0; i < 5; i++) {
    h.clock.advance(1000)
    ids.push((await h.startThread(member, 'general', { title: `Thread number ${i}` })).threadId)
  }
  h.clock.advance(1000)
  await h.reply(member, ids[1]!)
  const page1 = (await h.as(member, { url: '/api/v1/boards/general/threads?limit=3' })).json()
  t.same(page1.threads.map((x: { id: string }) => x.id), [ids[1], ids[4], ids[3]])
  // Activity on a thread already seen moves it to the top; it must not appear again on the next page.
  h.clock.advance(1000)
  await h.reply(member, ids[4]!)
  const page2 = (await h.as(member, { url: `/api/v1/boards/general/threads?limit=3&cursor=${page1.nextCursor}` })).json()
  t.same(page2.threads.map((x: { id: string }) => x.id), [ids[2], ids[0]])
  t.equal(page2.nextCursor, null)
})

t.test('locked threads take no new replies', async (t) => {
  const h = await buildTestApp(t)
  const member = await h.signUp()
  const moderator = await h.signUp({ role: 'moderator' })
  const { threadId, postId } = await h.startThread(member)

  t.equal((await h.as(member, { method: 'PATCH', url: `/api/v1/threads/${threadId}`, payload: { locked: true } })).statusCode, 403, 'members cannot lock')
  const lock = await h.as(moderator, { method: 'PATCH', url: `/api/v1/threads/${threadId}`, payload: { locked: true } })
  t.equal(lock.statusCode, 200)
  t.equal(lock.json().thread.locked, true)

  const reply = await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'one more thing' } })
  t.equal(reply.statusCode, 403)
  t.equal(reply.json().error.code, 'forbidden')
  const edit = await h.as(member, { method: 'PATCH', url: `/api/v1/posts/${postId}`, payload: { body: 'changed' } })
  t.equal(edit.statusCode, 403)
  t.equal((await h.as(member, { url: `/api/v1/threads/${threadId}` })).json().posts.length, 1, 'nothing was added')

  await h.as(moderator, { method: 'PATCH', url: `/api/v1/threads/${threadId}`, payload: { locked: false } })
  t.equal((await h.as(member, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'one more thing' } })).statusCode, 201)
})
