/**
 * The notification queue. The daemon hands it events and round pings and goes on at once: every
 * delivery runs on its own, concurrently with the others and with the daemon's rounds, so a sink
 * that hangs or is down delays nothing but its own deliveries. Retryable failures are tried again
 * after 10 s, 20 s, 40 s, ... (at most 15 min apart), the last attempt exactly 1 h after the first
 * (which may have been made by an earlier process); every attempt's outcome goes to a callback,
 * which logs it and records deliveries in the state file.
 *
 * @module
 */
import { backoffDelay } from "../backoff.ts";
import { formatDuration, HOUR, MINUTE, SECOND } from "../config/duration.ts";
import { type Sink, wantsEvent } from "./config.ts";
import {
  deliver,
  type DeliverDeps,
  type DeliveryResult,
  type HealthPing,
  ping,
} from "./deliver.ts";
import type { NotifyEvent } from "./events.ts";

/** The time source and timer the queue needs (the daemon's clock fits). */
export interface NotifyClock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Monotonic milliseconds: the hour of retries is measured on it. */
  mono(): number;
  /** Waits `ms`; resolves early, never rejects, when `signal` is aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** When to try again. */
export interface RetryPolicy {
  /** The wait after the first failed attempt; each further wait doubles. */
  firstDelayMs: number;
  /** The longest wait between two attempts. */
  maxDelayMs: number;
  /** The last attempt starts this long after the first one (none later). */
  giveUpAfterMs: number;
  /** Deliveries a sink may have queued or in flight; more are dropped (and reported). */
  maxPendingPerSink: number;
}

/** 10 s doubling, at most 15 min apart, for at most 1 h; 100 pending per sink. */
const DEFAULT_RETRY: RetryPolicy = {
  firstDelayMs: 10 * SECOND,
  maxDelayMs: 15 * MINUTE,
  giveUpAfterMs: HOUR,
  maxPendingPerSink: 100,
};

/** One attempt's outcome, as given to {@link DispatcherOptions.onAttempt}. */
export interface AttemptReport {
  /** The sink's name. */
  sink: string;
  /** What was sent: an event, or a round ping. */
  item: { kind: "event"; event: NotifyEvent } | { kind: "ping"; ping: HealthPing };
  /** 1 for the first attempt; 0 for a delivery dropped before any attempt. */
  attempt: number;
  /** How it ended. */
  result: DeliveryResult;
  /** The wait before the next attempt, or `null` when there will be none. */
  retryInMs: number | null;
  /** Whether a retryable failure is not tried again because the time for retries is over. */
  gaveUp: boolean;
  /**
   * Whether a retryable failure is left for the next start instead (a command that ends, or a
   * daemon that is ending).
   */
  kept: boolean;
}

/** What a {@link Dispatcher} is built from. */
export interface DispatcherOptions extends DeliverDeps {
  /** The sinks from the config. */
  sinks: readonly Sink[];
  /** Time and timers. */
  clock: NotifyClock;
  /** Called after every attempt; it must not throw (what it throws is ignored). */
  onAttempt: (report: AttemptReport) => void;
  /** Stops all deliveries: attempts in flight end as `aborted`, no retry starts. */
  signal?: AbortSignal;
  /** Changes to {@link DEFAULT_RETRY}. */
  retry?: Partial<RetryPolicy>;
  /** No retries in this process: a retryable failure is kept for the next start. */
  keep?: boolean;
}

type Item = AttemptReport["item"];

/** Sends events to sinks in the background; see the module documentation. */
export class Dispatcher {
  #options: DispatcherOptions;
  #retry: RetryPolicy;
  #tasks = new Set<Promise<void>>();
  #inFlight = new Set<string>();
  #pending = new Map<string, number>();
  #hurry = new AbortController();

