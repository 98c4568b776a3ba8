import t, { type Test } from 'tap'
import { compileRules, normalize, type FlagRule } from '../../../src/moderation/flagging/index.js'

const rules: FlagRule[] = [
  { id: 'kill-myself', pattern: 'kill myself', category: 'crisis', action: 'escalate' },
  { id: 'want-to-die', pattern: 'want to die', category: 'crisis', action: 'escalate' },
  { id: 'kms', pattern: 'kms', category: 'crisis', action: 'escalate' },
  { id: 'want-to-any-myself', pattern: 'want to * myself', category: 'crisis', action: 'escalate' },
  { id: 'ass', pattern: 'ass', category: 'harassment', action: 'flag' },
  { id: 'cunt', pattern: 'cunt', category: 'harassment', action: 'flag' },
  { id: 'rapist', pattern: 'rapist', category: 'harassment', action: 'flag' },
  { id: 'kill', pattern: 'kill', category: 'custom', action: 'flag' },
  { id: 'cock', pattern: 'cock', category: 'harassment', action: 'flag' },
  { id: 'self-harm', pattern: 'self harm', category: 'crisis', action: 'escalate' },
  { id: 'sourcing-selling-percs', pattern: 'selling percs', category: 'sourcing', action: 'hold' }
]
const compiled = compileRules(rules)

/** The single match of `ruleId` in `text`, with its excerpt checked against the original. */
function expectMatch(t: Test, text: string, ruleId: string, excerpt: string): void {
  const found = compiled.scan(text, { detectPersonalInfo: false }).filter((m) => m.ruleId === ruleId)
  t.equal(found.length, 1, `${JSON.stringify(text)} matches ${ruleId} once`)
  const match = found[0]
  if (match === undefined) return
  t.equal(match.excerpt, excerpt, `${JSON.stringify(text)} shows ${JSON.stringify(excerpt)}`)
  t.equal(text.slice(match.start, match.end), match.excerpt)
}

t.test('each evasion on its own still matches, and the excerpt is what was written', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['I will KILL MYSELF', 'kill-myself', 'KILL MYSELF'],
    ['I will Kill Myself', 'kill-myself', 'Kill Myself'],
    ['ｋｉｌｌ ｍｙｓｅｌｆ', 'kill-myself', 'ｋｉｌｌ ｍｙｓｅｌｆ'],
    ['𝐤𝐢𝐥𝐥 𝐦𝐲𝐬𝐞𝐥𝐟 now', 'kill-myself', '𝐤𝐢𝐥𝐥 𝐦𝐲𝐬𝐞𝐥𝐟'],
    ['ⓚⓘⓛⓛ myself', 'kill-myself', 'ⓚⓘⓛⓛ myself'],
    ['i will kíll mysélf', 'kill-myself', 'kíll mysélf'],
    ['i will k\u0301ill myself', 'kill-myself', 'k\u0301ill myself'],
    ['i want to кill myѕelf', 'kill-myself', 'кill myѕelf'],
    ['i want to kіll mуself', 'kill-myself', 'kіll mуself'],
    ['ΚΙLL myself', 'kill-myself', 'ΚΙLL myself'],
    ['k1ll myself', 'kill-myself', 'k1ll myself'],
    ['kill my$elf', 'kill-myself', 'kill my$elf'],
    ['$3lf h4rm again', 'self-harm', '$3lf h4rm'],
    ['$3ll1ng p3rc$ dm me', 'sourcing-selling-percs', '$3ll1ng p3rc$'],
    ['k!ll myself', 'kill-myself', 'k!ll myself'],
    ['kill mys3lf', 'kill-myself', 'kill mys3lf'],
    ['w4nt to die', 'want-to-die', 'w4nt to die'],
    ['w@nt to die', 'want-to-die', 'w@nt to die'],
    ['want t0 die', 'want-to-die', 'want t0 die'],
    ['ki11 myself', 'kill-myself', 'ki11 myself'],
    ['ki\u200bll myself', 'kill-myself', 'ki\u200bll myself'],
    ['ki\u200cll my\u200dself', 'kill-myself', 'ki\u200cll my\u200dself'],
    ['ki\u00adll myself', 'kill-myself', 'ki\u00adll myself'],
    ['\ufeffkill\u2060 myself', 'kill-myself', 'kill\u2060 myself'],
    ['k i l l myself', 'kill-myself', 'k i l l myself'],
    ['k.i.l.l myself', 'kill-myself', 'k.i.l.l myself'],
    ['k-i-l-l myself', 'kill-myself', 'k-i-l-l myself'],
    ['k_i_l_l myself', 'kill-myself', 'k_i_l_l myself'],
    ['k i l l m y s e l f', 'kill-myself', 'k i l l m y s e l f'],
    ['k m s', 'kms', 'k m s'],
    ['killlll myself', 'kill-myself', 'killlll myself'],
    ['i want to diiiie', 'want-to-die', 'want to diiiie'],
    ['wannnnt to die', 'want-to-die', 'wannnnt to die'],
    ['killmyself', 'kill-myself', 'killmyself'],
    ['kill\nmyself', 'kill-myself', 'kill\nmyself'],
    ['kill... myself', 'kill-myself', 'kill... myself']
  ]
  for (const [text, ruleId, excerpt] of cases) expectMatch(t, text, ruleId, excerpt)
})

