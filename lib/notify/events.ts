/**
 * The one vocabulary of things dnsbeat tells its user about, and how each is said: a one-line
 * title and a plain body text.
 *
 * Every field of an event may reach a phone, a chat, a monitoring service or a script. The caller
 * builds events from its own messages, which never hold a password; nothing here adds one. Put
 * nothing secret in an event.
 *
 * @module
 */

/**
 * The kinds of event, each with what it means:
 * - `updated`: the server confirmed a new address.
 * - `stopped`: the server refused in a way only the user can fix; updates stopped until they act.
 * - `waiting`: the server asked dnsbeat to wait (No-IP `911`, HTTP 429, an unreadable reply).
 * - `failing`: no update was possible for longer than `failingAfter` (the address could not be
 *   detected, or the server could not be reached).
 * - `recovered`: updates work again after `failing` or `waiting`.
 * - `expiring`: the DynamIP account expires in less than 72 hours.
 * - `resumed`: a stop was lifted (`dnsbeat resume`, or a changed config).
 * - `test`: sent by `dnsbeat notify-test`, to every sink whatever its `events`.
 */
export const EVENT_KINDS = [
  "updated",
  "stopped",
  "waiting",
  "failing",
  "recovered",
  "expiring",
  "resumed",
  "test",
] as const;

/** One of {@link EVENT_KINDS}. */
export type EventKind = typeof EVENT_KINDS[number];

/** Something that happened, as sent to every sink that wants its kind. */
export interface NotifyEvent {
  /** Stable for the same event, also across restarts; see {@link eventId}. */
  id: string;
  /** What happened. */
  kind: EventKind;
  /** The provider's name from the config (`providers[].name`); empty for `test`. */
  provider: string;
  /** The provider's type: `"noip"`, `"dynamip"`, or another one a later version adds. */
  providerType: string;
  /** The hostnames concerned (No-IP), or the site (DynamIP); may be empty. */
  hosts: string[];
  /** The addresses concerned (sent, confirmed or detected); may be empty. */
  addresses: string[];
  /** The server's reply code or line (`badauth`, `911`, `HTTP 429`), or `null`. */
  reply: string | null;
  /** What happened, one sentence. */
  message: string;
  /** What the user should do, or `null` when nothing. */
  action: string | null;
  /** When it happened (ISO 8601), as recorded in the state file; see {@link eventId}. */
  time: string;
}

/** What {@link createEvent} needs: an event without its `id`, lists and nulls optional. */
export interface EventInput {
  /** What happened. */
  kind: EventKind;
  /** The provider's name. */
  provider: string;
  /** The provider's type. */
  providerType: string;
  /** The hostnames concerned. */
  hosts?: readonly string[];
  /** The addresses concerned. */
  addresses?: readonly string[];
  /** The server's reply code or line. */
  reply?: string | null;
  /** What happened, one sentence. */
  message: string;
  /** What the user should do. */
  action?: string | null;
  /** When it happened (ISO 8601): the time the state file records for it. */
  time: string;
}

/** An event with its {@link eventId}. */
export function createEvent(input: EventInput): NotifyEvent {
  const event: Omit<NotifyEvent, "id"> = {
    kind: input.kind,
    provider: input.provider,
    providerType: input.providerType,
    hosts: [...input.hosts ?? []],
    addresses: [...input.addresses ?? []],
    reply: input.reply ?? null,
    message: input.message,
    action: input.action ?? null,
    time: input.time,
  };
  return { id: eventId(event), ...event };
}

/**
 * The identity of an event: `KIND:HASH`, where HASH is 16 hex digits of FNV-1a (64 bit) over the
 * kind, provider, provider type, reply, hosts (sorted) and time. Two events that agree on these
 * are the same event; addresses, message and action are left out, because a restarted dnsbeat may
 * word a message differently or no longer know the addresses of a stop it rebuilds from its state.
 *
 * So that a restart does not send an event twice, `time` must be a time the state file keeps, so
 * that the event rebuilt from the state after a restart gets the same id: the stop's
 * `at` for `stopped`, when the wait began for `waiting`, when the failures began for `failing`,
 * the confirmation (`lastSuccess`) for `updated`, `expiryWarnedAt` for `expiring`, when the stop
 * was lifted for `resumed`, when updates worked again for `recovered`.
 */
export function eventId(event: Omit<NotifyEvent, "id">): string {
  const key = JSON.stringify([
    event.kind,
    event.provider,
    event.providerType,
    event.reply,
    [...event.hosts].sort(),
    event.time,
  ]);
  return `${event.kind}:${fnv1a64(key)}`;
}

function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, "0");
}

const HEADLINES: Record<EventKind, string> = {
  updated: "address updated",
  stopped: "updates stopped, dnsbeat needs you",
  waiting: "the server asks dnsbeat to wait",
  failing: "no update possible",
  recovered: "updates work again",
  expiring: "the account expires soon",
  resumed: "updates resumed",
  test: "test notification",
};

/** Kinds whose title shows the server's reply. */
const REPLY_IN_TITLE: ReadonlySet<EventKind> = new Set(["stopped", "waiting", "failing"]);
const MAX_TITLE_REPLY = 40;

/**
 * The event's title, one line of plain text: `PROVIDER: HEADLINE (REPLY)`, e.g.
 * `home: updates stopped, dnsbeat needs you (badauth)` or `home: address updated to 203.0.113.7`.
 */
export function eventTitle(event: NotifyEvent): string {
  let headline = HEADLINES[event.kind];
  if (event.kind === "updated" && event.addresses.length > 0) {
    headline += ` to ${event.addresses.join(", ")}`;
  }
  if (event.reply !== null && REPLY_IN_TITLE.has(event.kind)) {
    const reply = oneLine(event.reply);
    headline += ` (${
      reply.length > MAX_TITLE_REPLY ? reply.slice(0, MAX_TITLE_REPLY - 1) + "…" : reply
    })`;
  }
  const provider = oneLine(event.provider);
  return oneLine(provider ? `${provider}: ${headline}` : headline);
}

/**
 * The event's body as plain text: the message, the action, then one line each for the provider,
 * hosts, addresses, reply and time (the empty ones left out).
 */
export function eventBody(event: NotifyEvent): string {
  const lines = [event.message];
  if (event.action !== null) lines.push(event.action);
  lines.push("");
  if (event.provider) lines.push(`Provider: ${event.provider} (${event.providerType})`);
  if (event.hosts.length > 0) lines.push(`Hosts: ${event.hosts.join(", ")}`);
  if (event.addresses.length > 0) lines.push(`Addresses: ${event.addresses.join(", ")}`);
  if (event.reply !== null) lines.push(`Reply: ${event.reply}`);
  lines.push(`Time: ${event.time}`);
  return lines.join("\n");
}

/** `text` with every run of whitespace and control characters made one space, and trimmed. */
function oneLine(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/[\s\x00-\x1f\x7f]+/g, " ").trim();
}
