import type {} from '@fastify/websocket'
import type { LightMyRequestResponse } from 'fastify'
import t, { type Test } from 'tap'
import { buildTestApp, type TestAccount, type TestApp } from '../helpers/app.js'
import { fromOpenApiPath, listRoutes, routeKey } from '../helpers/routes.js'

/**
 * Who may call what: every route of the app against every kind of caller. Each cell sends a realistic
 * request (a real post, a real queue item, a fresh target where the route uses its target up), so an
 * allowed cell really succeeds and a refused one is refused for the right reason, not for a bad id.
 *
 * A route added to the app without a row here fails the first test.
 */

const ACTORS = ['anonymous', 'recovery', 'family', 'suspended', 'moderator', 'familyModerator', 'admin'] as const
type Actor = (typeof ACTORS)[number]

/** A status, or "status error_code" for a refusal. */
type Cell = number | `${number} ${string}`
/** One expectation per actor, in the order of ACTORS. */
type Cells = [anonymous: Cell, recovery: Cell, family: Cell, suspended: Cell, moderator: Cell, familyModerator: Cell, admin: Cell]

const U = '401 unauthenticated'
const F = '403 forbidden'
const S = '403 suspended'
const N = '404 not_found'

const PASSWORD = 'a long enough password'

interface Request {
  url: string
  payload?: unknown
  headers?: Record<string, string>
  /** Who sends it instead of the actor's shared account (a fresh account of the same kind); null: nobody. */
  as?: TestAccount | null
  /** Open a websocket instead of an HTTP request: the cell's status is 101 when the upgrade succeeds. */
  websocket?: boolean
}

interface Context {
  h: TestApp
  actor: Actor
  /** The actor's shared account; null for anonymous. */
  account: TestAccount | null
  fx: Fixtures
}

interface Row {
  route: string
  /** What the target is, when a route has several rows. */
  target?: string
  cells: Cells
  request(ctx: Context): Promise<Request> | Request
  /** Extra assertions on an allowed answer. */
  check?(t: Tap, res: LightMyRequestResponse, ctx: Context): void
}

type Tap = Test

interface Fixtures {
  accounts: Record<Exclude<Actor, 'anonymous'>, TestAccount>
  admin: TestAccount
  bystander: TestAccount
  familyBystander: TestAccount
  generalThread: string
  familyThread: string
  fresh(kind: Exclude<Actor, 'anonymous'>): Promise<TestAccount & { ownPostId: string }>
  post(account: TestAccount, threadId: string): Promise<string>
  /** An open queue item (a reported post) on a board. */
  queueItem(board: 'general' | 'family'): Promise<string>
  rule(): Promise<string>
  counter(): number
}

