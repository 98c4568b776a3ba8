import { readFileSync } from 'node:fs'
import defaults from './crisis-resources.json' with { type: 'json' }

export interface CrisisResource {
  name: string
  contact: string
  url: string
}

/**
 * The support lines shown to a writer whose post matched an escalate rule. A deployment outside the US
 * points CRISIS_RESOURCES_FILE at its own list ({"resources": [{name, contact, url}]}). Read with the configuration
 * (src/config.ts), which names the variable when this throws: a list that cannot be used stops start-up before the
 * database is opened, rather than after migrating it.
 */
export function loadCrisisResources(file: string | null): CrisisResource[] {
  let data: unknown = defaults
  if (file) {
    try {
      data = JSON.parse(readFileSync(file, 'utf8'))
    } catch (error) {
      throw new Error(`cannot read ${file}: ${(error as Error).message}`, { cause: error })
    }
  }
  const list = (data as { resources?: unknown } | null)?.resources
  if (!Array.isArray(list) || list.length === 0) {
    throw new Error(`${file} must hold {"resources": [{"name", "contact", "url"}, ...]}`)
  }
  return list.map((entry, index) => {
    const r = (entry ?? {}) as Partial<CrisisResource>
    if (typeof r.name !== 'string' || typeof r.contact !== 'string' || typeof r.url !== 'string') {
      throw new Error(`${file}: resource ${index} needs string name, contact and url`)
    }
    return { name: r.name, contact: r.contact, url: r.url }
  })
}
