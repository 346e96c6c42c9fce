/**
 * A DynamIP site's entry in the state file: its shape, its schema, and what the state file does
 * with it.
 *
 * @module
 */
import type { Moment } from "../../state/moment.ts";
import {
  BACKOFF,
  type Backoff,
  bool,
  type Check,
  type EntryKind,
  fields,
  literal,
  maybe,
  MOMENT,
  num,
  STOP,
  type Stop,
  str,
  time,
} from "../../state/parts.ts";

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

/** The state file's dealings with a DynamIP entry. */
export const DYNAMIP_ENTRY: EntryKind<DynamipState> = {
  type: "dynamip",
  check: fields(
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
  ),
  floors: (e) => [e.backoff?.from, e.lastRequest?.at, e.lastBeat],
  dues: (e) => [e.expiryWarned],
  sent: (e) => [e.lastIp],
  // The switch to `AUTO` answered the stop's reply (`Invalid IP Address`): it ends with it.
  lift: (e) => {
    e.useAuto = false;
  },
};
