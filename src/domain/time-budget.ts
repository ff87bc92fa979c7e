import { setMaxListeners } from 'node:events';

/**
 * How long a request may still spend on its dependencies: a deadline and a signal that fires at
 * it. A handler starts one per request from the time its function and API Gateway leave it;
 * every store and mailer call runs under it (or under a narrower one derived from it), so a
 * stalled dependency costs the request its budget at most, never the whole function timeout.
 *
 * Ending a budget aborts every call still running under it: a request that has answered never
 * writes or mails afterwards.
 */
export class TimeBudget {
  private readonly controller = newController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private detach: (() => void) | undefined;

  private constructor(
    /** Epoch milliseconds; Infinity for a budget that only ends when told to. */
    readonly deadline: number,
    private readonly clock: () => number,
    parent?: TimeBudget,
  ) {
    if (parent) {
      if (parent.signal.aborted) this.controller.abort(parent.signal.reason);
      else {
        const onAbort = () => this.end(parent.signal.reason);
        parent.signal.addEventListener('abort', onAbort, { once: true });
        this.detach = () => parent.signal.removeEventListener('abort', onAbort);
      }
    }
    if (!this.signal.aborted && Number.isFinite(deadline)) {
      const delay = deadline - clock();
      // Already spent: ended now, so that no call under it can start first.
      if (delay <= 0) this.controller.abort(new TimeBudgetExhaustedError(deadline));
      else {
        this.timer = setTimeout(() => this.end(new TimeBudgetExhaustedError(deadline)), delay);
        // A budget never keeps a process alive on its own.
        this.timer.unref?.();
      }
    }
  }

  /** A budget of `ms` from now. */
  static ofMs(ms: number, clock: () => number = Date.now): TimeBudget {
    return new TimeBudget(clock() + Math.max(0, ms), clock);
  }

  /** A budget ending at `deadline` (epoch ms). */
  static until(deadline: number, clock: () => number = Date.now): TimeBudget {
    return new TimeBudget(deadline, clock);
  }

  /** No deadline of its own: for callers outside a request (the CLI, library use, tests). */
  static unbounded(clock: () => number = Date.now): TimeBudget {
    return new TimeBudget(Infinity, clock);
  }

  /** Fires at the deadline, or when the budget (or the one it came from) is ended. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get ended(): boolean {
    return this.signal.aborted;
  }

  remainingMs(): number {
    if (this.signal.aborted) return 0;
    return Math.max(0, this.deadline - this.clock());
  }

  /** A budget that ends `ms` from now, or with this one if that is sooner. */
  within(ms: number): TimeBudget {
    return new TimeBudget(Math.min(this.deadline, this.clock() + Math.max(0, ms)), this.clock, this);
  }

  /** A budget that ends `ms` before this one (and with it, if this one is ended early). */
  endingEarlierBy(ms: number): TimeBudget {
    return new TimeBudget(this.deadline - ms, this.clock, this);
  }

  /** A budget with this deadline that can be ended on its own without ending this one. */
  child(): TimeBudget {
    return new TimeBudget(this.deadline, this.clock, this);
  }

  /** Ends the budget now: every call under it, and every budget derived from it, is aborted. */
  end(reason: unknown = new TimeBudgetExhaustedError(this.deadline)): void {
    this.release();
    if (!this.signal.aborted) this.controller.abort(reason);
  }

  /** Lets go of the timer and of the parent, for a budget whose work is done. */
  release(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.detach?.();
    this.detach = undefined;
  }
}

/**
 * Every call of a request and every budget derived from it listens on the request's signal: a
 * batch of 50 addresses has well over Node's default 10 listeners, all removed when done.
 */
function newController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(Infinity, controller.signal);
  return controller;
}

/** The deadline of a budget passed before its work was done. */
export class TimeBudgetExhaustedError extends Error {
  override name = 'TimeBudgetExhaustedError';
  constructor(readonly deadline: number) {
    super('The time budget of the request ran out.');
  }
}

/**
 * A dependency did not answer in time, or the request's budget ran out first. Its work may or
 * may not have been done: a write may have landed, a mail may still go out.
 */
export class DependencyTimeoutError extends Error {
  override name = 'DependencyTimeoutError';
  constructor(
    readonly operation: string,
    readonly waitedMs: number,
  ) {
    super(`${operation} did not answer within ${waitedMs} ms`);
  }
}

export function isTimeout(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause) {
    if (current instanceof DependencyTimeoutError || current instanceof TimeBudgetExhaustedError) return true;
  }
  return false;
}
