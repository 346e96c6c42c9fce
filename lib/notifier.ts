/**
 * Notifications of a running dnsbeat, kept like its requests: an event its rounds report is
 * written to the state's outbox before any sink is tried, and each sink that got it is struck off
 * there. So a kill loses no notification (the next start sends what is left, for an hour), and a
 * restart repeats none: a stop is an event once, when the server stops the provider, never when
 * a restart finds it in the state.
 *
 * Delivery runs in the background (`notify/dispatcher.ts`): a sink that hangs or is down delays
 * no round and no beat, and what it answers never changes what is sent to No-IP or DynamIP.
 *
 * Besides the events rounds report, the notifier makes two of its own from how rounds end:
 * `failing` when a provider's rounds have failed for `failingAfter` (the address could not be
 * detected, or the server not reached), and `recovered` at the next good round after `failing`
 * or `waiting`. It also pings each healthcheck after every round: `fail` while a provider is
 * stopped or failing, else `ok`. What failing began when is kept in memory: after a restart
 * during an outage, `failing` is counted again from the restart.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import type { Provider } from "./config_types.ts";
import type { RoundEnd } from "./context.ts";
import { formatDuration, HOUR } from "./duration.ts";
import type { Logger } from "./log.ts";
import { iso } from "./moment.ts";
import { type NotifyConfig, type Sink, wantsEvent } from "./notify/config.ts";
import { type AttemptReport, describeAttempt, Dispatcher } from "./notify/dispatcher.ts";
import { createEvent, type EventInput } from "./notify/events.ts";
import type { RunFn } from "./notify/run.ts";
import { type FetchFn, fetchSend } from "./notify/send.ts";
import type { StateStore } from "./state_store.ts";

/** How many undelivered events the outbox keeps; older ones are given up. */
export const OUTBOX_LIMIT = 100;
/** How long an undelivered event is tried, across restarts too. */
export const OUTBOX_MAX_AGE_MS = HOUR;
/**
 * The longest a command that ends (`once`, `resume`) waits for its notifications' first attempts;
 * what did not arrive stays in the outbox for the next start.
 */
export const SETTLE_MS = 30_000;

/** What rounds tell the notifier. */
export interface Notices {
  /** Something a sink may want happened: written to the outbox, then delivered in the background. */
  event(input: EventInput): Promise<void>;
  /** A round of `p` ended as `end` (it tracks `failing` and `recovered`, and pings healthchecks). */
  round(p: Provider, type: string, end: RoundEnd): Promise<void>;
}

/** What a {@link Notifier} needs from the outside. */
export interface NotifierDeps {
  /** Time. */
  clock: Clock;
  /** The state, whose outbox and delivery records it keeps. */
  store: StateStore;
  /** Where delivery results are logged. */
  log: Logger;
  /** Webhook and healthcheck requests. */
  fetch: FetchFn;
  /** Exec sinks' programs. */
  run: RunFn;
  /**
   * Whether failed deliveries are tried again in this process (the daemon), for up to
   * {@link OUTBOX_MAX_AGE_MS}; else (a command that ends) they wait in the outbox for the next
   * start.
   */
  retries: boolean;
}

/** See the module documentation. */
export class Notifier implements Notices {
  #deps: NotifierDeps;
  #config: NotifyConfig = { sinks: [], failingAfterMs: HOUR };
  #dispatcher: Dispatcher;
  #closing = new AbortController();
  /** Per provider name: when its rounds began to fail, and whether `failing` was said. */
  #failing = new Map<string, { since: number; said: boolean }>();
  /** Provider names whose next good round is `recovered`. */
  #troubled = new Set<string>();
  /** Writes of finished deliveries under way. */
  #writes = new Set<Promise<unknown>>();

  /** A notifier with no sinks; {@link Notifier.configure} gives it the config's. */
  constructor(deps: NotifierDeps) {
    this.#deps = deps;
    this.#dispatcher = this.#dispatch([]);
  }

  /** Takes the sinks of a (re)loaded config; deliveries under way go on. */
  configure(config: NotifyConfig): void {
    this.#config = config;
    this.#dispatcher = this.#dispatch(config.sinks);
  }

  /** The sinks now configured. */
  get sinks(): readonly Sink[] {
    return this.#config.sinks;
  }

