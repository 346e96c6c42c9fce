/**
 * Notifications of a running dnsbeat, kept like its requests: an event is written to the state's
 * outbox in the same write as the outcome it tells of ({@link Notices.stage}), before any sink is
 * tried, and each sink that got it is struck off there. So a kill loses no notification (the next
 * start sends what is left), and a restart repeats none: a stop is an event once, when the server
 * stops the provider, never when a restart finds it in the state. An event is tried for an hour
 * from its first attempt, across restarts; one never tried is never given up.
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
import type { Clock } from "../clock.ts";
import type { Provider } from "../config/types.ts";
import type { Notices, RoundEnd } from "../context.ts";
import { formatDuration, HOUR } from "../config/duration.ts";
import type { Logger } from "../log/mod.ts";
import { iso, since, stamp } from "../state/moment.ts";
import { type NotifyConfig, type Sink, wantsEvent } from "./config.ts";
import type { HealthStatus } from "./deliver.ts";
import { type AttemptReport, describeAttempt, Dispatcher } from "./dispatcher.ts";
import { createEvent, type EventInput, type NotifyEvent } from "./events.ts";
import type { RunFn } from "./run.ts";
import type { FetchFn } from "../net/http.ts";
import { fetchSend } from "./send.ts";
import type { State } from "../state/mod.ts";
import type { StateStore } from "../state/store.ts";

/** How many undelivered events the outbox keeps; older ones are given up. */
const OUTBOX_LIMIT = 100;
/** How long an undelivered event is tried from its first attempt, across restarts too. */
export const OUTBOX_MAX_AGE_MS = HOUR;
/**
 * The longest a command that ends (`once`, `resume`) waits for its notifications' first attempts;
 * what did not arrive stays in the outbox for the next start.
 */
export const SETTLE_MS = 30_000;
/**
 * The longest the daemon waits at its end (a stop of every provider, SIGTERM) for deliveries under
 * way and for one more attempt of those waiting to retry; what did not arrive stays in the outbox.
 */
export const EXIT_SETTLE_MS = 10_000;

/**
 * What a healthcheck is told of `state` (and of the providers `failing` now): `fail` while a
 * provider is stopped or failing, with which; else `ok`. The one rule for the daemon's pings and
 * `notify-test`.
 */