async function setUp(h: TestApp): Promise<Fixtures> {
  let n = 0
  const counter = () => ++n
  const admin = await h.signUp({ role: 'admin' })
  const ok = (res: LightMyRequestResponse, status: number, what: string) => {
    if (res.statusCode !== status) throw new Error(`fixture ${what}: ${res.statusCode} ${res.body}`)
    return res.json()
  }
  const post = async (account: TestAccount, threadId: string) => (await h.reply(account, threadId, `Checking in, day ${counter()}.`)).postId
  const bystander = await h.signUp()
  const familyBystander = await h.signUp({ circle: 'family' })
  const generalThread = (await h.startThread(bystander, 'general')).threadId
  const familyThread = (await h.startThread(familyBystander, 'family')).threadId

  const fresh: Fixtures['fresh'] = async (kind) => {
    const account = await h.signUp({ circle: kind === 'family' || kind === 'familyModerator' ? 'family' : 'recovery' })
    const ownPostId = await post(account, generalThread)
    if (kind === 'suspended') {
      ok(await h.as(admin, { method: 'POST', url: `/api/v1/moderation/accounts/${account.id}/suspend`, payload: { reason: 'cooling off' } }), 200, 'suspend')
    } else if (kind === 'moderator' || kind === 'admin') {
      ok(await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${account.id}/role`, payload: { role: kind } }), 200, 'role')
    } else if (kind === 'familyModerator') {
      const res = await h.as(admin, { method: 'PATCH', url: `/api/v1/accounts/${account.id}/role`, payload: { role: 'moderator', boards: ['family'] } })
      ok(res, 200, 'scoped role')
    }
    return { ...account, ownPostId }
  }

  const queueItem: Fixtures['queueItem'] = async (board) => {
    const postId = await post(board === 'family' ? familyBystander : bystander, board === 'family' ? familyThread : generalThread)
    // Staff read every board, and reports are for posts by others.
    ok(await h.as(admin, { method: 'POST', url: `/api/v1/posts/${postId}/reports`, payload: { reason: 'spam' } }), 201, 'report')
    const { items } = ok(await h.as(admin, { url: '/api/v1/moderation/queue?status=open&limit=100' }), 200, 'queue') as {
      items: Array<{ id: string; post: { id: string } }>
    }
    const item = items.find((i) => i.post.id === postId)
    if (!item) throw new Error('fixture queue item: the report made no queue item')
    return item.id
  }

  const rule = async () => {
    const res = await h.as(admin, {
      method: 'POST',
      url: '/api/v1/moderation/rules',
      payload: { pattern: `zqxjv${counter()}`, category: 'custom', action: 'flag' }
    })
    return (ok(res, 201, 'rule') as { rule: { id: string } }).rule.id
  }

  const accounts = {
    recovery: await fresh('recovery'),
    family: await fresh('family'),
    suspended: await fresh('suspended'),
    moderator: await fresh('moderator'),
    familyModerator: await fresh('familyModerator'),
    admin
  }
  return { accounts, admin, bystander, familyBystander, generalThread, familyThread, fresh, post, queueItem, rule, counter }
}

/** The actor's own post, written before any suspension; anonymous targets a member's post. */
async function ownPost({ actor, account, fx }: Context): Promise<{ as?: TestAccount | null; postId: string }> {
  if (actor === 'anonymous') return { postId: await fx.post(fx.bystander, fx.generalThread) }
  if (actor === 'suspended') {
    const suspended = await fx.fresh('suspended')
    return { as: suspended, postId: suspended.ownPostId }
  }
  return { postId: await fx.post(account!, fx.generalThread) }
}

/** A fresh account of the actor's kind, for routes that use the caller up (deleting it, ending its session). */
const freshCaller = async ({ actor, fx }: Context) => (actor === 'anonymous' ? null : fx.fresh(actor))

const boardSlugs = (res: LightMyRequestResponse) => (res.json() as { boards: Array<{ slug: string }> }).boards.map((b) => b.slug)

//                                                 anonymous recovery family suspended moderator familyMod admin
const everyone200: Cells = /*                   */ [200,      200,     200,   200,      200,      200,      200]
const members200: Cells = /*                    */ [U,        200,     200,   200,      200,      200,      200]
const staffOnly200: Cells = /*                  */ [U,        F,       F,     F,        200,      200,      200]
// Suspensions apply on every board: like rule changes, not for a moderator limited to some boards.
const everyBoardStaff200: Cells = /*            */ [U,        F,       F,     F,        200,      F,        200]

const ROWS: Row[] = [
  // Operations and documentation: open to everyone.
  { route: 'GET /healthz', cells: everyone200, request: () => ({ url: '/healthz' }) },
  { route: 'GET /readyz', cells: everyone200, request: () => ({ url: '/readyz' }) },
  { route: 'GET /api/v1/healthz', cells: everyone200, request: () => ({ url: '/api/v1/healthz' }) },
  { route: 'GET /api/v1/readyz', cells: everyone200, request: () => ({ url: '/api/v1/readyz' }) },
  { route: 'GET /docs', cells: everyone200, request: () => ({ url: '/docs' }) },
  { route: 'GET /docs/', cells: everyone200, request: () => ({ url: '/docs/' }) },
  { route: 'GET /docs/json', cells: everyone200, request: () => ({ url: '/docs/json' }) },
  { route: 'GET /docs/yaml', cells: everyone200, request: () => ({ url: '/docs/yaml' }) },
  { route: 'GET /docs/static/index.html', cells: [302, 302, 302, 302, 302, 302, 302], request: () => ({ url: '/docs/static/index.html' }) },
  { route: 'GET /docs/static/swagger-initializer.js', cells: everyone200, request: () => ({ url: '/docs/static/swagger-initializer.js' }) },
  { route: 'GET /docs/*', cells: everyone200, request: () => ({ url: '/docs/static/swagger-ui.css' }) },

  // Accounts and sessions.
  { route: 'GET /api/v1/handles/suggestions', cells: everyone200, request: () => ({ url: '/api/v1/handles/suggestions' }) },
  {
    route: 'POST /api/v1/accounts',
    cells: /*                                        */ [201,      201,     201,   201,      201,      201,      201],
    request: ({ fx }) => ({ url: '/api/v1/accounts', payload: { handle: `newcomer-${process.pid % 1000}-${fx.counter()}`, password: PASSWORD, circle: 'recovery' } })
  },
  {
    route: 'POST /api/v1/sessions',
    target: "the caller's own handle (anonymous: a member's)",
    cells: everyone200,
    request: ({ account, fx }) => ({ url: '/api/v1/sessions', payload: { handle: (account ?? fx.bystander).handle, password: PASSWORD } })
  },
  {
    route: 'DELETE /api/v1/sessions/current',
    target: 'a fresh session of the caller',
    cells: /*                                        */ [U,        204,     204,   204,      204,      204,      204],
    request: async ({ h, account }) => {
      if (!account) return { url: '/api/v1/sessions/current' }
      const login = await h.app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { handle: account.handle, password: PASSWORD } })
      const token = (login.json() as { token: string }).token
      return { url: '/api/v1/sessions/current', as: null, headers: { authorization: `Bearer ${token}` } }
    }
  },
  { route: 'GET /api/v1/me', cells: members200, request: () => ({ url: '/api/v1/me' }) },
  { route: 'GET /api/v1/me/export', cells: members200, request: () => ({ url: '/api/v1/me/export' }) },
  {
    route: 'DELETE /api/v1/me',
    target: 'a fresh account of the same kind',
    cells: /*                                        */ [U,        204,     204,   204,      204,      204,      204],
    request: async (ctx) => ({ url: '/api/v1/me', as: await freshCaller(ctx), payload: { password: PASSWORD } })
  },
  {
    route: 'PATCH /api/v1/accounts/:id/role',
    target: 'a fresh member',
    cells: /*                                        */ [U,        F,       F,     F,        F,        F,        200],
    request: async ({ fx }) => ({ url: `/api/v1/accounts/${(await fx.fresh('recovery')).id}/role`, payload: { role: 'moderator' } })
  },

  // Boards, threads, posts.
  {
    route: 'GET /api/v1/boards',
    cells: everyone200,
    request: () => ({ url: '/api/v1/boards' }),
    check: (t, res, { actor }) => {
      const seesFamily = ['family', 'moderator', 'familyModerator', 'admin'].includes(actor)
      t.equal(boardSlugs(res).includes('family'), seesFamily, `${actor}: the family board is listed only for its circle and staff`)
      t.ok(boardSlugs(res).includes('general'), `${actor}: general is listed`)
    }
  },
  {
    route: 'POST /api/v1/boards',
    target: 'a fresh slug',
    cells: /*                                        */ [U,        F,       F,     F,        F,        F,        201],
    request: ({ fx }) => ({ url: '/api/v1/boards', payload: { slug: `board-${fx.counter()}`, name: 'A new board', audience: 'everyone' } })
  },
  { route: 'GET /api/v1/boards/:slug/threads', target: 'general', cells: members200, request: () => ({ url: '/api/v1/boards/general/threads' }) },
  {
    route: 'GET /api/v1/boards/:slug/threads',
    target: 'family',
    cells: /*                                        */ [U,        N,       200,   N,        200,      200,      200],
    request: () => ({ url: '/api/v1/boards/family/threads' })
  },
  {
    route: 'POST /api/v1/boards/:slug/threads',
    target: 'general',
    cells: /*                                        */ [U,        201,     201,   S,        201,      201,      201],
    request: () => ({ url: '/api/v1/boards/general/threads', payload: { title: 'Day one again', body: 'Starting over, one day at a time.' } })
  },
  {
    route: 'POST /api/v1/boards/:slug/threads',
    target: 'family',
    cells: /*                                        */ [U,        N,       201,   S,        201,      201,      201],
    request: () => ({ url: '/api/v1/boards/family/threads', payload: { title: 'Setting boundaries', body: 'How do you say no with love?' } })
  },
  { route: 'GET /api/v1/threads/:id', target: 'a general thread', cells: members200, request: ({ fx }) => ({ url: `/api/v1/threads/${fx.generalThread}` }) },
  {
    route: 'GET /api/v1/threads/:id',
    target: 'a family thread',
    cells: /*                                        */ [U,        N,       200,   N,        200,      200,      200],
    request: ({ fx }) => ({ url: `/api/v1/threads/${fx.familyThread}` })
  },
  {
    route: 'PATCH /api/v1/threads/:id',
    target: 'a fresh family thread (locking)',
    cells: staffOnly200,
    request: async ({ h, fx }) => ({
      url: `/api/v1/threads/${(await h.startThread(fx.familyBystander, 'family')).threadId}`,
      payload: { locked: true }
    }),
    check: (t, res, { actor }) => t.equal((res.json() as { thread: { locked: boolean } }).thread.locked, true, `${actor}: the thread is locked`)
  },
  {
    route: 'POST /api/v1/threads/:id/posts',
    target: 'a general thread',
    cells: /*                                        */ [U,        201,     201,   S,        201,      201,      201],
    request: ({ fx }) => ({ url: `/api/v1/threads/${fx.generalThread}/posts`, payload: { body: 'Sending strength.' } })
  },
  {
    route: 'POST /api/v1/threads/:id/posts',
    target: 'a family thread',
    cells: /*                                        */ [U,        N,       201,   S,        201,      201,      201],
    request: ({ fx }) => ({ url: `/api/v1/threads/${fx.familyThread}/posts`, payload: { body: 'We went through this too.' } })
  },
  {
    route: 'PATCH /api/v1/posts/:id',
    target: "the caller's own post",
    cells: /*                                        */ [U,        200,     200,   S,        200,      200,      200],
    request: async (ctx) => {
      const { as, postId } = await ownPost(ctx)
      return { url: `/api/v1/posts/${postId}`, payload: { body: 'Edited: still here.' }, ...(as !== undefined ? { as } : {}) }
    }
  },
  {
    route: 'PATCH /api/v1/posts/:id',
    target: "someone else's post",
    cells: /*                                        */ [U,        F,       F,     S,        F,        F,        F],
    request: async ({ fx }) => ({ url: `/api/v1/posts/${await fx.post(fx.bystander, fx.generalThread)}`, payload: { body: 'Not mine to edit.' } })
  },
  {
    route: 'DELETE /api/v1/posts/:id',
    target: "the caller's own post (a suspended member may still delete theirs)",
    cells: /*                                        */ [U,        204,     204,   204,      204,      204,      204],
    request: async (ctx) => {
      const { as, postId } = await ownPost(ctx)
      return { url: `/api/v1/posts/${postId}`, ...(as !== undefined ? { as } : {}) }
    }
  },
  {
    route: 'DELETE /api/v1/posts/:id',
    target: "someone else's post",
    cells: /*                                        */ [U,        F,       F,     F,        F,        F,        F],
    request: async ({ fx }) => ({ url: `/api/v1/posts/${await fx.post(fx.bystander, fx.generalThread)}` })
  },
  {
    route: 'DELETE /api/v1/posts/:id',
    target: "a family member's post",
    cells: /*                                        */ [U,        N,       F,     N,        F,        F,        F],
    request: async ({ fx }) => ({ url: `/api/v1/posts/${await fx.post(fx.familyBystander, fx.familyThread)}` })
  },
  {
    route: 'POST /api/v1/posts/:id/reports',
    target: "a fresh post by someone else",
    cells: /*                                        */ [U,        201,     201,   S,        201,      201,      201],
    request: async ({ fx }) => ({ url: `/api/v1/posts/${await fx.post(fx.bystander, fx.generalThread)}/reports`, payload: { reason: 'harassment' } })
  },
  {
    route: 'POST /api/v1/posts/:id/reports',
    target: "a family member's post",
    cells: /*                                        */ [U,        N,       201,   S,        201,      201,      201],
    request: async ({ fx }) => ({ url: `/api/v1/posts/${await fx.post(fx.familyBystander, fx.familyThread)}/reports`, payload: { reason: 'spam' } })
  },

  // Moderation: staff only; a board-scoped moderator only sees their boards' queue items, and may read and try the
  // rules, which apply on every board, but not change them.
  { route: 'GET /api/v1/moderation/rules', cells: staffOnly200, request: () => ({ url: '/api/v1/moderation/rules' }) },
  {
    route: 'POST /api/v1/moderation/rules',
    cells: /*                                        */ [U,        F,       F,     F,        201,      F,        201],
    request: ({ fx }) => ({ url: '/api/v1/moderation/rules', payload: { pattern: `zqxjw${fx.counter()}`, category: 'custom', action: 'flag' } })
  },
  {
    route: 'PATCH /api/v1/moderation/rules/:id',
    target: 'a fresh rule',
    cells: /*                                        */ [U,        F,       F,     F,        200,      F,        200],
    request: async ({ fx }) => ({ url: `/api/v1/moderation/rules/${await fx.rule()}`, payload: { enabled: false } })
  },
  {
    route: 'DELETE /api/v1/moderation/rules/:id',
    target: 'a fresh rule',
    cells: /*                                        */ [U,        F,       F,     F,        204,      F,        204],
    request: async ({ fx }) => ({ url: `/api/v1/moderation/rules/${await fx.rule()}` })
  },
  { route: 'POST /api/v1/moderation/rules/test', cells: staffOnly200, request: () => ({ url: '/api/v1/moderation/rules/test', payload: { text: 'anyone holding tonight?' } }) },
  {
    route: 'GET /api/v1/moderation/queue',
    cells: staffOnly200,
    request: async ({ fx }) => {
      await fx.queueItem('general')
      return { url: '/api/v1/moderation/queue?status=open&limit=100' }
    },
    check: (t, res, { actor }) => {
      const boards = new Set((res.json() as { items: Array<{ board: string }> }).items.map((i) => i.board))
      if (actor === 'familyModerator') t.same([...boards], boards.size ? ['family'] : [], 'a family-board moderator sees only family items')
      else t.ok(boards.has('general'), `${actor}: sees general items`)
    }
  },
  {
    route: 'POST /api/v1/moderation/queue/:id/claim',
    target: 'a fresh family-board item',
    cells: staffOnly200,
    request: async ({ fx }) => ({ url: `/api/v1/moderation/queue/${await fx.queueItem('family')}/claim` })
  },
  {
    route: 'POST /api/v1/moderation/queue/:id/claim',
    target: 'a fresh general-board item (outside the family moderator’s boards)',
    cells: /*                                        */ [U,        F,       F,     F,        200,      N,        200],
    request: async ({ fx }) => ({ url: `/api/v1/moderation/queue/${await fx.queueItem('general')}/claim` })
  },
  {
    route: 'POST /api/v1/moderation/queue/:id/release',
    target: 'a fresh family-board item the caller claimed (when staff)',
    cells: staffOnly200,
    request: async ({ h, fx, account }) => {
      const id = await fx.queueItem('family')
      // Staff claim it first; a member's claim is refused like the release itself.
      if (account) await h.as(account, { method: 'POST', url: `/api/v1/moderation/queue/${id}/claim` })
      return { url: `/api/v1/moderation/queue/${id}/release` }
    }
  },
  {
    route: 'POST /api/v1/moderation/queue/:id/resolve',
    target: 'a fresh family-board item',
    cells: staffOnly200,
    request: async ({ fx }) => ({ url: `/api/v1/moderation/queue/${await fx.queueItem('family')}/resolve`, payload: { decision: 'approve' } })
  },
  {
    route: 'POST /api/v1/moderation/queue/:id/resolve',
    target: 'a fresh general-board item',
    cells: /*                                        */ [U,        F,       F,     F,        200,      N,        200],
    request: async ({ fx }) => ({ url: `/api/v1/moderation/queue/${await fx.queueItem('general')}/resolve`, payload: { decision: 'remove', reason: 'spam' } })
  },
  {
    route: 'POST /api/v1/moderation/accounts/:id/suspend',
    target: 'a fresh member',
    cells: everyBoardStaff200,
    request: async ({ fx }) => ({ url: `/api/v1/moderation/accounts/${(await fx.fresh('recovery')).id}/suspend`, payload: { days: 3, reason: 'heated' } })
  },
  {
    route: 'POST /api/v1/moderation/accounts/:id/unsuspend',
    target: 'a fresh suspended member',
    cells: everyBoardStaff200,
    request: async ({ fx }) => ({ url: `/api/v1/moderation/accounts/${(await fx.fresh('suspended')).id}/unsuspend`, payload: {} })
  },
  { route: 'GET /api/v1/moderation/log', cells: staffOnly200, request: () => ({ url: '/api/v1/moderation/log' }) },

  // Live: the upgrade is open to everyone; an anonymous socket must authenticate with its first message.
  {
    route: 'GET /api/v1/live',
    target: 'a websocket upgrade',
    cells: /*                                        */ [101,      101,     101,   101,      101,      101,      101],
    request: () => ({ url: '/api/v1/live', websocket: true })
  }
]

/** HEAD routes Fastify derives from GET routes answer as their GET does; these rows say so explicitly where they do not. */
const HEAD_ROWS: Row[] = [
  {
    route: 'HEAD /api/v1/live',
    target: 'a plain HTTP request to the websocket route',
    cells: [N, N, N, N, N, N, N],
    request: () => ({ url: '/api/v1/live' })
  }
]

const methodOf = (route: string) => route.split(' ')[0]!
const urlOf = (route: string) => route.split(' ')[1]!

async function send(h: TestApp, ctx: Context, row: Row, method: string): Promise<{ status: number; res?: LightMyRequestResponse }> {
  const request = await row.request(ctx)
  const caller = request.as !== undefined ? request.as : ctx.account
  const headers = { ...(caller ? caller.auth : {}), ...(request.headers ?? {}) }
  if (request.websocket) {
    try {
      const socket = await h.app.injectWS(request.url, { headers })
      socket.terminate()
      return { status: 101 }
    } catch (error) {
      return { status: Number(/\d{3}/.exec(String(error))?.[0] ?? 0) }
    }
  }
  const res = await h.app.inject({
    method: method as 'GET',
    url: request.url,
    headers,
    ...(request.payload !== undefined ? { payload: request.payload as object } : {})
  })
  return { status: res.statusCode, res }
}

const describe = (row: Row) => (row.target ? `${row.route} (${row.target})` : row.route)

t.test('the table has a row for every route the app serves, and no row for a route it does not', async (t) => {
  const h = await buildTestApp(t)
  const served = listRoutes(h.app)
  t.ok(served.length > 30, `the route tree was read (${served.length} routes)`)
  const rows = new Set([...ROWS, ...HEAD_ROWS].map((r) => r.route))
  const getRows = new Set(ROWS.filter((r) => methodOf(r.route) === 'GET').map((r) => urlOf(r.route)))
  for (const route of served) {
    const key = routeKey(route)
    const covered = rows.has(key) || (route.method === 'HEAD' && getRows.has(route.url))
    t.ok(covered, `${key} has a row`)
  }
  const servedKeys = new Set(served.map(routeKey))
  for (const route of rows) t.ok(servedKeys.has(route), `the row ${route} names a served route`)

  const doc = (await h.app.inject({ url: '/docs/json' })).json() as { paths: Record<string, Record<string, unknown>> }
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const method of Object.keys(operations)) {
      const key = `${method.toUpperCase()} ${fromOpenApiPath(path)}`
      t.ok(servedKeys.has(key), `the documented ${key} is served`)
    }
  }
})

t.test('every route answers each kind of caller as the contract says', async (t) => {
  // Load shedding off (0 disables it): the embedded PGlite blocks this process's event loop, and a shed 503
  // says nothing about who may call what.
  const h = await buildTestApp(t, { maxEventLoopDelayMs: 0 })
  const fx = await setUp(h)
  const contextFor = (actor: Actor): Context => ({ h, actor, account: actor === 'anonymous' ? null : fx.accounts[actor], fx })

  const runRow = (row: Row, method: string, derived: boolean) =>
    t.test(`${derived ? `HEAD as ${describe(row)}` : describe(row)}`, async (t) => {
      for (const [i, actor] of ACTORS.entries()) {
        const cell = row.cells[i]!
        const [status, code] = typeof cell === 'number' ? [cell, undefined] : [Number(cell.split(' ')[0]), cell.split(' ')[1]]
        const ctx = contextFor(actor)
        const { status: got, res } = await send(h, ctx, row, method)
        t.equal(got, status, `${actor}: ${status}${code ? ` ${code}` : ''}${got !== status && res ? ` — got ${res.body.slice(0, 200)}` : ''}`)
        if (!res || method === 'HEAD' || got !== status) continue
        if (code) {
          t.same(Object.keys(res.json() as object), ['error'], `${actor}: an error body`)
          t.equal((res.json() as { error: { code: string } }).error.code, code, `${actor}: ${code}`)
        } else if (row.check) {
          row.check(t, res, ctx)
        }
      }
    })

  for (const row of ROWS) {
    await runRow(row, methodOf(row.route), false)
    // Fastify answers HEAD for every GET; it must refuse and allow exactly as the GET does.
    if (methodOf(row.route) === 'GET' && !row.route.startsWith('GET /docs') && !row.cells.includes(101)) {
      await runRow(row, 'HEAD', true)
    }
  }
  for (const row of HEAD_ROWS) await runRow(row, 'HEAD', false)
})
