/**
 * The shape of the state file and its validation. The state file is dnsbeat's log: what each
 * server accepted and confirmed, which provider stopped and why, which request never got its
 * answer, when the next request is allowed. It is never reset silently: anything unexpected in
 * it is an error that names the problem.
 *
 * Entries are keyed by the provider's identity ({@link Provider.key}: type, server and account),
 * not by its name, so renaming a provider in the config keeps its stop, its addresses and its
 * last beat. Times that rules measure are {@link Moment}s.
 *
 * @module
 */
import type { NotifyEvent } from "../notify/events.ts";
import type { Clock } from "../clock.ts";
import { checkEntry, duesOf, floorsOf, type ProviderState } from "../providers/entries.ts";
import { type Moment, rebase } from "./moment.ts";
import {
  bool,
  type Check,
  fields,
  isObject,
  listOf,
  mapOf,
  maybe,
  MOMENT,
  num,
  optional,
  type Problem,
  str,
  strings,
  time,
  wrong,
} from "./parts.ts";

export { isObject } from "./parts.ts";
export type { Addresses, Backoff, Stop, Wait } from "./parts.ts";
export type { ProviderState } from "../providers/entries.ts";

/**
 * The schema version this build writes. Version 3 keys a DynDNS2 account by `dyndns2 SERVER USER`
 * and counts monotonic time from the boot; it reads version 2 (whose keys move, see
 * `accountKeyChange`) and upgrades version 1. A build that reads only 2 refuses a version-3 file
 * instead of missing its stops.
 */
export const STATE_VERSION = 3;

/** The whole state file. */
export interface State {
  /** {@link STATE_VERSION}. */
  version: typeof STATE_VERSION;
  /** The boot the moments' monotonic readings belong to ({@link Clock.bootId}). */
  boot: string | null;
  /** Per provider identity ({@link Provider.key}). */
  providers: Record<string, ProviderState>;
  /** Notifications: those not yet delivered, and each sink's last delivery. */
  notify: NotifyState;
}

/** A notification written down before it is sent, until every sink it is for has it. */
export interface Outgoing {
  /** When it was written down (ISO 8601): it is given up an hour later. */
  at: string;
  /** The event. */
  event: NotifyEvent;
  /** The sinks that have not got it yet. */
  pending: string[];
  /**
   * When a sink was first tried with it: its hour of retries counts from then, across restarts
   * (on the monotonic clock within a boot, like every other wait). Absent while no sink has been
   * tried: an event never tried is never given up.
   */
  tried?: Moment;
}

/** A sink's last delivery, as `status` shows it. */
export interface SinkRecord {
  /** When (ISO 8601). */
  at: string;
  /** What was sent: an event kind, or `ping ok` / `ping fail`. */
  what: string;
  /** Whether the sink took it. */
  ok: boolean;
  /** What came of it (`HTTP 200`, a reason), secrets masked. */
  detail: string;
}

/** The notification part of the state. */
export interface NotifyState {
  /** Events not yet delivered to every sink that wants them, oldest first. */
  outbox: Outgoing[];
  /** Per sink name. */
  sinks: Record<string, SinkRecord>;
}

/** A state with no providers yet. */
export function emptyState(): State {
  return { version: STATE_VERSION, boot: null, providers: {}, notify: emptyNotify() };
}

/** Nothing to deliver, nothing delivered. */
function emptyNotify(): NotifyState {
  return { outbox: [], sinks: {} };
}

/** What {@link adoptState} did. */
export interface Adopted {
  /** The state now differs from the file in a way that must be saved. */
  changed: boolean;
  /**
   * Why the waits that protect the accounts were moved, when they were: the machine restarted
   * since the file was written (they count from the restart), or nobody can tell (they start
   * again from now).
   */
  waits: "rebooted" | "unknown" | null;
}

/**
 * Makes a state read from disk fit `clock`. Written on the same boot, its moments stand. Written
 * on another boot, every wait that protects an account counts from this boot at the latest: at
 * least the uptime has passed since it began, and nothing more is known for sure, whatever the
 * wall clock says (it may have been wrong then or now). When either boot is unknown, nobody can
 * tell whether the machine restarted, so those waits start again from now. Moments that only make
 * something due are dated by the wall clock (a moment in its future becomes now).
 */
export function adoptState(state: State, clock: Clock): Adopted {
  if (state.boot !== null && state.boot === clock.bootId) return { changed: false, waits: null };
  const known = state.boot !== null && clock.bootId !== null;
  let changed = known;
  let moved = false;
  for (const p of Object.values(state.providers)) {
    for (const m of floorsOf(p)) {
      m.mono = known ? 0 : clock.mono();
      moved = true;
    }
    for (const m of duesOf(p)) changed = rebase(m, clock) || changed;
  }
  // An event's first attempt only makes its giving up due: dated by the wall clock.
  for (const o of state.notify.outbox) if (o.tried) changed = rebase(o.tried, clock) || changed;
  state.boot = clock.bootId;
  return {
    changed: changed || (moved && clock.bootId !== null),
    waits: moved ? (known ? "rebooted" : "unknown") : null,
  };
}

