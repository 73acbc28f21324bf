/**
 * Whether a CPU model's invoke runs on the calling thread instead of koffi's worker thread.
 *
 * The hand-off to the worker thread and back costs a fixed few tens of microseconds: 15-20% of micro_speech's
 * 0.18 ms invoke (BENCHMARKS.md, issue 2), nothing for a 40 ms MobileNet. A model whose fastest first invoke takes
 * under SYNC_BELOW_MS runs synchronously from then on. The fastest, not the median: timed through the hand-off, a busy
 * machine makes invokes look longer, never shorter (with two test files at a time on two cores, micro_speech's median
 * went over 1 ms), and a model's own cost is what the decision is about. Holding the event loop that long is
 * harmless at the rates such models run (a keyword model every 20-100 ms), while a slower model keeps the event loop
 * free during its invoke.
 */
export const SYNC_BELOW_MS = 1;
/** Invokes timed before deciding; the first invoke of an interpreter (allocations, warm-up) is not counted. */
const SAMPLES = 8;

export class InvokeMode {
  private readonly samples: number[] = [];
  private seen = 0;
  private decided = false;
  private syncCalls = false;

  /** `eligible` false (an Edge TPU model: its invoke waits on a device that can stall) keeps every invoke async. */
  constructor(private readonly eligible: boolean) {}

  get sync(): boolean {
    return this.syncCalls;
  }

  /** Records how long an async invoke took, until the decision is made. */
  record(ms: number): void {
    if (this.decided || !this.eligible) return;
    if (this.seen++ === 0) return;
    this.samples.push(ms);
    if (this.samples.length < SAMPLES) return;
    this.decided = true;
    this.syncCalls = Math.min(...this.samples) < SYNC_BELOW_MS;
  }
}
