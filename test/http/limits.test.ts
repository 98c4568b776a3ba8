import t from 'tap'
import { buildTestApp } from '../helpers/app.js'
import { sleep } from '../helpers/live.js'

t.test('writes are limited per account', async (t) => {
  const h = await buildTestApp(t, { rateLimit: { loginPerMinute: 100, loginPerIpPerMinute: 100, signupPerHour: 100, writesPerMinute: 2, writesPerIpPerMinute: 1000 } })
  const member = await h.signUp()
  const other = await h.signUp()
  const { threadId } = await h.startThread(other)
  const post = (who = member) => h.as(who, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, payload: { body: 'hello' } })
  t.same([(await post()).statusCode, (await post()).statusCode], [201, 201])
  const limited = await post()
  t.equal(limited.statusCode, 429)
  t.equal(limited.json().error.code, 'rate_limited')
  t.ok(Number(limited.headers['retry-after']) > 0)
  t.equal((await post(other)).statusCode, 201, 'another account is not affected')
})

t.test('writes are limited per client address, across accounts', async (t) => {
  const h = await buildTestApp(t, { rateLimit: { loginPerMinute: 100, loginPerIpPerMinute: 100, signupPerHour: 100, writesPerMinute: 100, writesPerIpPerMinute: 3 } })
  const accounts = [await h.signUp(), await h.signUp()]
  const { threadId } = await h.startThread(accounts[0]!)
  const post = (i: number, remoteAddress = '198.51.100.7') =>
    h.as(accounts[i % 2]!, { method: 'POST', url: `/api/v1/threads/${threadId}/posts`, remoteAddress, payload: { body: `post ${i}` } })
  const codes = []
  for (let i = 0; i < 4; i++) codes.push((await post(i)).statusCode)
  t.same(codes, [201, 201, 201, 429])
  t.equal((await post(5, '198.51.100.8')).statusCode, 201, 'another address is not affected')
  t.notOk(h.logs.join('\n').includes('198.51.100.7'), 'the address is never logged')
})

t.test('when the event loop lags, requests are shed with 503 and Retry-After', async (t) => {
  const h = await buildTestApp(t, { maxEventLoopDelayMs: 50 })
  const member = await h.signUp()
  // Lag the loop for longer than one of under-pressure's sampling intervals (1 s). It judges the mean delay of
  // an interval, so the loop is blocked in 100 ms slices with a turn between them, each turn a delayed sample:
  // one long block would be a single sample among many short ones and could average out below the limit.
  const until = Date.now() + 2500
  while (Date.now() < until) {
    const slice = Date.now() + 100
    while (Date.now() < slice) {
      // busy: this is the lag being simulated
    }
    await new Promise((resolve) => setImmediate(resolve))
  }
  let shed
  for (let i = 0; i < 30 && !shed; i++) {
    await sleep(100)
    const res = await h.as(member, { url: '/api/v1/me' })
    if (res.statusCode === 503) shed = res
  }
  t.ok(shed, 'a request was shed')
  t.equal(shed?.json().error.code, 'unavailable')
  t.equal(shed?.headers['retry-after'], '5')
  let recovered = false
  for (let i = 0; i < 40 && !recovered; i++) {
    await sleep(100)
    recovered = (await h.as(member, { url: '/api/v1/me' })).statusCode === 200
  }
  t.ok(recovered, 'and served again once the lag is gone')
})
