import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

t.test('logs hold no password, token, cookie, post body or raw client address', async (t) => {
  const h = await buildTestApp(t, { logLevel: 'trace' })
  const password = 'my-very-secret-passphrase'
  const created = await h.app.inject({
    method: 'POST',
    url: '/api/v1/accounts',
    remoteAddress: '203.0.113.77',
    payload: { handle: 'logged-lark', password, circle: 'recovery' }
  })
  const token = created.json().token as string
  const login = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: 'logged-lark', password } })
  const secondToken = login.json().token as string
  await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: 'logged-lark', password: 'wrong-secret-guess' } })
  const body = 'A very private sentence about my sponsor'
  const posted = await h.app.inject({
    method: 'POST',
    url: '/api/v1/boards/general/threads',
    cookies: { lantern_session: token },
    headers: { origin: 'http://localhost:80' },
    payload: { title: 'Private title words', body }
  })
  t.equal(posted.statusCode, 201)
  await h.app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${secondToken}` } })
  await h.app.inject({ method: 'POST', url: '/api/v1/boards/general/threads', headers: { authorization: `Bearer ${secondToken}` }, payload: { title: 'x', body, bad: 1 } })
  await h.app.inject({ method: 'DELETE', url: '/api/v1/me', headers: { authorization: `Bearer ${secondToken}` }, payload: { password } })

  const all = h.logs.join('\n')
  t.ok(h.logs.length > 10, `${h.logs.length} log lines written`)
  for (const secret of [password, 'wrong-secret-guess', token, secondToken, body, 'Private title words', '203.0.113.77']) {
    t.notOk(all.includes(secret), `no "${secret.slice(0, 12)}…" in the logs`)
  }
  t.notMatch(all, /\$argon2/, 'no password hash')
})