  /** A queue over `options.sinks`; it sends nothing until given something. */
  constructor(options: DispatcherOptions) {
    this.#options = options;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  /**
   * Queues `event` for every sink that wants its kind, except the sinks named in `skip` (those the
   * state file records as having it already). `triedMsAgo`: how long ago it was first tried, by
   * an earlier process too (null: never); its retries end {@link RetryPolicy.giveUpAfterMs} after
   * that first attempt. Returns at once with the names of the sinks it was queued for; a sink that
   * has this event in flight already is left out.
   */
  enqueue(
    event: NotifyEvent,
    skip: readonly string[] = [],
    triedMsAgo: number | null = null,
  ): string[] {
    const since = triedMsAgo === null ? null : this.#options.clock.mono() - triedMsAgo;
    return this.#options.sinks
      .filter((sink) => wantsEvent(sink, event.kind) && !skip.includes(sink.name))
      .filter((sink) => this.#start(sink, `event ${event.id}`, { kind: "event", event }, since))
      .map((sink) => sink.name);
  }

  /**
   * The process is ending: a delivery waiting to retry is tried once more now, and no further;
   * what still fails is reported as kept for the next start.
   */
  hurry(): void {
    this.#hurry.abort();
  }

  /**
   * Pings every healthcheck sink once (no retry: the next round pings again): `ok` after a good
   * round, `fail` while something is stopped or failing. Returns at once with the sinks' names; a
   * sink whose previous ping is still in flight is left out.
   */
  ping(status: HealthPing["status"], message: string): string[] {
    const health: HealthPing = {
      status,
      message,
      time: new Date(this.#options.clock.now()).toISOString(),
    };
    return this.#options.sinks
      .filter((sink) => sink.type === "healthcheck")
      .filter((sink) => this.#start(sink, "ping", { kind: "ping", ping: health }, null))
      .map((sink) => sink.name);
  }

  /** Deliveries queued, in flight or waiting to retry. */
  get pending(): number {
    return this.#tasks.size;
  }

  /** Resolves when nothing is pending (after an abort: when everything has stopped). */
  async idle(): Promise<void> {
    while (this.#tasks.size > 0) await Promise.allSettled([...this.#tasks]);
  }

  /** Starts a delivery unless one with the same key is under way; whether it started. */
  #start(sink: Sink, what: string, item: Item, since: number | null): boolean {
    if (this.#options.signal?.aborted) return false;
    const key = `${sink.name}\0${what}`;
    if (this.#inFlight.has(key)) return false;
    const count = this.#pending.get(sink.name) ?? 0;
    if (count >= this.#retry.maxPendingPerSink) {
      queueMicrotask(() =>
        this.#report({
          sink: sink.name,
          item,
          attempt: 0,
          result: {
            kind: "failed",
            reason:
              `${this.#retry.maxPendingPerSink} notifications for this sink are still undelivered, so this one was dropped; check ${sink.field}`,
            retryable: false,
          },
          retryInMs: null,
          gaveUp: false,
          kept: false,
        })
      );
      return false;
    }
    this.#inFlight.add(key);
    this.#pending.set(sink.name, count + 1);
    const task: Promise<void> = this.#attempts(sink, item, since)
      .catch(() => {})
      .finally(() => {
        this.#inFlight.delete(key);
        this.#pending.set(sink.name, (this.#pending.get(sink.name) ?? 1) - 1);
        this.#tasks.delete(task);
      });
    this.#tasks.add(task);
    return true;
  }

  async #attempts(sink: Sink, item: Item, since: number | null): Promise<void> {
    // Nothing of the delivery runs before the caller of enqueue has gone on.
    await Promise.resolve();
    const { clock, signal } = this.#options;
    const waking = signal ? AbortSignal.any([signal, this.#hurry.signal]) : this.#hurry.signal;
    let started = since;
    for (let attempt = 1;; attempt++) {
      if (signal?.aborted) return;
      started ??= clock.mono();
      const result = item.kind === "event"
        ? await deliver(sink, item.event, this.#options, signal)
        : sink.type === "healthcheck"
        ? await ping(sink, item.ping, this.#options, signal)
        : null;
      if (result === null) return;
      let retryInMs: number | null = null;
      let gaveUp = false;
      let kept = false;
      if (result.kind === "failed" && result.retryable && item.kind === "event") {
        const left = started + this.#retry.giveUpAfterMs - clock.mono();
        if (this.#options.keep || this.#hurry.signal.aborted) kept = true;
        else if (left <= 0) gaveUp = true;
        else {
          const { firstDelayMs: firstMs, maxDelayMs: maxMs } = this.#retry;
          // The last wait is cut short so that the last attempt falls at the end of the window.
          retryInMs = Math.min(backoffDelay(attempt, { firstMs, maxMs }), left);
        }
      }
      this.#report({ sink: sink.name, item, attempt, result, retryInMs, gaveUp, kept });
      if (retryInMs === null) return;
      await clock.sleep(retryInMs, waking);
    }
  }

  #report(report: AttemptReport): void {
    try {
      this.#options.onAttempt(report);
    } catch {
      // The callback's own problem; deliveries go on.
    }
  }
}

/**
 * One log line for `report`, e.g. `notify "phone": the stopped event was delivered (HTTP 200)`
 * or `notify "phone": could not deliver the stopped event: ...; trying again in 10s (attempt 1)`.
 */
export function describeAttempt(report: AttemptReport): string {
  const what = report.item.kind === "event"
    ? `the ${report.item.event.kind} event`
    : `the ${report.item.ping.status} ping`;
  const head = `notify "${report.sink}"`;
  const result = report.result;
  switch (result.kind) {
    case "delivered":
      return `${head}: ${what} was delivered (${result.detail})`;
    case "aborted":
      return `${head}: ${what} was not delivered: dnsbeat is stopping`;
    case "failed": {
      const next = report.retryInMs !== null
        ? `; trying again in ${formatDuration(report.retryInMs)} (attempt ${report.attempt})`
        : report.kept
        ? "; it stays in the state file and is tried again at the next start"
        : report.gaveUp
        ? report.attempt === 1 ? "; not tried again" : `; gave up after ${report.attempt} attempts`
        : "";
      return `${head}: could not deliver ${what}: ${result.reason}${next}`;
    }
  }
}
