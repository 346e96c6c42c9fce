/**
 * What a provider's round needs from the outside world, injected: the clock, the logger, the
 * state store, HTTP, IP detection and the notifier ({@link Notices}, which `notify/notifier.ts`
 * implements); and how a round ends. Tests pass virtual time and in-process servers.
 *
 * @module
 */
import type { Clock } from "./clock.ts";
import type { Provider } from "./config/types.ts";
import type { Detection } from "./net/detect.ts";
import type { HttpRequest, HttpResult } from "./net/http.ts";
import type { IpFamily } from "./net/ip.ts";
import type { Logger } from "./log/mod.ts";
import type { Looks } from "./daemon/looks.ts";
import type { EventInput, NotifyEvent } from "./notify/events.ts";
import type { State } from "./state/mod.ts";
import type { StateStore } from "./state/store.ts";

/** The dependencies of one provider's loop. */
export interface Context {
  /** Time source; all waits go through it. */
  clock: Clock;
  /** The process's logger. */
  log: Logger;
  /** The state file. */
  store: StateStore;
  /** One HTTP request (a GET unless it says) with deadline, body cap and redirect rules. */
  httpGet: (request: HttpRequest) => Promise<HttpResult>;
  /**
   * Detects the public address of `family` from the configured sources, leaving out the detection
   * hosts of every stopped provider (No-IP forbids asking its own while it refuses the account).
   */
  detect: (family: IpFamily, signal?: AbortSignal) => Promise<Detection>;
  /**
   * What DNS answers now for `hostname`'s records of `family` (at the config's `resolver`, else the
   * system's); null when the lookup failed.
   */
  lookup: (hostname: string, family: IpFamily, signal?: AbortSignal) => Promise<string[] | null>;
  /** Where rounds report what a notification sink may want (`notify/notifier.ts`). */
  notify: Notices;
  /** The deadline of each request, in ms. */
  timeoutMs: number;
  /** The config file's path, for messages that tell the user what to edit. */
  configPath: string;
  /**
   * When each provider's last round started (monotonic ms, by {@link Provider.key}), kept across
   * the daemon's reloads and resumes: a loop started again waits for its interval, so that a
   * reload costs no request the interval would not have made.
   */
  lastRounds: Map<string, number>;
  /** Asks to look now (a network event), kept across reloads like {@link Context.lastRounds}. */
  looks: Looks;
}

/**
 * How a provider's loop is told to end: `stop` ends it at its next wait (a reload), `abort` also
 * cuts a request short (the process is ending). `stop` fires whenever `abort` does.
 */
export interface Stopping {
  /** Ends the loop between requests. */
  stop: AbortSignal;
  /** Ends the loop at once, requests included. */
  abort: AbortSignal;
}

/** How one round of a provider ended, for `once`'s exit code and the loop. */
export type RoundEnd =
  /** Done: nothing needed sending, or the server accepted it. */
  | { kind: "ok" }
  /** Nothing may be sent yet: the server asked for a wait, or a back-off holds. */
  | { kind: "waiting" }
  /** The provider is stopped until the user acts. */
  | { kind: "stopped" }
  /** The round could not do its job: no address, no reply, the state not saved. */
  | { kind: "failed" }
  /** The process is ending. */
  | { kind: "aborted" };

/** What rounds tell the notifier (`notify/notifier.ts`). */
export interface Notices {
  /**
   * Adds the event to `draft`'s outbox, inside the caller's own write of the outcome it tells of
   * (so that no kill can leave one without the other). Returns the event, to be handed to
   * {@link Notices.send} once the write is done, or null when no sink wants it (or the outbox has
   * it already).
   */
  stage(draft: State, input: EventInput): NotifyEvent | null;
  /** Delivers staged events in the background (nulls are skipped). */
  send(events: readonly (NotifyEvent | null)[]): void;
  /** An event of its own write: {@link Notices.stage} in one write, then {@link Notices.send}. */
  event(input: EventInput): Promise<void>;
  /** A round of `p` ended as `end` (it tracks `failing` and `recovered`, and pings healthchecks). */
  round(p: Pick<Provider, "name">, type: string, end: RoundEnd): Promise<void>;
}
