/**
 * Virtual time for tests. Sleeps never wait for real. Two modes:
 *
 * - automatic (the default): when every task is asleep, the clock jumps to the earliest wake-up,
 *   so a simulated month runs in seconds;
 * - manual (`{ manual: true }`): time moves only when the test calls {@link FakeClock.advance},
 *   which wakes the sleepers in order, letting the woken code run before the next one.
 *
 * The wall clock ({@link FakeClock.now}) and the monotonic clock ({@link FakeClock.mono}) move
 * together when time passes; {@link FakeClock.set} and {@link FakeClock.shift} jump the wall clock
 * alone, as NTP or a user does. Sleeps are measured on the monotonic clock, as real timers are.
 *
 * @module
 */
import type { Clock } from "../../lib/clock.ts";

interface Sleeper {
  at: number;
  seq: number;
  resolve: () => void;
}

/** Options of {@link FakeClock}. */
export interface FakeClockOptions {
  /** Time moves only through {@link FakeClock.advance}. */
  manual?: boolean;
  /** The boot the monotonic clock counts from (default `"fake-boot"`; null: per process). */
  bootId?: string | null;
}

/** One turn of the event loop: every pending microtask, and the macrotasks queued before it. */
export function turn(): Promise<void> {
  return new Promise<void>((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      channel.port2.close();
      resolve();
    };
    channel.port2.postMessage(0);
  });
}

/** A {@link Clock} whose time moves only when tasks sleep (or the test says so). */
export class FakeClock implements Clock {
  #mono = 1_000_000;
  /** Where {@link FakeClock.mono} counts from: the last boot, on the internal time line. */
  #boot = 0;
  #offset: number;
  #sleepers: Sleeper[] = [];
  #seq = 0;
  #pending = false;
  readonly #manual: boolean;
  #bootId: string | null;

  /** Starts the virtual wall clock at `start` (epoch milliseconds). */
  constructor(start = Date.UTC(2026, 0, 1, 0, 0, 0), options: FakeClockOptions = {}) {
    this.#offset = start - this.#mono;
    this.#manual = options.manual ?? false;
    this.#bootId = options.bootId === undefined ? "fake-boot" : options.bootId;
  }

  /** The boot the monotonic clock counts from. */
  get bootId(): string | null {
    return this.#bootId;
  }

  /**
   * A new boot, now: monotonic readings of the old one mean nothing, and the monotonic clock
   * counts from 0 again (the wall clock and sleepers go on).
   */
  reboot(id: string): void {
    this.#bootId = id;
    this.#boot = this.#mono;
  }

  /** The virtual wall-clock time. */
  now(): number {
    return this.#mono + this.#offset;
  }

  /** The virtual monotonic time: since the last boot (the first at -1,000 s). */
  mono(): number {
    return this.#mono - this.#boot;
  }

  /**
   * The same time as a server elsewhere sees it: this clock's monotonic time on a wall clock that
   * never jumps (what {@link FakeClock.set} and {@link FakeClock.shift} do is not seen).
   */
  truth(): Clock {
    const origin = this.#mono + this.#offset;
    const start = this.#mono;
    return {
      now: () => origin + (this.#mono - start),
      mono: () => this.#mono,
      bootId: "server",
      sleep: (ms, signal) => this.sleep(ms, signal),
    };
  }

  /** Sets the wall clock, forward or back (a clock jump); monotonic time and sleepers stay. */
  set(ms: number): void {
    this.#offset = ms - this.#mono;
  }

  /** Moves the wall clock forward or back by `ms` (a clock jump). */
  shift(ms: number): void {
    this.#offset += ms;
  }

  /** Lets `ms` of time pass at once (both clocks); sleepers due by then wake as usual. */
  pass(ms: number): void {
    this.#mono += ms;
    if (!this.#manual && this.#sleepers.length > 0) this.#schedule();
  }

  /** Resolves when monotonic time reaches now + ms, or at once on abort. */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = { at: this.#mono + Math.max(0, ms), seq: this.#seq++, resolve };
      this.#sleepers.push(sleeper);
      signal?.addEventListener("abort", () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        resolve();
      }, { once: true });
      if (!this.#manual) this.#schedule();
    });
  }

  /** How many tasks are asleep. */
  get sleeping(): number {
    return this.#sleepers.length;
  }

  /** When the earliest sleeper wakes (monotonic), or null. */
  get nextWake(): number | null {
    return this.#sleepers.reduce<number | null>((m, s) => m === null || s.at < m ? s.at : m, null);
  }

  /**
   * Manual mode: lets `ms` of time pass. Sleepers due within it wake in order of their wake-up
   * time, each after `settle` has let the code woken before it run; time stops at each wake-up.
   */
  async advance(ms: number, settle: () => Promise<void> = turn): Promise<void> {
    const end = this.#mono + ms;
    await settle();
    for (;;) {
      this.#sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const first = this.#sleepers[0];
      if (first === undefined || first.at > end) break;
      this.#sleepers.shift();
      this.#mono = Math.max(this.#mono, first.at);
      first.resolve();
      await settle();
    }
    this.#mono = end;
  }

  #schedule(): void {
    if (this.#pending) return;
    this.#pending = true;
    // A macrotask: every microtask (promise continuations, in-process fetch stubs) runs first.
    turn().then(() => {
      this.#pending = false;
      this.#wakeEarliest();
    });
  }

  #wakeEarliest(): void {
    if (this.#sleepers.length === 0) return;
    this.#sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const first = this.#sleepers.shift()!;
    if (first.at > this.#mono) this.#mono = first.at;
    first.resolve();
    if (this.#sleepers.length > 0) this.#schedule();
  }
}
