import type { FastifyInstance } from 'fastify'

export interface RouteKey {
  method: string
  /** Fastify's pattern, e.g. /api/v1/threads/:id */
  url: string
}

export const routeKey = (r: RouteKey) => `${r.method} ${r.url}`

/**
 * Every route the app serves, read from Fastify's own route tree (printRoutes), so a route added to src/
 * shows up here without anyone remembering to list it. HEAD routes Fastify derives from GET routes are
 * reported too; callers decide what to do with them.
 */
export function listRoutes(app: FastifyInstance): RouteKey[] {
  const tree = app.printRoutes({ commonPrefix: false })
  const stack: string[] = []
  const routes: RouteKey[] = []
  for (const line of tree.split('\n')) {
    if (!line.trim()) continue
    // Each level of the tree is drawn with four characters: "│   ", "    ", "├── " or "└── ".
    const match = /^((?:[│ ] {3})*)(?:[├└]── )?(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line)
    if (!match) throw new Error(`printRoutes line not understood: ${JSON.stringify(line)}`)
    const depth = match[1]!.length / 4
    const segment = match[2]!
    stack.length = depth
    stack.push(segment)
    const methods = match[3]
    if (!methods) continue
    const url = stack.join('')
    for (const method of methods.split(',').map((m) => m.trim())) routes.push({ method, url })
  }
  return routes.sort((a, b) => routeKey(a).localeCompare(routeKey(b)))
}

/** An OpenAPI path (/threads/{id}) in Fastify's notation (/threads/:id). */
export const fromOpenApiPath = (path: string) => path.replace(/\{([^}]+)\}/g, ':$1')
