import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

// The pages /docs serves: the UI, its script and its styles.
const PAGES = ['/docs', '/docs/static/swagger-initializer.js', '/docs/static/swagger-ui.css', '/docs/static/swagger-ui-bundle.js']

t.test('over plain HTTP, /docs does not ask the browser to upgrade its requests to HTTPS', async (t) => {
  // On a host name other than localhost a browser would then load the page's scripts from https://, where nothing
  // answers, and show a blank page.
  const h = await buildTestApp(t, { cookieSecure: false })
  for (const url of PAGES) {
    const res = await h.app.inject({ url, headers: { host: 'forum.lan:3000' } })
    t.equal(res.statusCode, 200, url)
    const csp = String(res.headers['content-security-policy'])
    t.notMatch(csp, /upgrade-insecure-requests/, url)
    t.match(csp, /script-src 'self'/, `${url}: the page's own scripts and nothing else`)
    t.match(csp, /object-src 'none'/, url)
  }
})

t.test('behind HTTPS (COOKIE_SECURE=true), /docs keeps upgrade-insecure-requests', async (t) => {
  const h = await buildTestApp(t, { cookieSecure: true })
  for (const url of PAGES) {
    const res = await h.app.inject({ url })
    t.match(String(res.headers['content-security-policy']), /upgrade-insecure-requests/, url)
  }
})