/** Result of {@link parseState}. */
export type ParsedState =
  | { ok: true; state: State }
  | { ok: "v1"; legacy: LegacyState }
  | { ok: false; problem: string };

/** Reads a state file's text; any deviation from the schema is a problem naming the field. */
export function parseState(text: string): ParsedState {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, problem: "it is not valid JSON (truncated or overwritten?)" };
  }
  if (!isObject(data)) return { ok: false, problem: "it is not a JSON object" };
  if (data.version === 1) {
    const problem = LEGACY(data);
    return problem
      ? { ok: false, problem: describe(problem) }
      : { ok: "v1", legacy: data as unknown as LegacyState };
  }
  if (data.version === 2) data.version = STATE_VERSION;
  if (data.version !== STATE_VERSION) {
    return {
      ok: false,
      problem: `its schema version is ${
        JSON.stringify(data.version)
      }, this dnsbeat reads ${STATE_VERSION} (and 2 and 1, which it upgrades)`,
    };
  }
  // Files written before notifications existed have no `notify`.
  if (data.notify === undefined) data.notify = emptyNotify();
  const problem = STATE(data);
  return problem
    ? { ok: false, problem: describe(problem) }
    : { ok: true, state: data as unknown as State };
}

/** A problem as a sentence: `providers.home.stop: "code" is not a string`. */
function describe(problem: Problem): string {
  const field = problem.path.at(-1);
  const where = problem.path.slice(0, -1).join(".");
  const subject = field === undefined ? "it" : `"${field}"`;
  return `${where ? `${where}: ` : ""}${subject} ${problem.what}`;
}

const EVENT = fields(
  {
    id: str,
    kind: str,
    provider: str,
    providerType: str,
    hosts: strings,
    addresses: strings,
    reply: maybe(str),
    message: str,
    action: maybe(str),
    time: time,
  } satisfies Record<keyof NotifyEvent, Check>,
);
const NOTIFY = fields(
  {
    outbox: listOf(
      fields(
        { at: time, event: EVENT, pending: strings, tried: optional(MOMENT) } satisfies Record<
          keyof Outgoing,
          Check
        >,
      ),
    ),
    sinks: mapOf(
      fields(
        { at: time, what: str, ok: bool, detail: str } satisfies Record<keyof SinkRecord, Check>,
      ),
    ),
  } satisfies Record<keyof NotifyState, Check>,
);
const STATE = fields(
  {
    version: num,
    boot: maybe(str),
    providers: mapOf(checkEntry),
    notify: NOTIFY,
  } satisfies Record<
    keyof State,
    Check
  >,
);

/** A state file of schema version 1 (dnsbeat 0.1), keyed by provider name. */
export interface LegacyState {
  /** 1. */
  version: 1;
  /** Per provider name. */
  providers: Record<string, LegacyNoip | LegacyDynamip>;
}

/** A stop as version 1 kept it. */
export interface LegacyStop {
  /** Reply code. */
  code: string;
  /** When (ISO). */
  at: string;
  /** Config fingerprint. */
  fingerprint: string;
}

/** A No-IP provider as version 1 kept it. */
export interface LegacyNoip {
  /** Discriminant. */
  type: "noip";
  /** Per hostname. */
  hosts: Record<string, {
    lastIp: string[] | null;
    lastReply: string | null;
    lastSuccess: string | null;
    stop: LegacyStop | null;
    retryNotBefore: string | null;
  }>;
  /** Back-off. */
  backoff: { failures: number; until: string | null };
}

/** A DynamIP provider as version 1 kept it. */
export interface LegacyDynamip {
  /** Discriminant. */
  type: "dynamip";
  /** Last request (ISO). */
  lastRequestAt: string | null;
  /** Last confirmed beat (ISO). */
  lastBeat: string | null;
  /** Last reply. */
  lastReply: string | null;
  /** Last address. */
  lastIp: string | null;
  /** Expiry. */
  expiry: { text: string; iso: string | null } | null;
  /** Hours left. */
  remainHours: number | null;
  /** Sends AUTO. */
  useAuto: boolean;
  /** Stop. */
  stop: LegacyStop | null;
  /** Back-off. */
  backoff: { failures: number; until: string | null };
}

const LEGACY_STOP = maybe(fields({ code: str, at: time, fingerprint: str }));
const LEGACY_BACKOFF = fields({ failures: num, until: maybe(time) });
const LEGACY: Check = fields({
  providers: mapOf((v) => {
    if (!isObject(v)) return wrong("is not an object");
    if (v.type === "noip") {
      return fields({
        hosts: mapOf(fields({
          lastIp: maybe(strings),
          lastReply: maybe(str),
          lastSuccess: maybe(time),
          stop: LEGACY_STOP,
          retryNotBefore: maybe(time),
        })),
        backoff: LEGACY_BACKOFF,
      })(v);
    }
    if (v.type === "dynamip") {
      return fields({
        lastRequestAt: maybe(time),
        lastBeat: maybe(time),
        lastReply: maybe(str),
        lastIp: maybe(str),
        remainHours: maybe(num),
        useAuto: bool,
        stop: LEGACY_STOP,
        backoff: LEGACY_BACKOFF,
      })(v);
    }
    return wrong(`has an unknown provider type ${JSON.stringify(v.type)}`);
  }),
});
