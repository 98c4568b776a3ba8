import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { systemClock } from '../../src/clock.js'
import { openDatabase } from '../../src/db/client.js'
import { prepareDatabase } from '../../src/db/prepare.js'
import { testConfig } from '../helpers/app.js'

// Always on the embedded database: this is what `npm start` uses on a bare machine.
t.test('the embedded database keeps everything across a restart', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'lantern-pglite-'))
  t.teardown(() => rm(dataDir, { recursive: true, force: true }))
  const config = testConfig({ dataDir, logLevel: 'silent' })

  const first = await openDatabase({ dataDir })
  await prepareDatabase(first, systemClock)
  const app1 = await buildApp({ config, database: first })
  const signup = await app1.inject({ method: 'POST', url: '/api/v1/accounts', payload: { handle: 'still-here', password: 'persistent password', circle: 'recovery' } })
  t.equal(signup.statusCode, 201)
  const token = signup.json().token
  const thread = await app1.inject({
    method: 'POST',
    url: '/api/v1/boards/general/threads',
    headers: { authorization: `Bearer ${token}` },
    payload: { title: 'Written before the restart', body: 'I will still be here.' }
  })
  t.equal(thread.statusCode, 201)
  await app1.close()
  await first.close()

  const second = await openDatabase({ dataDir })
  await prepareDatabase(second, systemClock)
  t.teardown(() => second.close())
  const app2 = await buildApp({ config, database: second })
  t.teardown(() => app2.close())
  const me = await app2.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })
  t.equal(me.statusCode, 200, 'the session survived')
  const read = await app2.inject({ url: `/api/v1/threads/${thread.json().thread.id}`, headers: { authorization: `Bearer ${token}` } })
  t.equal(read.statusCode, 200)
  t.equal(read.json().posts[0].bodyHtml, '<p>I will still be here.</p>')
  const boards = await app2.inject({ url: '/api/v1/boards' })
  t.equal(boards.json().boards.length, 3, 'boards are seeded once, not twice')
  const status = await second.migrationStatus()
  t.equal(status.applied, status.shipped, 'migrations are not re-applied')
})
