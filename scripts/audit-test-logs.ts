// After `npm test`: reads every log line the test apps wrote and fails if any holds a password, a session
// token, a cookie, or a post body the tests sent. Run by `npm test` itself (posttest).
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'

const dir = process.argv[2] ?? '.tap/audit'
let files: string[]
try {
  files = await readdir(dir)
} catch {
  console.log(`privacy audit: no logs in ${dir} (nothing to check)`)
  process.exit(0)
}

const generic: Array<[string, RegExp]> = [
  ['an Authorization header value', /Bearer\s+[a-z2-7]{16,}/i],
  ['a session cookie', /lantern_session=[a-z2-7]{16,}/i],
  ['a password field', /"password"\s*:\s*"(?!\[redacted\])/],
  ['an argon2 hash', /\$argon2id\$/]
]

let lines = 0
let checked = 0
const findings: string[] = []
for (const file of files.filter((f) => f.endsWith('.log'))) {
  const log = await readFile(join(dir, file), 'utf8')
  const secrets = JSON.parse(await readFile(join(dir, file.replace(/\.log$/, '.secrets.json')), 'utf8')) as string[]
  lines += log.split('\n').filter(Boolean).length
  checked += secrets.length
  for (const secret of secrets) {
    if (log.includes(secret)) findings.push(`${file}: contains a secret the tests used (${secret.slice(0, 6)}…)`)
  }
  for (const [what, pattern] of generic) {
    if (pattern.test(log)) findings.push(`${file}: contains ${what}`)
  }
}

if (findings.length) {
  console.error(`privacy audit FAILED: ${findings.length} finding(s)\n${findings.slice(0, 20).join('\n')}`)
  process.exit(1)
}
console.log(`privacy audit: ${lines} log lines from ${files.length / 2} test apps checked against ${checked} secrets: none found`)
