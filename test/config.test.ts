import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

t.test('defaults follow the contract', async (t) => {
  const config = loadConfig({})
  t.match(config, {
    port: 3000,
    databaseUrl: null,
    dataDir: './data',
    allowedOrigins: [],
    cookieSecure: false,
    newAccountHoldPosts: 1,
    reportHideThreshold: 3,
    claimLeaseSeconds: 600,
    logLevel: 'info',
    trustProxy: false,
    crisisModel: true,
    sourcingModel: true,
    liveSockets: { perAccount: 20, perAddress: 100, unauthenticatedPerAddress: 10 }
  })
})

t.test('values are read and typed', async (t) => {
  const config = loadConfig({
    PORT: '8080',
    DATABASE_URL: 'postgres://u@db:5432/lantern',
    ALLOWED_ORIGINS: 'https://a.example, https://b.example',
    COOKIE_SECURE: 'true',
    NEW_ACCOUNT_HOLD_POSTS: '3',
    TRUST_PROXY: '10.0.0.1',
    CRISIS_MODEL: 'false',
    SOURCING_MODEL: 'no',
    LIVE_SOCKETS_PER_ACCOUNT: '5',
    LIVE_SOCKETS_PER_ADDRESS: '500',
    LIVE_UNAUTHENTICATED_SOCKETS_PER_ADDRESS: '40'
  })
  t.match(config, { port: 8080, databaseUrl: 'postgres://u@db:5432/lantern', cookieSecure: true, newAccountHoldPosts: 3, trustProxy: '10.0.0.1', crisisModel: false, sourcingModel: false })
  t.same(config.liveSockets, { perAccount: 5, perAddress: 500, unauthenticatedPerAddress: 40 })
  t.same(config.allowedOrigins, ['https://a.example', 'https://b.example'])
})

t.test('a bad value stops start-up naming the variable', async (t) => {
  const bad: Array<[string, string]> = [
    ['PORT', 'eighty'],
    ['PORT', '70000'],
    ['DATABASE_URL', 'mysql://x'],
    ['ALLOWED_ORIGINS', 'not a url'],
    ['ALLOWED_ORIGINS', 'https://a.example/path'],
    ['COOKIE_SECURE', 'maybe'],
    ['CRISIS_MODEL', 'sometimes'],
    ['NEW_ACCOUNT_HOLD_POSTS', '-1'],
    ['REPORT_HIDE_THRESHOLD', '0'],
    ['REPORT_CRISIS_PER_HOUR', '0'],
    ['CLAIM_LEASE_SECONDS', '1.5'],
    ['LIVE_SOCKETS_PER_ACCOUNT', '0'],
    ['LIVE_SOCKETS_PER_ADDRESS', 'many'],
    ['LOG_LEVEL', 'loud'],
    ['TRUST_PROXY', 'everyone']
  ]
  for (const [name, value] of bad) {
    let error: unknown
    try {
      loadConfig({ [name]: value })
    } catch (e) {
      error = e
    }
    t.ok(error instanceof ConfigError, `${name}=${value} is refused`)
    t.equal((error as ConfigError).variable, name)
    t.match((error as ConfigError).message, new RegExp(`^${name}: `))
  }
})

t.test('TRUST_PROXY=true is refused: it would let any client choose its rate-limit address', async (t) => {
  for (const value of ['true', 'TRUE', ' true ']) {
    let error: unknown
    try {
      loadConfig({ TRUST_PROXY: value })
    } catch (e) {
      error = e
    }
    t.ok(error instanceof ConfigError, `TRUST_PROXY=${value} is refused`)
    t.equal((error as ConfigError).variable, 'TRUST_PROXY')
    t.match((error as ConfigError).message, /hop count|addresses/, 'the message says what to give instead')
  }
  t.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false)
  t.equal(loadConfig({ TRUST_PROXY: '0' }).trustProxy, false)
  // Fastify 5.12 trusts no hop of a count: every client would count as the proxy, so a count is refused.
  for (const value of ['1', '2']) {
    let error: unknown
    try {
      loadConfig({ TRUST_PROXY: value })
    } catch (e) {
      error = e
    }
    t.ok(error instanceof ConfigError, `TRUST_PROXY=${value} is refused`)
    t.match((error as ConfigError).message, /addresses\/CIDRs/, 'the message says what to give instead')
  }
  t.equal(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).trustProxy, '10.0.0.0/8,127.0.0.1')
  t.equal(loadConfig({ TRUST_PROXY: 'loopback,fd00::/8,::1' }).trustProxy, 'loopback,fd00::/8,::1')
  for (const value of ['10.0.0.0/33', '10.0.0', '::1/129', '1.2.3.4/8/8', 'everyone,10.0.0.1', ',']) {
    t.throws(() => loadConfig({ TRUST_PROXY: value }), ConfigError, `TRUST_PROXY=${value} is refused`)
  }
})

