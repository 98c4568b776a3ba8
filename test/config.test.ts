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
    sourcingModel: true
  })
})

t.test('values are read and typed', async (t) => {
  const config = loadConfig({
    PORT: '8080',
    DATABASE_URL: 'postgres://u@db:5432/lantern',
    ALLOWED_ORIGINS: 'https://a.example, https://b.example',
    COOKIE_SECURE: 'true',
    NEW_ACCOUNT_HOLD_POSTS: '3',
    TRUST_PROXY: '1',
    CRISIS_MODEL: 'false',
    SOURCING_MODEL: 'no'
  })
  t.match(config, { port: 8080, databaseUrl: 'postgres://u@db:5432/lantern', cookieSecure: true, newAccountHoldPosts: 3, trustProxy: 1, crisisModel: false, sourcingModel: false })
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
    ['CLAIM_LEASE_SECONDS', '1.5'],
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