export function healthOf(
  state: Readonly<State>,
  failing: readonly string[] = [],
): { status: HealthStatus; message: string } {
  const stopped = Object.values(state.providers)
    .flatMap((e) => e.stop === null ? [] : [`${e.name} (${e.stop.code})`]);
  const trouble = [
    ...(stopped.length > 0 ? [`stopped: ${stopped.join(", ")}`] : []),
    ...(failing.length > 0 ? [`failing: ${failing.join(", ")}`] : []),
  ];
  return trouble.length > 0
    ? { status: "fail", message: `dnsbeat needs you: ${trouble.join("; ")}` }
    : { status: "ok", message: "dnsbeat: all is well" };
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
  /** Ends the deliveries of the current dispatcher only (a reload that changed the sinks). */
  #retarget = new AbortController();
  /** Whether the outbox was handed to the sinks ({@link Notifier.resend}). */
  #started = false;
  /** Per provider name: when its rounds began to fail, and whether `failing` was said. */
  #failing = new Map<string, { since: number; said: boolean; timer: AbortController }>();
  /** Provider names whose next good round is `recovered`. */
  #troubled = new Set<string>();
  /** Writes of finished deliveries under way. */
  #writes = new Set<Promise<unknown>>();

  /** A notifier with no sinks; {@link Notifier.configure} gives it the config's. */
  constructor(deps: NotifierDeps) {
    this.#deps = deps;
    this.#dispatcher = this.#dispatch([]);
  }

  /**
   * Takes the sinks of a (re)loaded config. When they changed, the deliveries under way end and
   * what the outbox holds goes to the new sinks (a fixed URL is tried at once); when they did not,
   * deliveries under way go on.
   */
  configure(config: NotifyConfig): void {
    const same = JSON.stringify(config.sinks) === JSON.stringify(this.#config.sinks);
    this.#config = config;
    if (same) return;
    this.#retarget.abort();
    this.#retarget = new AbortController();
    this.#dispatcher = this.#dispatch(config.sinks);
    if (this.#started) this.resend();
  }

  /** The sinks now configured. */
  get sinks(): readonly Sink[] {
    return this.#config.sinks;
  }

  /**
   * Hands the sinks what the outbox holds for them (at start, and after the sinks changed): each
   * event for the rest of its hour from its first attempt. Gives up an event whose hour is over,
   * and strikes off sinks no longer configured; an event never tried is never given up.
   */
  resend(): void {
    this.#started = true;
    const { store, clock, log } = this.#deps;
    const names = this.#config.sinks.map((s) => s.name);
    const stale = store.state.notify.outbox.filter((o) =>
      o.tried !== undefined && since(o.tried, clock) > OUTBOX_MAX_AGE_MS
    );
    if (stale.length > 0) {
      log.warn(
        `notify: ${stale.length} event(s) could not be delivered within ${
          formatDuration(OUTBOX_MAX_AGE_MS)
        } of trying and are given up: ${stale.map((o) => o.event.kind).join(", ")}.`,
      );
    }
    const gone = store.state.notify.outbox.some((o) => o.pending.some((n) => !names.includes(n)));
    if (stale.length > 0 || gone) {
      store.note((s) => {
        s.notify.outbox = s.notify.outbox.filter((o) => !stale.includes(o));
        for (const o of s.notify.outbox) o.pending = o.pending.filter((n) => names.includes(n));
        s.notify.outbox = s.notify.outbox.filter((o) => o.pending.length > 0);
      });
    }
    for (const o of store.state.notify.outbox) {
      const skip = names.filter((n) => !o.pending.includes(n));
      this.#dispatcher.enqueue(o.event, skip, o.tried === undefined ? null : since(o.tried, clock));
    }
  }

  stage(draft: State, input: EventInput): NotifyEvent | null {
    if (input.kind === "waiting" || input.kind === "failing") this.#troubled.add(input.provider);
    const event = createEvent(input);
    const pending = this.#config.sinks.filter((s) => wantsEvent(s, event.kind)).map((s) => s.name);
    if (pending.length === 0) return null;
    if (draft.notify.outbox.some((o) => o.event.id === event.id)) return null;
    draft.notify.outbox.push({ at: iso(this.#deps.clock.now()), event, pending });
    draft.notify.outbox.splice(0, Math.max(0, draft.notify.outbox.length - OUTBOX_LIMIT));
    return event;
  }

  send(events: readonly (NotifyEvent | null)[]): void {
    for (const event of events) if (event !== null) this.#dispatcher.enqueue(event);
  }

  async event(input: EventInput): Promise<void> {
    const { store } = this.#deps;
    const staged: (NotifyEvent | null)[] = [];
    const saved = await store.record((s) => staged.push(this.stage(s, input)));
    if (staged[0] == null) return;
    if (!saved) {
      this.#deps.log.warn(
        `notify: the ${input.kind} event could not be written to the state (${store.failing}); it is sent, but a restart before it arrives loses it.`,
      );
    }
    this.send(staged);
  }

  async round(p: Pick<Provider, "name">, type: string, end: RoundEnd): Promise<void> {
    const now = this.#deps.clock.now();
    if (end.kind === "failed") {
      if (!this.#failing.has(p.name)) {
        const f = { since: now, said: false, timer: new AbortController() };
        this.#failing.set(p.name, f);
        // `failing` is told when `failingAfter` is over, not at the first round after it.
        const signal = AbortSignal.any([f.timer.signal, this.#closing.signal]);
        this.#deps.clock.sleep(this.#config.failingAfterMs, signal).then(async () => {
          if (signal.aborted || this.#failing.get(p.name) !== f) return;
          await this.#sayFailing(p, type, f);
        });
      }
    } else if (end.kind === "ok") {
      this.#failing.get(p.name)?.timer.abort();
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
   * `hurry`: the process is ending; a delivery waiting to retry is tried once more at once.
   */
  async settle(maxMs: number, hurry = false): Promise<void> {
    if (hurry) this.#dispatcher.hurry();
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

  async #sayFailing(
    p: Pick<Provider, "name">,
    type: string,
    f: { since: number; said: boolean },
  ): Promise<void> {
    f.said = true;
    await this.event({
      kind: "failing",
      provider: p.name,
      providerType: type,
      message: `No update of provider "${p.name}" was possible for ${
        formatDuration(this.#deps.clock.now() - f.since)
      }: the address could not be detected, or the server could not be reached.`,
      action:
        "Check the network, the address sources and the provider's server; dnsbeat's log names the problem.",
      time: iso(f.since),
    });
    this.#ping();
  }

  /** Pings the healthchecks: `fail` while a provider is stopped or failing, else `ok`. */
  #ping(): void {
    if (!this.#config.sinks.some((s) => s.type === "healthcheck")) return;
    const failing = [...this.#failing].filter(([, f]) => f.said).map(([name]) => name);
    const { status, message } = healthOf(this.#deps.store.state, failing);
    this.#dispatcher.ping(status, message);
  }

  #dispatch(sinks: readonly Sink[]): Dispatcher {
    return new Dispatcher({
      sinks,
      clock: this.#deps.clock,
      send: fetchSend(this.#deps.fetch),
      run: this.#deps.run,
      signal: AbortSignal.any([this.#closing.signal, this.#retarget.signal]),
      onAttempt: (report) => this.#attempted(report),
      keep: !this.#deps.retries,
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
        report.gaveUp);
    const change = (s: State) => {
      s.notify.sinks[report.sink] = record;
      if (item.kind !== "event") return;
      for (const o of s.notify.outbox) {
        if (o.event.id !== item.event.id) continue;
        // The hour of retries counts from the first attempt, also for the next start.
        o.tried ??= stamp(clock);
        if (finished) o.pending = o.pending.filter((n) => n !== report.sink);
      }
      s.notify.outbox = s.notify.outbox.filter((o) => o.pending.length > 0);
    };
    // A finished event is written at once, so that a restart does not send it again.
    if (!finished) return store.note(change);
    const write = store.record(change).finally(() => this.#writes.delete(write));
    this.#writes.add(write);
  }
}
