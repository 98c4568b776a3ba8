/**
 * Work done in steps: a generator that yields where its caller may pause, so that a large compile can let the
 * event loop run between its steps (engine.ts, compileEngineInSlices), or be run through at once.
 */
export type Steps<T> = Generator<void, T>

/** Runs the steps to their end without pausing. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const step = steps.next()
    if (step.done === true) return step.value
  }
}
