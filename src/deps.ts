import type { Clock } from './clock.js'
import type { Config } from './config.js'
import type { Db } from './db/client.js'
import type { CrisisResource } from './moderation/crisis-resources.js'
import type { RuleBook } from './moderation/rules.js'

/** What every service is handed: no service imports a global or knows about HTTP. */
export interface Deps {
  db: Db
  clock: Clock
  config: Config
  rules: RuleBook
  crisisResources: CrisisResource[]
}
