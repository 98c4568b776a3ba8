/**
 * Child processes for the bench: every server (Lantern, the floors) and every load generator runs in a
 * process of its own, so no two share an event loop. Parent and child talk over the IPC channel with
 * numbered requests: `{id, type, ...}` answered by `{id, ok, result | error}`.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export type Message = { type: string; [key: string]: unknown }

export interface Child {
  readonly process: ChildProcess
  /** Sends a request and resolves with the child's answer (rejects on its error, exit or the timeout). */
  request<T = unknown>(message: Message, timeoutMs?: number): Promise<T>
  /** Resolves with the next unsolicited message of this type. */
  next<T = Message>(type: string, timeoutMs?: number): Promise<T>
  /** Asks the child to stop, and kills it if it does not exit in time. */
  stop(): Promise<void>
}

export interface StartOptions {
  args?: string[]
  /** Run with --expose-gc (memory measurements). */
  gc?: boolean
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[]
  env?: Record<string, string>
}

export const benchFile = (name: string) => fileURLToPath(new URL(`./${name}`, import.meta.url))

export function startChild(script: string, options: StartOptions = {}): Child {
  const child = fork(script, options.args ?? [], {
    execArgv: ['--import', 'tsx', ...(options.gc ? ['--expose-gc'] : []), ...(options.nodeFlags ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...options.env }
  })
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  const waiters = new Map<string, Array<(m: Message) => void>>()
  const early = new Map<string, Message[]>()
  let exited: Error | null = null

  child.on('message', (raw) => {
    const message = raw as Message & { id?: number; ok?: boolean; result?: unknown; error?: string }
    if (typeof message.id === 'number' && pending.has(message.id)) {
      const waiter = pending.get(message.id)!
      pending.delete(message.id)
      if (message.ok) waiter.resolve(message.result)
      else waiter.reject(new Error(`${script}: ${message.error}`))
      return
    }
    const list = waiters.get(message.type)
    const wake = list?.shift()
    if (wake) wake(message)
    else early.set(message.type, [...(early.get(message.type) ?? []), message])
  })
  child.on('exit', (code, signal) => {
    exited = new Error(`${script} exited (code ${code}, signal ${signal})`)
    for (const waiter of pending.values()) waiter.reject(exited)
    pending.clear()
  })

  const withTimeout = <T>(promise: Promise<T>, ms: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${script}: timed out after ${ms} ms waiting for ${what}`)), ms)
      promise.then(
        (v) => {
          clearTimeout(timer)
          resolve(v)
        },
        (e: unknown) => {
          clearTimeout(timer)
          reject(e as Error)
        }
      )
    })

  return {
    process: child,
    request<T>(message: Message, timeoutMs = 120_000) {
      if (exited) return Promise.reject(exited)
      const id = nextId++
      const answer = new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      })
      child.send({ ...message, id })
      return withTimeout(answer, timeoutMs, message.type)
    },
    next<T>(type: string, timeoutMs = 60_000) {
      const queued = early.get(type)
      if (queued && queued.length > 0) return Promise.resolve(queued.shift() as T)
      if (exited) return Promise.reject(exited)
      const message = new Promise<T>((resolve, reject) => {
        waiters.set(type, [...(waiters.get(type) ?? []), resolve as (m: Message) => void])
        child.once('exit', () => reject(exited ?? new Error(`${script} exited`)))
      })
      return withTimeout(message, timeoutMs, type)
    },
    async stop() {
      if (exited || child.exitCode !== null) return
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      try {
        child.send({ type: 'stop', id: 0 })
      } catch {
        // channel already closed
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await gone
      clearTimeout(timer)
    }
  }
}

type Handler = (message: Message) => unknown

/** Child side: answers numbered requests with the handlers, and exits on `stop` after `onStop`. */
export function serve(handlers: Record<string, Handler>, onStop: () => Promise<void> | void = () => {}): void {
  process.on('message', (raw) => {
    const message = raw as Message & { id: number }
    if (message.type === 'stop') {
      void Promise.resolve()
        .then(onStop)
        .catch(() => {})
        .finally(() => process.exit(0))
      return
    }
    const handler = handlers[message.type]
    if (!handler) {
      process.send?.({ id: message.id, ok: false, error: `unknown request ${message.type}` })
      return
    }
    Promise.resolve()
      .then(() => handler(message))
      .then(
        (result) => process.send?.({ id: message.id, ok: true, result }),
        (error: unknown) => process.send?.({ id: message.id, ok: false, error: (error as Error)?.stack ?? String(error) })
      )
  })
  // The parent going away (a crash, Ctrl-C) must not leave this process behind.
  process.on('disconnect', () => {
    void Promise.resolve()
      .then(onStop)
      .catch(() => {})
      .finally(() => process.exit(0))
  })
}

export function announce(message: Message): void {
  process.send?.(message)
}

/** Server memory after a full collection (twice: weak references and finalisers settle). */
export function measureMemory(): { heapUsed: number; external: number; arrayBuffers: number; rss: number } {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc) {
    gc()
    gc()
  }
  const m = process.memoryUsage()
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss }
}
