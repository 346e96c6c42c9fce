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
import { type Moment, rebase } from "./moment.ts";

/**
 * The schema version this build writes. Version 3 keys a DynDNS2 account by `dyndns2 SERVER USER`
 * and counts monotonic time from the boot; it reads version 2 (whose keys move, see
 * `accountKeyChange`) and upgrades version 1. A build that reads only 2 refuses a version-3 file
 * instead of missing its stops.
 */
export const STATE_VERSION = 3;

/** A provider's refusal that needs the user: kept until the config changes or `resume`. */
export interface Stop {
  /** The reply that caused it, as the server wrote it: `badauth`, `Account Expired`, ... */
  code: string;
  /** The hosts the reply named (No-IP), for messages; empty when it concerns the account. */
  hosts: string[];
  /** When it happened (ISO 8601). */
  at: string;
  /** Fingerprint of the provider's credentials and hostnames when it happened. */
  fingerprint: string;
}

/** An address per family; null where none. */
export interface Addresses {
  /** IPv4 address. */
  ipv4: string | null;
  /** IPv6 address. */
  ipv6: string | null;
}

/** No request for `ms` after `from`: the wait a server asked for (`911`, 429, unreadable reply). */
export interface Wait {
  /** The reply that asked for it. */
  code: string;
  /** When it was asked. */
  from: Moment;
  /** Its length. */
  ms: number;
}

/** Back-off after failures that are not a provider's answer (network, HTTP 5xx, no reply). */
export interface Backoff {
  /** Consecutive failures. */
  failures: number;
  /** When the last one happened. */
  from: Moment;
  /** No request for this long after `from`. */
  ms: number;
}

/**
 * A DynDNS2 request written down before it was sent. While it is in the state, its outcome is
 * unknown: the request may have reached the server.
 */
export interface Attempt {
  /** When it was sent. */
  at: Moment;
  /** The hosts it named. */
  hosts: string[];
  /** The addresses it sent. */
  sent: Addresses;
}

/** What dnsbeat knows of one DynDNS2 hostname. */
export interface HostState {
  /** What dnsbeat last sent for this host and the server accepted (`good`/`nochg`). */
  sent: Addresses | null;
  /** What the server's last success line named (may differ from `sent`). */
  confirmed: Addresses | null;
  /**
   * The server's last reply line for this host, or `in DNS` when dnsbeat had no record of it and
   * found DNS already answering the detected address (`dyndns2/adopt.ts`).
   */
  reply: string | null;
  /** When the server last accepted an update of this host, or dnsbeat found it right in DNS. */
  success: Moment | null;
}

/** A DynDNS2 account's state (No-IP, Dynu, any DynDNS2 server). */
export interface Dyndns2State {
  /** Discriminant. */
  type: "dyndns2";
  /** The provider's name when it was last run, for messages. */
  name: string;
  /** Set when the server said something that needs the user: nothing is sent until lifted. */
  stop: Stop | null;
  /** The wait the server asked for. */
  wait: Wait | null;
  /** Network back-off. */
  backoff: Backoff | null;
  /** A request whose outcome is not known (see {@link Attempt}). */
  attempt: Attempt | null;
  /** Per hostname. */
  hosts: Record<string, HostState>;
}

/** The last DynamIP beat that may have reached the server. */
export interface BeatRequest {
  /** When it was sent. Written before it is sent, so a crash cannot hide it. */
  at: Moment;
  /** Milliseconds until its reply or failure; null while (or if ever) unknown. */
  rttMs: number | null;
}

/** A DynamIP account's expiry: DynamIP's text, and as ISO 8601 (UTC assumed) when it parsed. */
export interface Expiry {
  /** As DynamIP wrote it (masked, printable). */
  text: string;
  /** The same instant in ISO 8601, or null when the text is not a date. */
  iso: string | null;
}

