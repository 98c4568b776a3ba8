/**
 * Realistic forum replies: 300–600 characters of peer-support prose, about a third with the formatting
 * members use (paragraph breaks, bold, italics, a quote, a short list). Deterministic for a given seed;
 * no links, phone numbers or rule phrases, so every reply takes the common path (published, not queued).
 */

export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const SENTENCES = [
  'I went to my home group meeting last night and it really helped to hear other people say what I was feeling.',
  'My sponsor keeps telling me that the first year is about showing up, not about doing everything right.',
  'Today is day {n} for me and the mornings are still the hardest part, but I made coffee and called a friend.',
  'Has anyone else found that the evenings get easier once you have a routine that keeps your hands busy?',
  'I wrote a gratitude list before bed and read it again when I woke up, which sounds silly but it works.',
  'Thank you all for sharing, reading this thread on my lunch break made me feel a lot less alone.',
  'The craving hit hard after work, so I went for a long walk instead and it passed after about twenty minutes.',
  'My family came to an open meeting with me for the first time and my daughter hugged me afterwards.',
  'I am learning that being honest about a bad day is not the same as failing, it is part of the program.',
  'We had a tough conversation at dinner, but nobody stormed off, and that felt like real progress for us.',
  'Sleep is still rough for me, so I have been journaling for ten minutes and keeping the phone in another room.',
  'It is okay to leave a party early; I did that on Saturday and nobody even asked why I was going home.',
  'My counselor suggested I plan the weekend ahead of time, hour by hour if I need to, and it has helped a lot.',
  'I relapsed in the spring and I was so ashamed, but coming back here was the best thing I did this year.',
  'Celebrating {n} days today with a quiet breakfast and a phone call to my brother, who never gave up on me.',
  'One thing that helps me is remembering how the first week felt, so I do not have to go through it again.'
]

const QUOTES = [
  'One day at a time is not a slogan for me any more, it is a plan.',
  'You do not have to see the whole staircase, just take the first step.',
  'Progress, not perfection.'
]

const LISTS = [
  ['call my sponsor', 'go to the Tuesday meeting', 'eat a real breakfast'],
  ['drink water', 'walk the dog', 'write three things I am grateful for'],
  ['leave early if I need to', 'bring my own drinks', 'text the group when I get home']
]

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export function makeBodies(count: number, seed = 42): string[] {
  const random = prng(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
  const sentence = () => pick(SENTENCES).replace('{n}', String(3 + Math.floor(random() * 400)))
  const bodies: string[] = []
  while (bodies.length < count) {
    const style = random()
    const target = 300 + Math.floor(random() * 300)
    let text: string
    if (style < 0.66) {
      // Plain text with a paragraph break: the most common reply.
      const parts: string[] = []
      while (parts.join(' ').length < target - 40) parts.push(sentence())
      const cut = Math.max(1, Math.floor(parts.length / 2))
      text = `${parts.slice(0, cut).join(' ')}\n\n${parts.slice(cut).join(' ')}`
    } else if (style < 0.83) {
      const parts: string[] = [`<p>${escape(sentence())}</p>`, `<blockquote>${pick(QUOTES)}</blockquote>`]
      while (parts.join('').length < target - 60) parts.push(`<p><strong>${escape(sentence())}</strong></p>`)
      text = parts.join('\n')
    } else {
      const items = pick(LISTS)
      const parts: string[] = [`<p>${escape(sentence())}</p>`, `<p><em>My plan for tonight:</em></p>`, `<ul>${items.map((i) => `<li>${i}</li>`).join('')}</ul>`]
      while (parts.join('').length < target - 60) parts.push(`<p>${escape(sentence())}</p>`)
      text = parts.join('\n')
    }
    if (text.length > 600) text = text.slice(0, text.lastIndexOf(' ', 600))
    bodies.push(text)
  }
  return bodies
}