  /** Hands the sinks what the outbox holds for them (at start); gives up what is too old. */
  resend(): void {
    const now = this.#deps.clock.now();
    const outbox = this.#deps.store.state.notify.outbox;
    const stale = outbox.filter((o) => now - Date.parse(o.at) > OUTBOX_MAX_AGE_MS);
    if (stale.length > 0) {
      this.#deps.log.warn(
        `notify: ${stale.length} event(s) could not be delivered within ${
          formatDuration(OUTBOX_MAX_AGE_MS)
        } and are given up: ${stale.map((o) => o.event.kind).join(", ")}.`,
      );
      this.#deps.store.note((s) => {
        s.notify.outbox = s.notify.outbox.filter((o) => !stale.includes(o));
      });
    }
    for (const o of this.#deps.store.state.notify.outbox) {
      const skip = this.#config.sinks.map((s) => s.name).filter((n) => !o.pending.includes(n));
      this.#dispatcher.enqueue(o.event, skip);
    }
  }

  async event(input: EventInput): Promise<void> {
    if (input.kind === "waiting" || input.kind === "failing") this.#troubled.add(input.provider);
    const event = createEvent(input);
    const pending = this.#config.sinks.filter((s) => wantsEvent(s, event.kind)).map((s) => s.name);
    if (pending.length === 0) return;
    const { store, clock } = this.#deps;
    if (store.state.notify.outbox.some((o) => o.event.id === event.id)) return;
    const saved = await store.record((s) => {
      s.notify.outbox.push({ at: iso(clock.now()), event, pending });
      s.notify.outbox.splice(0, Math.max(0, s.notify.outbox.length - OUTBOX_LIMIT));
    });
    if (!saved) {
      this.#deps.log.warn(
        `notify: the ${event.kind} event could not be written to the state (${store.failing}); it is sent, but a restart before it arrives loses it.`,
      );
    }
    this.#dispatcher.enqueue(event);
  }

  async round(p: Provider, type: string, end: RoundEnd): Promise<void> {
    const now = this.#deps.clock.now();
    if (end.kind === "failed") {
      const f = this.#failing.get(p.name) ?? { since: now, said: false };
      this.#failing.set(p.name, f);
      if (!f.said && now - f.since >= this.#config.failingAfterMs) {
        f.said = true;
        await this.event({
          kind: "failing",
          provider: p.name,
          providerType: type,
          message: `No update of provider "${p.name}" was possible for ${
            formatDuration(now - f.since)
          }: the address could not be detected, or the server could not be reached.`,
          action:
            "Check the network, the address sources and the provider's server; dnsbeat's log names the problem.",
          time: iso(f.since),
        });
      }
    } else if (end.kind === "ok") {
      this.#failing.delete(p.name);
      if (this.#troubled.delete(p.name)) {
        await this.event({
          kind: "recovered",
          provider: p.name,
          providerType: type,
          message: `Provider "${p.name}" works again: the last round went through.`,
          time: iso(now),
        });
      }
    }
    this.#ping();
  }

  /**
   * Resolves when every delivery has ended (or after `maxMs`) and what came of them is written.
   */
  async settle(maxMs: number): Promise<void> {
    const timer = new AbortController();
    await Promise.race([
      this.#dispatcher.idle(),
      this.#deps.clock.sleep(maxMs, timer.signal),
    ]);
    timer.abort();
    await Promise.all([...this.#writes]);
  }

  /** Ends every delivery at once; what is undelivered stays in the outbox for the next start. */
  close(): void {
    this.#closing.abort();
  }

  /** Pings the healthchecks: `fail` while a provider is stopped or failing, else `ok`. */
  #ping(): void {
    if (!this.#config.sinks.some((s) => s.type === "healthcheck")) return;
    const stopped = Object.values(this.#deps.store.state.providers)
      .filter((e) => e.stop !== null).map((e) => `${e.name} (${e.stop!.code})`);
    const failing = [...this.#failing].filter(([, f]) => f.said).map(([name]) => name);
    const trouble = [
      ...(stopped.length > 0 ? [`stopped: ${stopped.join(", ")}`] : []),
      ...(failing.length > 0 ? [`failing: ${failing.join(", ")}`] : []),
    ];
    this.#dispatcher.ping(
      trouble.length > 0 ? "fail" : "ok",
      trouble.length > 0 ? `dnsbeat needs you: ${trouble.join("; ")}` : "dnsbeat: all is well",
    );
  }

  #dispatch(sinks: readonly Sink[]): Dispatcher {
    return new Dispatcher({
      sinks,
      clock: this.#deps.clock,
      send: fetchSend(this.#deps.fetch),
      run: this.#deps.run,
      signal: this.#closing.signal,
      onAttempt: (report) => this.#attempted(report),
      ...(this.#deps.retries ? {} : { retry: { giveUpAfterMs: 0 } }),
    });
  }

  /** Logs an attempt, records it for `status`, and strikes a finished event off the outbox. */
  #attempted(report: AttemptReport): void {
    const { log, store, clock } = this.#deps;
    const line = describeAttempt(report);
    if (report.result.kind === "delivered") log.info(line);
    else if (report.result.kind === "failed") log.warn(line);
    else log.debug(line);
    if (report.result.kind === "aborted") return;
    const item = report.item;
    const record = {
      at: iso(clock.now()),
      what: item.kind === "event" ? item.event.kind : `ping ${item.ping.status}`,
      ok: report.result.kind === "delivered",
      detail: report.result.kind === "delivered" ? report.result.detail : report.result.reason,
    };
    // Done with the event: delivered, refused for good, or (in the daemon) out of retries. A
    // command that ends leaves what failed for the next start.
    const failedForGood = report.result.kind === "failed" && !report.result.retryable;
    const finished = item.kind === "event" &&
      (report.result.kind === "delivered" || failedForGood ||
        (report.gaveUp && this.#deps.retries));
    const change = (s: typeof store.state) => {
      s.notify.sinks[report.sink] = record;
      if (!finished) return;
      for (const o of s.notify.outbox) {
        if (o.event.id === item.event.id) o.pending = o.pending.filter((n) => n !== report.sink);
      }
      s.notify.outbox = s.notify.outbox.filter((o) => o.pending.length > 0);
    };
    // A finished event is written at once, so that a restart does not send it again.
    if (!finished) return store.note(change);
    const write = store.record(change).finally(() => this.#writes.delete(write));
    this.#writes.add(write);
  }
}