/** A DynamIP site's state. */
export interface DynamipState {
  /** Discriminant. */
  type: "dynamip";
  /** The provider's name when it was last run, for messages. */
  name: string;
  /** Set when the server said something that needs the user. */
  stop: Stop | null;
  /** Back-off after beats that never reached the server. */
  backoff: Backoff | null;
  /** The last beat that may have reached the server: the 15-minute floor counts from it. */
  lastRequest: BeatRequest | null;
  /** When the server last confirmed a beat. */
  lastBeat: Moment | null;
  /** The server's last reply, first line, printable. */
  lastReply: string | null;
  /** The address the server last set. */
  lastIp: string | null;
  /** Account expiry as the server wrote it, and as ISO 8601 (UTC assumed) when parseable. */
  expiry: Expiry | null;
  /** Hours left on the account, from the last reply. */
  remainHours: number | null;
  /** When the last expiry warning was given: at most one a day. */
  expiryWarned: Moment | null;
  /** Send `AUTO` instead of the detected address (after `Invalid IP Address`). */
  useAuto: boolean;
}

/** One provider's entry. */
export type ProviderState = Dyndns2State | DynamipState;

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
export function emptyNotify(): NotifyState {
  return { outbox: [], sinks: {} };
}

/** A DynDNS2 account nobody has updated yet. */
export function emptyDyndns2(name: string): Dyndns2State {
  return {
    type: "dyndns2",
    name,
    stop: null,
    wait: null,
    backoff: null,
    attempt: null,
    hosts: {},
  };
}

/** A DynDNS2 host nobody has updated yet. */
export function emptyHost(): HostState {
  return { sent: null, confirmed: null, reply: null, success: null };
}

/** A DynamIP site that has never beaten. */
export function emptyDynamip(name: string): DynamipState {
  return {
    type: "dynamip",
    name,
    stop: null,
    backoff: null,
    lastRequest: null,
    lastBeat: null,
    lastReply: null,
    lastIp: null,
    expiry: null,
    remainHours: null,
    expiryWarned: null,
    useAuto: false,
  };
}

/**
 * The moments of a provider's entry that start a wait the rules impose (a `911` wait, a back-off,
 * an unanswered request, DynamIP's last request and beat): across a reboot they must never end
 * sooner than their length of real time (see {@link adoptState}).
 */
function floorsOf(p: ProviderState): Moment[] {
  const all: (Moment | null | undefined)[] = [p.backoff?.from];
  if (p.type === "dyndns2") all.push(p.wait?.from, p.attempt?.at);
  else all.push(p.lastRequest?.at, p.lastBeat);
  return all.filter((m): m is Moment => m !== null && m !== undefined);
}

/**
 * The moments that make something due (a host's `forceRefresh`, DynamIP's daily expiry
 * reminder): across a reboot the wall clock dates them, since coming late is their only harm.
 */
