/**
 * The DynamIP heartbeat protocol as data: how to build the request and what a reply means. Pure:
 * no network, no I/O, no clock.
 *
 * The request is one `GET {server}/Login/updateip.asp?SiteID=..&Password=..&IPAddr=..&ProgVer=1.0`;
 * the password travels in the query string, so the URL is a secret as a whole.
 *
 * @module
 */
import { parseIp } from "../../net/ip.ts";
import { createRedactor, type Redactor } from "../../log/redact.ts";
import { oneLine, plainText, snippet } from "../../log/snippet.ts";

/** DynamIP's server. */
export const DEFAULT_SERVER = "http://www.dynamip.com";

/** What one beat sends. */
export interface DynamipRequest {
  /** Base URL; a trailing slash or a path prefix is fine. */
  server: string;
  /** The DynamIP login. */
  siteId: string;
  /** The password (it ends up in the URL). */
  password: string;
  /** The address to set, or `AUTO` to let the server take the request's source address. */
  ip: string;
}

/**
 * The URL of a beat: `{server}/Login/updateip.asp?SiteID=..&Password=..&IPAddr=..&ProgVer=1.0`,
 * each value percent-encoded (so none can add parameters), `ProgVer` always `1.0`.
 */
export function buildRequest(r: DynamipRequest): { url: string } {
  const query = [
    `SiteID=${encodeURIComponent(r.siteId)}`,
    `Password=${encodeURIComponent(r.password)}`,
    `IPAddr=${encodeURIComponent(r.ip)}`,
    "ProgVer=1.0",
  ];
  return { url: `${r.server.replace(/\/+$/, "")}/Login/updateip.asp?${query.join("&")}` };
}

/** The error titles DynamIP documents, and what dnsbeat calls them. */
export type KnownError = "invalid-ip" | "invalid-credentials" | "expired";

/** What a reply's body says. */
export type DynamipReply =
  /**
   * The server set `ip`. `fields` holds every `Name[[[value]]]` pair; `expiry` and `remainHours`
   * are read from the `Expiry` and `Remain` fields when present.
   */
  | {
    kind: "success";
    ip: string;
    fields: Record<string, string>;
    expiry: { text: string; iso: string | null } | null;
    remainHours: number | null;
  }
  /** A `{{{Title|Message}}}` error; `known` names the documented titles. */
  | { kind: "error"; title: string; message: string; known: KnownError | null }
  /** Neither: a printable snippet of the body (at most 120 characters, the password removed). */
  | { kind: "unrecognised"; snippet: string };

/** The documented titles, as the protocol document writes them. */
const KNOWN_TITLES: Readonly<Record<KnownError, string>> = {
  "invalid-ip": "Invalid IP Address",
  "invalid-credentials": "Invalid UserID/Password",
  "expired": "Account Expired",
};

/**
 * A title as it is matched: lower case, blanks collapsed, none around `/` (servers write
 * `Invalid UserID / Password` as well as `Invalid UserID/Password`).
 */
function titleKey(title: string): string {
  return title.toLowerCase().replace(/\s+/g, " ").replace(/ ?\/ ?/g, "/").trim();
}

/** Which documented error a title is, or null for any other title. */
export function knownError(title: string): KnownError | null {
  const key = titleKey(title);
  const found = Object.entries(KNOWN_TITLES).find(([, text]) => titleKey(text) === key);
  return (found?.[0] as KnownError | undefined) ?? null;
}

/**
 * Reads a reply body. Tolerant of CRLF, blanks and an HTML wrapper (tags are line breaks, a few
 * entities are decoded). Precedence: a `{{{Title|Message}}}` anywhere makes an error; else a line
 * `IP Address for <SiteID> set to <IP>` with a valid IP address makes a success; else the reply
 * is unrecognised. Free text taken from the body (error texts, fields, the snippet) has `password`
 * (plain and percent-encoded) replaced by `***`, as a server may echo the request.
 *
 * `Expiry` is read as `M/D/YYYY h:mm:ss AM/PM` (seconds and AM/PM optional; without AM/PM the
 * hour is 0-23). The reply names no time zone, so the time is taken as UTC: the ISO form can be
 * off by the server's offset from UTC, a few hours at most. `Remain` is a number of hours.
 */
export function parseResponse(body: string, password: string): DynamipReply {
  const clean = maskOf(password);
  const text = plainText(body);
  const error = /\{\{\{([^|{}]*)\|([\s\S]*?)\}\}\}/.exec(text);
  if (error) {
    const title = oneLine(error[1]!);
    const known = knownError(title);
    return {
      kind: "error",
      // A documented title in the document's spelling: no mask can touch it, and a stop keeps it.
      title: known === null ? clean(title) : KNOWN_TITLES[known],
      message: clean(oneLine(error[2]!)),
      known,
    };
  }
  const set = /\bIP\s+Address\s+for\s+\S+\s+set\s+to\s+([0-9A-Fa-f:.]+)(?!\S)/i.exec(text);
  const ip = set ? parseIp(set[1]!.replace(/\.$/, "")) : null;
  if (ip === null) return { kind: "unrecognised", snippet: snippet(body, clean) };
  // Values are read as sent, and kept masked: what they say must not depend on the password.
  const raw: Record<string, string> = {};
  for (const [, name, value] of text.matchAll(/([A-Za-z]\w*)\s*\[\[\[([^\]]*)\]\]\]/g)) {
    raw[name!] = value!.trim();
  }
  const field = (prefix: string) =>
    Object.entries(raw).find(([name]) => name.toLowerCase().startsWith(prefix))?.[1];
  const expiryText = field("expir");
  return {
    kind: "success",
    ip: ip.address,
    fields: Object.fromEntries(Object.entries(raw).map(([name, value]) => [name, clean(value)])),
    expiry: expiryText === undefined || expiryText === ""
      ? null
      : { text: clean(expiryText), iso: parseUsDate(expiryText) },
    remainHours: parseHours(field("remain")),
  };
}

/**
 * The first line of a reply that has text, printable, at most `SNIPPET_LENGTH` (`log/snippet.ts`) characters,
 * the password removed: what the state keeps as the last reply.
 */
export function firstLine(body: string, password: string): string {
  const line = plainText(body).split("\n").find((l) => l.trim() !== "") ?? "";
  return snippet(line, maskOf(password));
}

/**
 * `M/D/YYYY h:mm:ss AM/PM` (US order) as ISO 8601, taking the time as UTC; `null` when the text
 * is not such a date or names an impossible one (13/1/2008, 2/30/2008, 0:00 PM).
 */
export function parseUsDate(text: string): string | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/([1-9]\d{3})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$/
    .exec(text.trim());
  if (!m) return null;
  const n = (i: number) => Number(m[i] ?? 0);
  const [month, day, year, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  const half = m[7]?.toUpperCase();
  if (half ? hour < 1 || hour > 12 : hour > 23) return null;
  if (minute > 59 || second > 59) return null;
  const hour24 = half === "PM" ? (hour % 12) + 12 : half === "AM" ? hour % 12 : hour;
  const date = new Date(Date.UTC(year, month - 1, day, hour24, minute, second));
  if (date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return null;
  return date.toISOString();
}

function parseHours(text: string | undefined): number | null {
  if (text === undefined) return null;
  const plain = text.replace(/,/g, "").trim();
  return /^-?\d+(\.\d+)?$/.test(plain) ? Number(plain) : null;
}

/** What masks a DynamIP reply: the password, in every form a server may echo it. */
export function maskOf(password: string): Redactor {
  return createRedactor([password]);
}