t.test('evasions combined still match, with offsets into the original text', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['tonight i will k.1.l.l  my$elf', 'kill-myself', 'k.1.l.l  my$elf'],
    ['КІLL MУЅЕLF', 'kill-myself', 'КІLL MУЅЕLF'],
    ['ｋ\u200bｉｌｌｌｌ my$3lf', 'kill-myself', 'ｋ\u200bｉｌｌｌｌ my$3lf'],
    ['I w\u200bа\u00adnt t0 d1iiie', 'want-to-die', 'w\u200bа\u00adnt t0 d1iiie'],
    ['🙂 K Í L L 🙂 myself', 'kill-myself', 'K Í L L 🙂 myself'],
    ['I w4nt to ćüt mys3lf', 'want-to-any-myself', 'w4nt to ćüt mys3lf']
  ]
  for (const [text, ruleId, excerpt] of cases) {
    const found = compiled.scan(text, { detectPersonalInfo: false }).filter((m) => m.ruleId === ruleId)
    t.equal(found.length, 1, `${JSON.stringify(text)} matches ${ruleId}`)
    t.equal(found[0]?.excerpt, excerpt)
  }
})

t.test('a pattern never matches inside a longer innocent word', async (t) => {
  const benign = ['my skill set', 'Scunthorpe United', 'my therapist helped', 'the assassin movie', 'a cocktail party', 'classic bass line', 'skilled nursing', 'killer workout', 'I killed it at my interview', 'passion', 'Dickens']
  for (const text of benign) t.same(compiled.scan(text), [], `${JSON.stringify(text)} has no match`)
  t.same(
    compiled.scan('you ass').map((m) => m.excerpt),
    ['ass'],
    'the word itself still matches'
  )
})

t.test('stretching a letter does not turn a short word into a longer pattern', async (t) => {
  const asOnly = compileRules([{ id: 'as', pattern: 'as', category: 'custom', action: 'flag' }])
  t.same(asOnly.scan('ass'), [], 'a doubled letter is not a stretch')
  t.equal(compiled.scan('as good as it gets').length, 0, '"as" is not "ass"')
  t.equal(compiled.scan('asssss').length, 1, 'but a long stretch of ass still matches ass')
})

t.test('numbers stay numbers: only digits inside words are read as letters', async (t) => {
  const numbers = compileRules([
    { id: 'io', pattern: 'io', category: 'custom', action: 'flag' },
    { id: 'e', pattern: 'e', category: 'custom', action: 'flag' },
    { id: 'so', pattern: 'so', category: 'custom', action: 'flag' },
    { id: 'is', pattern: 'is', category: 'custom', action: 'flag' },
    { id: 'days', pattern: 'eo days', category: 'custom', action: 'flag' }
  ])
  for (const text of ['day 10', '30 days clean', 'since 2024', 'it cost $50', 'at 3:30', '15 years', 'day 1 again', 'I am 3', '10 5 3']) {
    t.same(numbers.scan(text, { detectPersonalInfo: false }), [], `${JSON.stringify(text)} has no match`)
  }
})

t.test('normalize exposes the normalised words and maps each character back to the original', async (t) => {
  const original = 'I wánt t0  K.І.L.L my$elf\u200b!'
  const n = normalize(original)
  t.equal(n.text, 'i want to kill myself')
  t.equal(n.starts.length, n.text.length)
  t.equal(n.ends.length, n.text.length)
  const k = n.text.indexOf('kill')
  t.equal(original.slice(n.starts[k] ?? -1, n.ends[k + 3] ?? -1), 'K.І.L.L')
  const m = n.text.indexOf('myself')
  t.equal(original.slice(n.starts[m] ?? -1, n.ends[m + 5] ?? -1), 'my$elf')
  t.equal(normalize("Don’t stop, I'm OK").text, 'dont stop im ok', 'apostrophes join a word')
  t.equal(normalize('help! $20 @ 3:30').text, 'help 20 3 30', 'symbols are letters only among letters')
})

t.test('emoji of the trade read as words, and a match shows the emoji as written; other emoji are nothing', async (t) => {
  const trade = compileRules([
    { id: 'plug-then-pill', pattern: 'emojiplug ** emojipill', category: 'sourcing', action: 'hold' },
    { id: 'got-pill', pattern: 'got emojipill', category: 'sourcing', action: 'hold' },
    { id: 'snow-tap-in', pattern: 'emojisnow tap in', category: 'sourcing', action: 'hold' }
  ])
  const found = (text: string) => trade.scan(text, { detectPersonalInfo: false }).map((m) => [m.ruleId, m.excerpt])
  t.same(found('🔌 here, got 💊 and ❄️, tap in'), [
    ['plug-then-pill', '🔌 here, got 💊'],
    ['got-pill', 'got 💊'],
    ['snow-tap-in', '❄️, tap in']
  ])
  t.same(found('got💊'), [['got-pill', 'got💊']], 'an emoji is a word of its own, even against a word')
  t.same(found('G.O.T 💊'), [['got-pill', 'G.O.T 💊']])
  t.same(found('got ❤️ 🙏 😊 💊'), [['got-pill', 'got ❤️ 🙏 😊 💊']], 'other emoji say nothing: a phrase reads through them as through punctuation')
  t.equal(normalize('I ❤️ my group 🙏 got 💊').text, 'i my group got emojipill')
  const snow = normalize('a ❄️ b')
  const at = snow.text.indexOf('emojisnow')
  t.equal('a ❄️ b'.slice(snow.starts[at] ?? -1, snow.ends[at + 'emojisnow'.length - 1] ?? -1), '❄', 'every letter of the word maps to the emoji')
  t.equal(normalize('💉 🩸 💙').text, '', 'needles, blood and hearts are not read: members write them about harm reduction and love')
})
