/**
 * The shape of the state file and its validation. The state file is dnsbeat's log: what the
 * servers confirmed, which provider stopped and why, when the next request is allowed. It is
 * never reset silently: anything unexpected in it is an error that names the problem.
 *
 * @module
 */

/** The schema version this build reads and writes. */
export const STATE_VERSION = 1;

/** A provider's refusal that needs the user: kept until the config changes or `resume`. */
export interface Stop {
  /** The reply code that caused the stop, e.g. `badauth` or `Account Expired`. */
  code: string;
  /** What happened and what to do, as shown to the user. */
  message: string;
  /** When it happened (ISO 8601). */
  at: string;
  /** Fingerprint of the provider's credentials and hostnames when it happened. */
  fingerprint: string;
}

/** What dnsbeat knows of one No-IP hostname. */
export interface HostState {
  /** Addresses the server last confirmed for this host (`good`/`nochg`). */
  lastIp: string[] | null;
  /** The server's last reply line for this host. */
  lastReply: string | null;
  /** When a request for this host was last started (ISO 8601). */
  lastAttempt: string | null;
  /** When the server last confirmed this host (ISO 8601). */
  lastSuccess: string | null;
  /** Set when the server said something that needs the user. */
  stop: Stop | null;
  /** No request for this host before this time (ISO 8601): the 30-minute wait after `911`. */
  retryNotBefore: string | null;
}

/** Back-off after failures that are not the provider's answer (network, HTTP 5xx). */
export interface Backoff {
  /** Consecutive failures. */
  failures: number;
  /** No request before this time (ISO 8601). */
  until: string | null;
}

/** A No-IP provider's state. */
export interface NoipState {
  /** Discriminant. */
  type: "noip";
  /** Per hostname. */
  hosts: Record<string, HostState>;
  /** Network back-off. */
  backoff: Backoff;
}

/** A DynamIP provider's state. */
export interface DynamipState {
  /** Discriminant. */
  type: "dynamip";
  /**
   * When the last request that may have reached the server was started (ISO 8601). Written
   * before the request is sent, so a crash cannot hide a request: the 15-minute floor uses it.
   */
  lastRequestAt: string | null;
  /** When the server last answered a beat (ISO 8601). */
  lastBeat: string | null;
  /** The server's last reply, first line, redacted. */
  lastReply: string | null;
  /** The address the server last set. */
  lastIp: string | null;
  /** Account expiry as the server wrote it, and as ISO 8601 (UTC assumed) when parseable. */
  expiry: { text: string; iso: string | null } | null;
  /** Hours left on the account, from the last reply. */
  remainHours: number | null;
  /** When the last expiry warning was logged (ISO 8601): at most one a day. */
  expiryWarnedAt: string | null;
  /** Send `AUTO` instead of the detected address (after `Invalid IP Address`). */
  useAuto: boolean;
  /** Set when the server said something that needs the user. */
  stop: Stop | null;
  /** Network back-off. */
  backoff: Backoff;
}

/** The whole state file. */
export interface State {
  /** {@link STATE_VERSION}. */
  version: typeof STATE_VERSION;
  /** Per provider name. */
  providers: Record<string, NoipState | DynamipState>;
}

/** A state with no providers yet. */
export function emptyState(): State {
  return { version: STATE_VERSION, providers: {} };
}

/** A No-IP host nobody has updated yet. */
export function emptyHost(): HostState {
  return {
    lastIp: null,
    lastReply: null,
    lastAttempt: null,
    lastSuccess: null,
    stop: null,
    retryNotBefore: null,
  };
}

/** A DynamIP provider that has never beaten. */
export function emptyDynamip(): DynamipState {
  return {
    type: "dynamip",
    lastRequestAt: null,
    lastBeat: null,
    lastReply: null,
    lastIp: null,
    expiry: null,
    remainHours: null,
    expiryWarnedAt: null,
    useAuto: false,
    stop: null,
    backoff: { failures: 0, until: null },
  };
}

/** Epoch milliseconds of an ISO time kept in the state, or null. */
export function ms(iso: string | null): number | null {
  return iso === null ? null : Date.parse(iso);
}

/** ISO 8601 of epoch milliseconds, as kept in the state. */
export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** Result of {@link parseState}. */
export type ParsedState = { ok: true; state: State } | { ok: false; problem: string };

/** Reads a state file's text; any deviation from the schema is a problem naming the field. */
export function parseState(text: string): ParsedState {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, problem: "it is not valid JSON (truncated or overwritten?)" };
  }
  if (!isObject(data)) return { ok: false, problem: "it is not a JSON object" };
  if (data.version !== STATE_VERSION) {
    return {
      ok: false,
      problem: `its schema version is ${
        JSON.stringify(data.version)
      }, this dnsbeat reads ${STATE_VERSION}`,
    };
  }
  if (!isObject(data.providers)) return { ok: false, problem: '"providers" is not an object' };
  for (const [name, p] of Object.entries(data.providers)) {
    const problem = checkProvider(p);
    if (problem) return { ok: false, problem: `providers.${name}: ${problem}` };
  }
  return { ok: true, state: data as unknown as State };
}

function checkProvider(p: unknown): string | null {
  if (!isObject(p)) return "not an object";
  if (p.type === "noip") {
    if (!isObject(p.hosts)) return '"hosts" is not an object';
    for (const [host, h] of Object.entries(p.hosts)) {
      const problem = checkFields(h, HOST_FIELDS);
      if (problem) return `hosts.${host}: ${problem}`;
    }
    return checkBackoff(p.backoff);
  }
  if (p.type === "dynamip") return checkFields(p, DYNAMIP_FIELDS) ?? checkBackoff(p.backoff);
  return `unknown provider type ${JSON.stringify(p.type)}`;
}

type Kind = "time" | "string" | "strings" | "stop" | "number" | "boolean" | "expiry";

const HOST_FIELDS: Record<string, Kind> = {
  lastIp: "strings",
  lastReply: "string",
  lastAttempt: "time",
  lastSuccess: "time",
  stop: "stop",
  retryNotBefore: "time",
};

const DYNAMIP_FIELDS: Record<string, Kind> = {
  lastRequestAt: "time",
  lastBeat: "time",
  lastReply: "string",
  lastIp: "string",
  expiry: "expiry",
  remainHours: "number",
  expiryWarnedAt: "time",
  useAuto: "boolean",
  stop: "stop",
};

function checkFields(value: unknown, fields: Record<string, Kind>): string | null {
  if (!isObject(value)) return "not an object";
  for (const [field, kind] of Object.entries(fields)) {
    if (!fits(value[field], kind)) return `"${field}" is not a valid ${kind}`;
  }
  return null;
}

function checkBackoff(b: unknown): string | null {
  if (!isObject(b) || typeof b.failures !== "number" || !fits(b.until, "time")) {
    return '"backoff" is not {failures, until}';
  }
  return null;
}

function fits(v: unknown, kind: Kind): boolean {
  if (kind === "boolean") return typeof v === "boolean";
  if (v === null) return true;
  switch (kind) {
    case "time":
      return typeof v === "string" && !Number.isNaN(Date.parse(v));
    case "string":
      return typeof v === "string";
    case "number":
      return typeof v === "number" && Number.isFinite(v);
    case "strings":
      return Array.isArray(v) && v.every((s) => typeof s === "string");
    case "stop":
      return isObject(v) &&
        ["code", "message", "at", "fingerprint"].every((k) => typeof v[k] === "string");
    case "expiry":
      return isObject(v) && typeof v.text === "string" && (v.iso === null || fits(v.iso, "time"));
  }
}

/** True for a plain JSON object. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
