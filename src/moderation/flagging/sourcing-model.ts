/**
 * The sourcing model: a second net under the sourcing rules. Rules hold offers and requests said in words
 * a rule names ("dm me for bars"); dealers and people in withdrawal also say it in words no rule can
 * safely name ("my cousin can get 80s through his pharmacy job, who wants in"). A text model
 * (text-model.ts) trained by scripts/train-models.ts, which writes sourcing-model.json, with its threshold
 * cut so that at most 1 % of ordinary posts would be held. It reads texts of MIN_SOURCING_WORDS words or
 * more, and only ever holds: a post it scores at or above its threshold waits for a moderator, as one a
 * sourcing rule holds does, and is never refused or changed.
 */
import model from './sourcing-model.json' with { type: 'json' }
import { detectWith, type ModelMatch, readModel, scoreText, type TextModel } from './text-model.js'

/** Shorter texts are left to the rules ("need subs asap" is what rules name best); cross-validation read four words or more best. */
export const MIN_SOURCING_WORDS = 4

/** Whether the sourcing model reads a text, by its normalised words. */
export const readsAsSourcingCandidate = (words: readonly string[]): boolean => words.length >= MIN_SOURCING_WORDS

/** The model's probability for a text it reads; null for one it does not. */
export function sourcingScore(m: TextModel, text: string): number | null {
  return scoreText(m, readsAsSourcingCandidate, text)
}

/** The text's score and the sentence that reads most like sourcing, when the model finds the text sourcing; otherwise null. */
export function detectSourcing(m: TextModel, text: string, normalized?: string): ModelMatch | null {
  return detectWith(m, readsAsSourcingCandidate, text, normalized)
}

/** The shipped model (sourcing-model.json). */
export const shippedSourcingModel: TextModel = readModel(model)
