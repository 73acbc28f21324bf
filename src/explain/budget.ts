import { EdgerunError } from '../errors.js';

/** An explanation stopped by its caller (a closed HTTP request, Ctrl-C): nothing is returned. */
export class ExplainCancelledError extends EdgerunError {
  constructor(what: string) {
    super('EXPLAIN_CANCELLED', `${what} was cancelled`);
  }
}

/** What bounds one explanation: a cancel signal, a time budget (the map so far is returned) and progress reports. */
export interface ExplainBudget {
  signal?: AbortSignal;
  /** Stop adding masks after this long; the map is built from the masks scored so far. */
  budgetMs?: number;
  onProgress?: (done: number, total: number) => void;
  /** performance.now by default. */
  now?: () => number;
}

export class BudgetClock {
  private readonly start: number;
  private readonly now: () => number;

  constructor(private readonly budget: ExplainBudget) {
    this.now = budget.now ?? (() => performance.now());
    this.start = this.now();
  }

  /** Throws when cancelled; false once the time budget is spent. */
  keepGoing(what: string): boolean {
    if (this.budget.signal?.aborted) throw new ExplainCancelledError(what);
    return this.budget.budgetMs === undefined || this.now() - this.start < this.budget.budgetMs;
  }

  progress(done: number, total: number): void {
    this.budget.onProgress?.(done, total);
  }

  elapsedMs(): number {
    return this.now() - this.start;
  }
}
