import t from 'tap'
import { buildTestApp } from '../helpers/app.js'

const board = (fields: Record<string, unknown>) => ({
  slug: 'a-new-board',
  name: 'A new board',
  description: 'For the new board.',
  audience: 'everyone',
  requiresContentWarning: false,
  ...fields
})

t.test('a board name must show something and be one line of text', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const refused: Array<[string, string]> = [
    ['spaces', '   '],
    ['a line break', 'Two\nlines'],
    ['a bell', 'Ring\u0007ring'],
    ['a tab', 'Tab\there'],
    ['escape', 'Colour\u001b[31m'],
    ['zero-width only', '\u200b\u200b'],
    ['bidi controls only', '\u202e\u2066']
  ]
  for (const [what, name] of refused) {
    const res = await h.as(admin, { method: 'POST', url: '/api/v1/boards', payload: board({ name }) })
    t.equal(res.statusCode, 400, what)
    t.equal(res.json().error.code, 'validation_failed', what)
    t.equal(res.json().error.details?.field, 'name', what)
  }
  const boards = (await h.as(admin, { url: '/api/v1/boards' })).json().boards as Array<{ slug: string }>
  t.notOk(boards.some((b) => b.slug === 'a-new-board'), 'no board was made')
})

t.test('a board name and description lose what reorders text and the spaces around them', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const res = await h.as(admin, {
    method: 'POST',
    url: '/api/v1/boards',
    payload: board({ name: '  Sober \u202ecurious\u202c  ', description: '\u2067Talk\u2069 here.\r\nAll welcome.\n' })
  })
  t.equal(res.statusCode, 201, res.body)
  t.match(res.json().board, { name: 'Sober curious', description: 'Talk here.\nAll welcome.' })
  const listed = (await h.as(admin, { url: '/api/v1/boards' })).json().boards.find((b: { slug: string }) => b.slug === 'a-new-board')
  t.match(listed, { name: 'Sober curious', description: 'Talk here.\nAll welcome.' }, 'as kept')
})

t.test('a description of only spaces is no description; one with control characters is refused', async (t) => {
  const h = await buildTestApp(t)
  const admin = await h.signUp({ role: 'admin' })
  const blank = await h.as(admin, { method: 'POST', url: '/api/v1/boards', payload: board({ description: ' \n\u200b ' }) })
  t.equal(blank.statusCode, 201, blank.body)
  t.equal(blank.json().board.description, '')
  for (const description of ['Ring\u0007', 'Back\bspace', 'Esc\u001b[2J']) {
    const res = await h.as(admin, { method: 'POST', url: '/api/v1/boards', payload: board({ slug: 'another-board', description }) })
    t.equal(res.statusCode, 400, JSON.stringify(description))
    t.equal(res.json().error.details?.field, 'description')
  }
})
