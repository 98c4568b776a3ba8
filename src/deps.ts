import type { Clock } from './clock.js'
import type { Config } from './config.js'
import type { Db } from './db/client.js'

/** What every service is handed: no service imports a global or knows about HTTP. */
export interface Deps {
  db: Db
  clock: Clock
  config: Config
}
