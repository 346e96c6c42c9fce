/**
 * A DynDNS2 account's entry in the state file (No-IP, Dynu, any DynDNS2 server, and a `custom`
 * provider's account, which the same round keeps): its shape, its schema, and what the state
 * file does with it.
 *
 * @module
 */
import type { Moment } from "../../state/moment.ts";
import {
  ADDRESSES,
  type Addresses,
  BACKOFF,
  type Backoff,
  type Check,
  type EntryKind,
  fields,
  literal,
  mapOf,
  maybe,
  MOMENT,
  STOP,
  type Stop,
  str,
  strings,
  WAIT,
  type Wait,
} from "../../state/parts.ts";

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

/** The state file's dealings with a DynDNS2 entry. */
export const DYNDNS2_ENTRY: EntryKind<Dyndns2State> = {
  type: "dyndns2",
  check: fields(
    {
      type: literal("dyndns2"),
      name: str,
      stop: maybe(STOP),
      wait: maybe(WAIT),
      backoff: maybe(BACKOFF),
      attempt: maybe(ATTEMPT),
      hosts: mapOf(HOST),
    } satisfies Record<keyof Dyndns2State, Check>,
  ),
  floors: (e) => [e.backoff?.from, e.wait?.from, e.attempt?.at],
  dues: (e) => Object.values(e.hosts).map((h) => h.success),
  sent: (e, family) => Object.values(e.hosts).map((h) => h.sent?.[family] ?? null),
  lift: () => {},
};