function duesOf(p: ProviderState): Moment[] {
  const all: (Moment | null | undefined)[] = p.type === "dyndns2"
    ? Object.values(p.hosts).map((h) => h.success)
    : [p.expiryWarned];
  return all.filter((m): m is Moment => m !== null && m !== undefined);
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

/** What is wrong with a value: where (field names, outermost first) and what. */
type Problem = { path: string[]; what: string };

/** A check of a value: null when it fits, else what is wrong with it. */
type Check = (v: unknown) => Problem | null;

const wrong = (what: string): Problem => ({ path: [], what });
const is = (test: (v: unknown) => boolean, what: string): Check => (v) =>
  test(v) ? null : wrong(what);
const str = is((v) => typeof v === "string", "is not a string");
const num = is((v) => typeof v === "number" && Number.isFinite(v), "is not a number");
const bool = is((v) => typeof v === "boolean", "is not true or false");
const time = is(
  (v) => typeof v === "string" && !Number.isNaN(Date.parse(v)),
  "is not an ISO 8601 time",
);
const strings = is(
  (v) => Array.isArray(v) && v.every((s) => typeof s === "string"),
  "is not a list of strings",
);
const literal = (value: string): Check => is((v) => v === value, `is not ${JSON.stringify(value)}`);
const maybe = (check: Check): Check => (v) => v === null ? null : check(v);
const optional = (check: Check): Check => (v) => v === undefined ? null : check(v);
const fields = (table: Record<string, Check>): Check => (v) => {
  if (!isObject(v)) return wrong("is not an object");
  for (const [key, check] of Object.entries(table)) {
    const problem = check(v[key]);
    if (problem) return { path: [key, ...problem.path], what: problem.what };
  }
  return null;
};
const listOf = (check: Check): Check => (v) => {
  if (!Array.isArray(v)) return wrong("is not a list");
  for (const [i, value] of v.entries()) {
    const problem = check(value);
    if (problem) return { path: [String(i), ...problem.path], what: problem.what };
  }
  return null;
};
const mapOf = (check: Check): Check => (v) => {
  if (!isObject(v)) return wrong("is not an object");
  for (const [key, value] of Object.entries(v)) {
    const problem = check(value);
    if (problem) return { path: [key, ...problem.path], what: problem.what };
  }
  return null;
};

/** A problem as a sentence: `providers.home.stop: "code" is not a string`. */
function describe(problem: Problem): string {
  const field = problem.path.at(-1);
  const where = problem.path.slice(0, -1).join(".");
  const subject = field === undefined ? "it" : `"${field}"`;
  return `${where ? `${where}: ` : ""}${subject} ${problem.what}`;
}

const MOMENT = fields({ at: time, mono: num } satisfies Record<keyof Moment, Check>);
const STOP = fields(
  { code: str, hosts: strings, at: time, fingerprint: str } satisfies Record<keyof Stop, Check>,
);
const ADDRESSES = fields(
  { ipv4: maybe(str), ipv6: maybe(str) } satisfies Record<keyof Addresses, Check>,
);
const WAIT = fields({ code: str, from: MOMENT, ms: num } satisfies Record<keyof Wait, Check>);
const BACKOFF = fields(
  { failures: num, from: MOMENT, ms: num } satisfies Record<keyof Backoff, Check>,
);
const ATTEMPT = fields(
  { at: MOMENT, hosts: strings, sent: ADDRESSES } satisfies Record<keyof Attempt, Check>,
);
const HOST = fields(
  {
    sent: maybe(ADDRESSES),
    confirmed: maybe(ADDRESSES),
    reply: maybe(str),
    success: maybe(MOMENT),
  } satisfies Record<keyof HostState, Check>,
);
const DYNDNS2 = fields(
  {
    type: literal("dyndns2"),
    name: str,
    stop: maybe(STOP),
    wait: maybe(WAIT),
    backoff: maybe(BACKOFF),
    attempt: maybe(ATTEMPT),
    hosts: mapOf(HOST),
  } satisfies Record<keyof Dyndns2State, Check>,
);
const DYNAMIP = fields(
  {
    type: literal("dynamip"),
    name: str,
    stop: maybe(STOP),
    backoff: maybe(BACKOFF),
    lastRequest: maybe(
      fields({ at: MOMENT, rttMs: maybe(num) } satisfies Record<keyof BeatRequest, Check>),
    ),
    lastBeat: maybe(MOMENT),
    lastReply: maybe(str),
    lastIp: maybe(str),
    expiry: maybe(fields({ text: str, iso: maybe(time) })),
    remainHours: maybe(num),
    expiryWarned: maybe(MOMENT),
    useAuto: bool,
  } satisfies Record<keyof DynamipState, Check>,
);
const PROVIDER: Check = (v) => {
  if (!isObject(v)) return wrong("is not an object");
  if (v.type === "dyndns2") return DYNDNS2(v);
  if (v.type === "dynamip") return DYNAMIP(v);
  return wrong(`has an unknown provider type ${JSON.stringify(v.type)}`);
};
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
  { version: num, boot: maybe(str), providers: mapOf(PROVIDER), notify: NOTIFY } satisfies Record<
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

/** True for a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