t.test('database timeouts: defaults, values, and a query timeout that must outlast the statement timeout', async (t) => {
  t.same(loadConfig({}).database, { statementTimeoutMs: 10_000, lockTimeoutMs: 5_000, queryTimeoutMs: 12_000, migrationTimeoutMs: 0, idleInTransactionTimeoutMs: 15_000 })
  t.same(
    loadConfig({
      DATABASE_STATEMENT_TIMEOUT_MS: '30000',
      DATABASE_LOCK_TIMEOUT_MS: '0',
      DATABASE_QUERY_TIMEOUT_MS: '35000',
      DATABASE_MIGRATION_TIMEOUT_MS: '600000',
      DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: '60000'
    }).database,
    { statementTimeoutMs: 30_000, lockTimeoutMs: 0, queryTimeoutMs: 35_000, migrationTimeoutMs: 600_000, idleInTransactionTimeoutMs: 60_000 }
  )
  t.same(loadConfig({ DATABASE_STATEMENT_TIMEOUT_MS: '0' }).database.statementTimeoutMs, 0, '0 turns one off')
  const bad: Array<[string, Record<string, string>]> = [
    ['DATABASE_STATEMENT_TIMEOUT_MS', { DATABASE_STATEMENT_TIMEOUT_MS: 'ten' }],
    ['DATABASE_LOCK_TIMEOUT_MS', { DATABASE_LOCK_TIMEOUT_MS: '-1' }],
    ['DATABASE_QUERY_TIMEOUT_MS', { DATABASE_QUERY_TIMEOUT_MS: '5000' }],
    ['DATABASE_QUERY_TIMEOUT_MS', { DATABASE_STATEMENT_TIMEOUT_MS: '20000', DATABASE_QUERY_TIMEOUT_MS: '20000' }],
    ['DATABASE_MIGRATION_TIMEOUT_MS', { DATABASE_MIGRATION_TIMEOUT_MS: '1.5' }],
    ['DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS', { DATABASE_IDLE_IN_TRANSACTION_TIMEOUT_MS: 'forever' }]
  ]
  for (const [name, env] of bad) {
    let error: unknown
    try {
      loadConfig(env)
    } catch (e) {
      error = e
    }
    t.ok(error instanceof ConfigError, `${JSON.stringify(env)} is refused`)
    t.equal((error as ConfigError).variable, name)
  }
})

t.test('HOST must be an address or a host name', async (t) => {
  for (const host of ['0.0.0.0', '::', '127.0.0.1', '::1', 'localhost', 'lantern-app', 'app.internal.example.org']) {
    t.equal(loadConfig({ HOST: host }).host, host, `HOST=${host}`)
  }
  for (const host of ['not a host!', 'http://localhost', '[::1]', 'a..b', '-app', 'app-', 'localhost:3000', 'x'.repeat(64)]) {
    let error: unknown
    try {
      loadConfig({ HOST: host })
    } catch (e) {
      error = e
    }
    t.ok(error instanceof ConfigError, `HOST=${host} is refused`)
    t.equal((error as ConfigError).variable, 'HOST')
  }
})

t.test('CRISIS_RESOURCES_FILE is read with the configuration: one that cannot be used stops start-up naming it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'lantern-crisis-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const good = join(dir, 'resources.json')
  await writeFile(good, JSON.stringify({ resources: [{ name: 'Samaritans', contact: '116 123', url: 'https://www.samaritans.org' }] }))
  t.same(loadConfig({ CRISIS_RESOURCES_FILE: good }).crisisResources, [{ name: 'Samaritans', contact: '116 123', url: 'https://www.samaritans.org' }])
  t.match(loadConfig({}).crisisResources, [{ name: /988/ }], 'the built-in list without it')

  const notJson = join(dir, 'not.json')
  await writeFile(notJson, '{"resources": [')
  const wrongShape = join(dir, 'shape.json')
  await writeFile(wrongShape, JSON.stringify({ resources: [{ name: 'No contact' }] }))
  const empty = join(dir, 'empty.json')
  await writeFile(empty, JSON.stringify({ resources: [] }))
  for (const file of [join(dir, 'missing.json'), dir, notJson, wrongShape, empty]) {
    let error: unknown
    try {
      loadConfig({ CRISIS_RESOURCES_FILE: file })
    } catch (e) {
      error = e
    }
    t.ok(error instanceof ConfigError, `${file} is refused`)
    t.equal((error as ConfigError).variable, 'CRISIS_RESOURCES_FILE')
    t.match((error as Error).message, file, 'the message names the file')
  }
})
