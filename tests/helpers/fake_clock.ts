/**
 * Virtual time for tests. `sleep` never waits for real: when every task is asleep, the clock
 * jumps to the earliest wake-up, so a simulated month runs in seconds.
 *
 * @module
 */
import type { Clock } from "../../lib/clock.ts";

interface Sleeper {
  at: number;
  seq: number;
  resolve: () => void;
}

/** A {@link Clock} whose time moves only when tasks sleep or a test calls {@link FakeClock.set}. */
export class FakeClock implements Clock {
  #now: number;
  #sleepers: Sleeper[] = [];
  #seq = 0;
  #pending = false;

  /** Starts the virtual clock at `start` (epoch milliseconds). */
  constructor(start = Date.UTC(2026, 0, 1, 0, 0, 0)) {
    this.#now = start;
  }

  /** The virtual time. */
  now(): number {
    return this.#now;
  }

  /** Sets the virtual time, forward or back (a clock jump). Sleepers keep their wake-up times. */
  set(ms: number): void {
    this.#now = ms;
  }

  /** Moves the virtual time forward or back by `ms`. */
  shift(ms: number): void {
    this.#now += ms;
  }

  /** Resolves when virtual time reaches now + ms, or at once on abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = { at: this.#now + Math.max(0, ms), seq: this.#seq++, resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener("abort", () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        resolve();
      }, { once: true });
      this.#schedule();
    });
  }

  /** How many tasks are asleep. */
  get sleeping(): number {
    return this.#sleepers.length;
  }

  #schedule(): void {
    if (this.#pending) return;
    this.#pending = true;
    // A macrotask: every microtask (promise continuations, in-process fetch stubs) runs first.
    setTimeout(() => {
      this.#pending = false;
      this.#wakeEarliest();
    }, 0);
  }

  #wakeEarliest(): void {
    if (this.#sleepers.length === 0) return;
    this.#sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const first = this.#sleepers.shift()!;
    if (first.at > this.#now) this.#now = first.at;
    first.resolve();
    if (this.#sleepers.length > 0) this.#schedule();
  }
}
