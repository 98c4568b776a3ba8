/**
 * Child process: the HTTP floor. A bare Fastify with no plugins and a `pg` pool of Lantern's size (or
 * PGlite), its statements prepared as Lantern's hot ones are, answering the two routes the bench loads:
 *
 *  - GET /api/v1/threads/:id?limit=50 runs the very statements Lantern issues for it (captured from
 *    drizzle: the session lookup joined to its account, the thread with its board, author and post count,
 *    the page of posts with authors) and returns the same bytes (checked by the bench).
 *  - POST /api/v1/threads/:id/posts only INSERTs the post row (the columns Lantern's reply writes) and
 *    answers 201 with the post: no session check, validation, sanitising, flagging, counters or event.
 *  - POST /session-checked/api/v1/threads/:id/posts does the same after the session lookup Lantern's other
 *    routes send (SESSION_SQL, with its expiry check): the least a real reply needs, for comparison only.
 *
 * Env: BENCH_DB_URL or BENCH_DB_DIR. Announces `{type: 'ready', port}`. Requests: `authors` (token → account
 * id, for the write route), `stop`.
 */
import { queriesSent } from './count-queries.js'
import { createHash } from 'node:crypto'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import pg from 'pg'
import { v7 as uuidv7 } from 'uuid'
import { announce, type Message, serve } from './proc.js'

type Row = unknown[]
type Query = (text: string, values: unknown[]) => Promise<Row[]>

const url = process.env.BENCH_DB_URL || null
let query: Query
let close: () => Promise<void>
if (url) {
  // Lantern's pool: openDatabase's default size.
  const pool = new pg.Pool({ connectionString: url, max: 10 })
  // Prepared, as Lantern's hot statements are: each statement is parsed and planned once per connection.
  const names = new Map<string, string>()
  const nameOf = (text: string) => names.get(text) ?? (names.set(text, `floor_${names.size}`), names.get(text)!)
  query = async (text, values) => (await pool.query({ name: nameOf(text), text, values, rowMode: 'array' })).rows as Row[]
  close = () => pool.end()
} else {
  const { PGlite } = await import('@electric-sql/pglite')
  const client = new PGlite(process.env.BENCH_DB_DIR ?? undefined)
  await client.waitReady
  query = async (text, values) => (await client.query<Row>(text, values, { rowMode: 'array' })).rows
  close = () => client.close()
}

// The statements Lantern sends for GET /threads/:id (src/accounts/sessions.ts validateSessionToken and
// src/forum/threads.ts readThread), verbatim.
const SESSION_SQL =
  'select "sessions"."id", "sessions"."account_id", "sessions"."created_at", "sessions"."expires_at", "accounts"."id", "accounts"."handle", "accounts"."handle_key", "accounts"."password_hash", "accounts"."circle", "accounts"."role", "accounts"."status", "accounts"."suspended_until", "accounts"."suspension_reason", "accounts"."posts_written", "accounts"."created_at", "accounts"."deleted_at" from "sessions" inner join "accounts" on "accounts"."id" = "sessions"."account_id" where "sessions"."id" = $1 limit $2'
const THREAD_SQL =
  'select "threads"."id", "threads"."board_slug", "threads"."title", "threads"."author_id", "threads"."content_warning", "threads"."state", "threads"."locked", "threads"."last_post_at", "threads"."post_count", "threads"."created_at", "accounts"."handle", "boards"."audience" from "threads" inner join "boards" on "boards"."slug" = "threads"."board_slug" left join "accounts" on "accounts"."id" = "threads"."author_id" where "threads"."id" = $1 limit $2'
const POSTS_SQL =
  'select "posts"."id", "posts"."thread_id", "posts"."author_id", "posts"."body_source", "posts"."body_html", "posts"."content_warning", "posts"."opening", "posts"."state", "posts"."removal_reason", "posts"."published_at", "posts"."created_at", "posts"."edited_at", "accounts"."handle" from "posts" left join "accounts" on "accounts"."id" = "posts"."author_id" where ("posts"."thread_id" = $1 and ("posts"."published_at" is not null and "posts"."state" <> \'held\' or "posts"."author_id" = $2)) order by "posts"."created_at" asc, "posts"."id" asc limit $3'
// The post row of a reply, as Lantern writes it (src/forum/posts.ts prepareReplyWrite), alone.
const INSERT_SQL =
  'insert into "posts" ("id", "thread_id", "author_id", "body_source", "body_html", "content_warning", "opening", "state", "removal_reason", "published_at", "created_at", "edited_at") values ($1, $2, $3, $4, $5, $6, default, $7, default, $8, $9, default) returning "id", "thread_id", "author_id", "body_source", "body_html", "content_warning", "opening", "state", "removal_reason", "published_at", "created_at", "edited_at"'

