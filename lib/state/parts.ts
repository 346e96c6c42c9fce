/**
 * What every provider's entry in the state file is built from (a stop, a wait the server asked
 * for, a back-off, addresses per family), and the checks the state file's schema is written in:
 * each kind's entry (`providers/<kind>/entry.ts`) and the file as a whole (`mod.ts`) use them.
 *
 * @module
 */
import type { IpFamily } from "../net/ip.ts";
import type { Moment } from "./moment.ts";

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

/** The addresses of `a` as a list, IPv4 first. */
export function addressList(a: Addresses): string[] {
  return [a.ipv4, a.ipv6].filter((ip): ip is string => ip !== null);
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

/** True for a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** What is wrong with a value: where (field names, outermost first) and what. */
export type Problem = { path: string[]; what: string };

/** A check of a value: null when it fits, else what is wrong with it. */
export type Check = (v: unknown) => Problem | null;

/** A problem of the value itself. */
export const wrong = (what: string): Problem => ({ path: [], what });
const is = (test: (v: unknown) => boolean, what: string): Check => (v) =>
  test(v) ? null : wrong(what);
/** A string. */
export const str: Check = is((v) => typeof v === "string", "is not a string");
/** A finite number. */
export const num: Check = is(
  (v) => typeof v === "number" && Number.isFinite(v),
  "is not a number",
);
/** True or false. */
export const bool: Check = is((v) => typeof v === "boolean", "is not true or false");
/** An ISO 8601 time. */
export const time: Check = is(
  (v) => typeof v === "string" && !Number.isNaN(Date.parse(v)),
  "is not an ISO 8601 time",
);
/** A list of strings. */
export const strings: Check = is(
  (v) => Array.isArray(v) && v.every((s) => typeof s === "string"),
  "is not a list of strings",
);
/** Exactly `value`. */
export const literal = (value: string): Check =>
  is((v) => v === value, `is not ${JSON.stringify(value)}`);
/** Null, or what `check` accepts. */
export const maybe = (check: Check): Check => (v) => v === null ? null : check(v);
/** Absent, or what `check` accepts. */
export const optional = (check: Check): Check => (v) => v === undefined ? null : check(v);
/** An object whose fields each pass their check. */
export const fields = (table: Record<string, Check>): Check => (v) => {
  if (!isObject(v)) return wrong("is not an object");
  for (const [key, check] of Object.entries(table)) {
    const problem = check(v[key]);
    if (problem) return { path: [key, ...problem.path], what: problem.what };
  }
  return null;
};
/** A list whose items each pass `check`. */
export const listOf = (check: Check): Check => (v) => {
  if (!Array.isArray(v)) return wrong("is not a list");
  for (const [i, value] of v.entries()) {
    const problem = check(value);
    if (problem) return { path: [String(i), ...problem.path], what: problem.what };
  }
  return null;
};
/** An object whose values each pass `check`. */
export const mapOf = (check: Check): Check => (v) => {
  if (!isObject(v)) return wrong("is not an object");
  for (const [key, value] of Object.entries(v)) {
    const problem = check(value);
    if (problem) return { path: [key, ...problem.path], what: problem.what };
  }
  return null;
};

/** A {@link Moment}. */
export const MOMENT: Check = fields(
  { at: time, mono: num } satisfies Record<keyof Moment, Check>,
);
/** A {@link Stop}. */
export const STOP: Check = fields(
  { code: str, hosts: strings, at: time, fingerprint: str } satisfies Record<keyof Stop, Check>,
);
/** {@link Addresses}. */
export const ADDRESSES: Check = fields(
  { ipv4: maybe(str), ipv6: maybe(str) } satisfies Record<keyof Addresses, Check>,
);
/** A {@link Wait}. */
export const WAIT: Check = fields(
  { code: str, from: MOMENT, ms: num } satisfies Record<keyof Wait, Check>,
);
/** A {@link Backoff}. */
export const BACKOFF: Check = fields(
  { failures: num, from: MOMENT, ms: num } satisfies Record<keyof Backoff, Check>,
);

/** What every provider's entry holds, whatever its kind. */
export interface EntryBase {
  /** The kind of entry (the file's discriminant). */
  type: string;
  /** The provider's name when it was last run, for messages. */
  name: string;
  /** Set when the server said something that needs the user: nothing is sent until lifted. */
  stop: Stop | null;
  /** Back-off after failures that are not the server's answer. */
  backoff: Backoff | null;
}

/** What the state file does with one kind of provider entry (`providers/entries.ts`). */
export interface EntryKind<E extends EntryBase> {
  /** Its discriminant in the file. */
  type: E["type"];
  /** Its schema. */
  check: Check;
  /**
   * The moments that start a wait the rules impose (a wait, a back-off, an unanswered request, a
   * last beat): across a reboot they must never end sooner than their length of real time.
   */
  floors(e: E): (Moment | null | undefined)[];
  /** The moments that make something due: across a reboot the wall clock dates them. */
  dues(e: E): (Moment | null | undefined)[];
  /** The addresses of `family` it last sent and the server accepted. */
  sent(e: E, family: IpFamily): (string | null)[];
  /** What else ends when its stop is lifted. */
  lift(e: E): void;
}
