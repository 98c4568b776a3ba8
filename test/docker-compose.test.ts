import { readFile } from 'node:fs/promises'
import t from 'tap'
import { childDatabase, startServer } from './helpers/server.js'

t.test("docker compose's app runs node under an init, so that `docker stop` reaches the server", async (t) => {
  const compose = await readFile('docker-compose.yml', 'utf8')
  const app = compose.slice(compose.indexOf('\n  app:\n'))
  // PID 1 has no default signal handlers: a shell as PID 1 ignores SIGTERM, and docker stop ends in SIGKILL.
  t.match(app, /\n {4}init: true\n/, 'an init is PID 1 and passes signals on')
  const command = /\n {4}command: sh -c "(.*)"\n/.exec(app)?.[1] ?? ''
  // npm runs the server as a grandchild and does not wait for it when signalled alone: node must be the process.
  t.match(command, /^npm ci && exec node /, 'the shell installs, then becomes node')

  // The command as the container runs it (node_modules is already installed here), signalled as docker stop does.
  const database = await childDatabase(t)
  const server = await startServer(t, database.env, ['sh', ['-c', command.replace(/^npm ci && /, '')]])
  const signalled = Date.now()
  server.child.kill('SIGTERM')
  const exit = await Promise.race([server.exited, new Promise((resolve) => setTimeout(() => resolve('still running 8 s after SIGTERM'), 8000))])
  t.same(exit, { code: 0, signal: null }, `stopped ${Date.now() - signalled} ms after SIGTERM`)
  t.match(server.output(), /shutting down/)
})