const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(v as string).toISOString())
const author = (id: unknown, handle: unknown) => (id && handle ? { id, handle } : null)
const tokenOf = (header: string | undefined) => /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? null

function postJson(r: Row, handle: unknown) {
  const gone = r[7] === 'removed' || r[7] === 'deleted'
  return {
    id: r[0],
    threadId: r[1],
    author: author(r[2], handle),
    bodyHtml: gone ? null : r[4],
    contentWarning: r[5],
    state: r[7],
    removalReason: null,
    createdAt: iso(r[10]),
    editedAt: r[11] ? iso(r[11]) : null
  }
}

const authors = new Map<string, { id: string; handle: string }>()
const app = Fastify({ logger: false })

app.get<{ Params: { id: string }; Querystring: { limit?: string } }>('/api/v1/threads/:id', async (request, reply) => {
  const token = tokenOf(request.headers.authorization)
  if (!token) return reply.code(401).send({ error: { code: 'unauthenticated', message: 'Sign in to do that.' } })
  const sessionId = createHash('sha256').update(token).digest('hex')
  const [session] = await query(SESSION_SQL, [sessionId, 1])
  if (!session || (session[3] as Date).getTime() <= Date.now()) {
    return reply.code(401).send({ error: { code: 'unauthenticated', message: 'Your session has ended; sign in again.' } })
  }
  const viewerId = session[4]
  const threadId = request.params.id
  const limit = Number(request.query.limit ?? 25)
  const [t] = await query(THREAD_SQL, [threadId, 1])
  if (!t) return reply.code(404).send({ error: { code: 'not_found', message: 'That thread was not found.' } })
  const rows = await query(POSTS_SQL, [threadId, viewerId, limit + 1])
  const items = rows.slice(0, limit)
  const last = items[items.length - 1]
  const nextCursor =
    rows.length > limit && last ? Buffer.from(JSON.stringify([iso(last[10]), last[0]])).toString('base64url') : null
  const body = JSON.stringify({
    thread: {
      id: t[0],
      board: t[1],
      title: t[2],
      author: author(t[3], t[10]),
      contentWarning: t[4],
      postCount: Number(t[8]),
      lastPostAt: iso(t[7]),
      createdAt: iso(t[9]),
      locked: t[6],
      state: t[5]
    },
    posts: items.map((r) => postJson(r, r[12])),
    nextCursor
  })
  return reply.type('application/json; charset=utf-8').send(body)
})

type ReplyRequest = { Params: { id: string }; Body: { body: string } }

async function insertReply(request: FastifyRequest<ReplyRequest>, reply: FastifyReply, who: { id: unknown; handle: unknown }) {
  const now = new Date()
  const [row] = await query(INSERT_SQL, [uuidv7(), request.params.id, who.id, request.body.body, request.body.body, null, 'visible', now, now])
  return reply
    .code(201)
    .type('application/json; charset=utf-8')
    .send(JSON.stringify({ post: postJson(row!, who.handle), moderation: { state: 'visible', flags: [], crisisResources: [] } }))
}

app.post<ReplyRequest>('/api/v1/threads/:id/posts', async (request, reply) => {
  const who = authors.get(tokenOf(request.headers.authorization) ?? '')
  if (!who) return reply.code(401).send({ error: { code: 'unauthenticated', message: 'Sign in to do that.' } })
  return insertReply(request, reply, who)
})

app.post<ReplyRequest>('/session-checked/api/v1/threads/:id/posts', async (request, reply) => {
  const token = tokenOf(request.headers.authorization)
  const [session] = token ? await query(SESSION_SQL, [createHash('sha256').update(token).digest('hex'), 1]) : []
  if (!session || (session[3] as Date).getTime() <= Date.now()) {
    return reply.code(401).send({ error: { code: 'unauthenticated', message: 'Sign in to do that.' } })
  }
  return insertReply(request, reply, { id: session[4], handle: session[5] })
})

const address = await app.listen({ host: '127.0.0.1', port: 0 })
serve(
  {
    cpu: () => ({ ...process.cpuUsage(), queries: queriesSent() }),
    authors: (message: Message) => {
      for (const [token, who] of Object.entries(message.authors as Record<string, { id: string; handle: string }>)) authors.set(token, who)
      return authors.size
    }
  },
  async () => {
    await app.close()
    await close()
  }
)
announce({ type: 'ready', port: Number(new URL(address).port) })
