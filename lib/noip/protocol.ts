/**
 * The No-IP update protocol (DynDNS2 `GET /nic/update`) as data: how to build a request and what
 * a reply means. Pure: no network, no I/O, no clock.
 *
 * {@link NOIP_CODES} is the one table of status codes: whether a code is a success, a stop (the
 * user must act), a wait (no request for 30 minutes) or a retry (back off), whether it concerns
 * the whole account or one host, and what to tell the user.
 *
 * @module
 */
import { MINUTE } from "../duration.ts";
import { parseIp, unmapIp } from "../ip.ts";
import { CONTACT } from "../version.ts";

/** One update request: every hostname of one account, sent together. */
export interface NoipRequest {
  /** Base URL, e.g. `https://dynupdate.no-ip.com`; a trailing slash or a path prefix is fine. */
  server: string;
  /** Account or DDNS-key username. */
  username: string;
  /** Password; travels only in the Authorization header. */
  password: string;
  /** Hostnames or group names. */
  hostnames: readonly string[];
  /** IPv4 address to set. With neither address, the server takes the request's source. */
  ipv4?: string;
  /** IPv6 address to set. */
  ipv6?: string;
  /** The User-Agent, from {@link userAgent}. */
  userAgent: string;
}

/**
 * The `username:password` of HTTP Basic auth as dnsbeat sends it: `:` in the username written
 * `%3A`, as No-IP's own client does.
 */
export function basicCredentials(username: string, password: string): string {
  return `${username.replaceAll(":", "%3A")}:${password}`;
}

/**
 * The HTTP request of an update: `GET url` with `headers`.
 *
 * The URL is `{server}/nic/update?hostname=a,b&myip=v4,v6` (each name and address percent-encoded,
 * joined by literal commas; `myip` left out when there is no address). It holds no secret; the
 * `Authorization` header does (HTTP Basic over the UTF-8 bytes of `username:password`, with `:` in
 * the username written `%3A` as No-IP's own client does).
 */
export function buildRequest(r: NoipRequest): { url: string; headers: Record<string, string> } {
  const query = [`hostname=${r.hostnames.map(encodeURIComponent).join(",")}`];
  const ips = [r.ipv4, r.ipv6].filter((ip): ip is string => !!ip);
  if (ips.length > 0) query.push(`myip=${ips.map(encodeURIComponent).join(",")}`);
  const credentials = basicCredentials(r.username, r.password);
  return {
    url: `${r.server.replace(/\/+$/, "")}/nic/update?${query.join("&")}`,
    headers: { "Authorization": `Basic ${base64(credentials)}`, "User-Agent": r.userAgent },
  };
}

/**
 * The User-Agent No-IP requires, `Company NameOfProgram/OSVersion-ReleaseVersion contact`, e.g.
 * `dnsbeat dnsbeat/linux-x86_64-0.1.0 dnsbeat@users.noreply.github.com` (with `osRelease`:
 * `dnsbeat/linux-6.8.0-x86_64-0.1.0`). Every part keeps only `A-Z a-z 0-9 . _ + @ -` (at most 64
 * characters), so the result is one line of printable ASCII with exactly three fields.
 */
export function userAgent(
  os: string,
  arch: string,
  osRelease: string | null,
  version: string,
  contact: string,
): string {
  const system = [os, osRelease ?? "", arch, version].map(token).filter((part) => part !== "");
  return `dnsbeat dnsbeat/${system.join("-")} ${token(contact)}`;
}

/** What dnsbeat does after a code: go on, stop until the user acts, wait, or back off. */
export type NoipClass = "success" | "stop" | "wait" | "retry";

/** One row of {@link NOIP_CODES}. */
export interface NoipCode {
  /** The code as the server writes it, or a synthetic one (`http403`, `unrecognised`, ...). */
  readonly code: string;
  /** What dnsbeat does. */
  readonly class: NoipClass;
  /** `account`: every host of the request; `host`: the host on that line only. */
  readonly scope: "account" | "host";
  /** True when dnsbeat makes the code (from the HTTP status or an unreadable reply). */
  readonly synthetic: boolean;
  /** What happened, in plain words. */
  readonly meaning: string;
  /** What the user must do, naming the config field to change. */
  readonly fix: string;
}

/** How long nothing is sent after `911`, `dnserr`, HTTP 429 or an unrecognised reply. */
export const SERVER_ERROR_WAIT_MS: number = 30 * MINUTE;

const WAIT_TEXT = `dnsbeat tries again in ${SERVER_ERROR_WAIT_MS / MINUTE} minutes`;
const CREDENTIALS = "`username` and password (`password`, `passwordFile` or `passwordEnv`)";
const SUPPORT = "No-IP support (https://www.noip.com/support)";

const UNRECOGNISED: NoipCode = {
  code: "unrecognised",
  class: "wait",
  scope: "account",
  synthetic: true,
  meaning: "the server's reply was not understood",
  fix: `Nothing to do if it passes: ${WAIT_TEXT}; if it persists, check \`server\` of this ` +
    "provider in the config",
};

/**
 * Every status code dnsbeat knows, and what it means. The only place these rules live.
 *
 * `unrecognised` is the one code whose scope varies: `account` when the reply as a whole was not
 * understood, `host` when only that host's line was missing or malformed.
 */
export const NOIP_CODES: readonly NoipCode[] = [
  {
    code: "good",
    class: "success",
    scope: "host",
    synthetic: false,
    meaning: "the host now points to the address",
    fix: "Nothing to do",
  },
  {
    code: "nochg",
    class: "success",
    scope: "host",
    synthetic: false,
    meaning: "the host already pointed to the address; nothing changed",
    fix: "Nothing to do: dnsbeat sends again only when the address changes (No-IP counts " +
      "repeated `nochg` as abuse)",
  },
  {
    code: "nohost",
    class: "stop",
    scope: "host",
    synthetic: false,
    meaning: "the hostname does not exist in this account",
    fix:
      `Fix \`hostnames\` of this provider in the config, or its ${CREDENTIALS} if the host belongs to another account`,
  },
  {
    code: "badauth",
    class: "stop",
    scope: "account",
    synthetic: false,
    meaning: "wrong username or password",
    fix: `Fix ${CREDENTIALS} of this provider in the config`,
  },
  {
    code: "badagent",
    class: "stop",
    scope: "account",
    synthetic: false,
    meaning: "No-IP has disabled this client (it refuses dnsbeat's User-Agent)",
    fix: `Update dnsbeat, or report it to its maintainers (${CONTACT}); no update is sent ` +
      "until then",
  },
  {
    code: "!donator",
    class: "stop",
    scope: "host",
    synthetic: false,
    meaning: "the update asked for a feature this account does not have (a paid feature)",
    fix: "Upgrade the No-IP account, or remove this host from `hostnames` of this provider in " +
      "the config",
  },
  {
    code: "abuse",
    class: "stop",
    scope: "account",
    synthetic: false,
    meaning: "No-IP has blocked the account for abuse",
    fix: `Contact ${SUPPORT}: the account is blocked`,
  },
  {
    code: "911",
    class: "wait",
    scope: "account",
    synthetic: false,
    meaning: "No-IP has a server problem",
    fix: `Nothing to do: No-IP has a server problem; ${WAIT_TEXT}`,
  },
  {
    code: "dnserr",
    class: "wait",
    scope: "account",
    synthetic: false,
    meaning: "the server has a DNS problem",
    fix: `Nothing to do: the server has a problem; ${WAIT_TEXT}`,
  },
  {
    code: "notfqdn",
    class: "stop",
    scope: "host",
    synthetic: false,
    meaning: "the hostname is not a fully qualified domain name",
    fix: "Fix `hostnames` of this provider in the config: write each name in full, e.g. " +
      "`myhost.ddns.net`",
  },
  {
    code: "numhost",
    class: "stop",
    scope: "account",
    synthetic: false,
    meaning: "too many hosts in one request",
    fix: "Put fewer names in `hostnames` of this provider in the config (split them over " +
      "several providers)",
  },
  {
    code: "badsys",
    class: "stop",
    scope: "account",
    synthetic: false,
    meaning: "the server does not accept this kind of update",
    fix: "Fix `server` of this provider in the config: it must be a No-IP (DynDNS2) update server",
  },
  {
    code: "!yours",
    class: "stop",
    scope: "host",
    synthetic: false,
    meaning: "the hostname belongs to another account",
    fix:
      `Fix \`hostnames\` of this provider in the config, or its ${CREDENTIALS} if the host belongs to another account`,
  },
  {
    code: "!active",
    class: "stop",
    scope: "host",
    synthetic: false,
    meaning: "the hostname exists but is not active",
    fix: "Activate the host in the No-IP account (https://www.noip.com), or remove it from " +
      "`hostnames` of this provider in the config",
  },
  {
    code: "http403",
    class: "stop",
    scope: "account",
    synthetic: true,
    meaning: "the server refused the client (HTTP 403)",
    fix: `Check ${CREDENTIALS} of this provider in the config; if they are right and this ` +
      `persists, contact ${SUPPORT}`,
  },
  {
    code: "http404",
    class: "stop",
    scope: "account",
    synthetic: true,
    meaning: "the server has no update service at this address (HTTP 404)",
    fix: "Fix `server` of this provider in the config (No-IP's is https://dynupdate.no-ip.com)",
  },
  {
    code: "http4xx",
    class: "stop",
    scope: "account",
    synthetic: true,
    meaning: "the server rejected the request (HTTP 4xx)",
    fix: "Fix `server` of this provider in the config (No-IP's is https://dynupdate.no-ip.com)",
  },
  {
    code: "http429",
    class: "wait",
    scope: "account",
    synthetic: true,
    meaning: "the server asks for fewer requests (HTTP 429)",
    fix: `Nothing to do: ${WAIT_TEXT}; if it keeps happening, make sure no other client ` +
      "updates the same hosts",
  },
  {
    code: "http5xx",
    class: "retry",
    scope: "account",
    synthetic: true,
    meaning: "the server failed (HTTP 5xx) without a status code",
    fix: "Nothing to do: dnsbeat tries again later, backing off",
  },
  UNRECOGNISED,
];

/** The row of `code` in {@link NOIP_CODES}; an unknown code gets the `unrecognised` row. */
export function codeInfo(code: string): NoipCode {
  return NOIP_CODES.find((row) => row.code === code) ?? UNRECOGNISED;
}

/** What one host's update came to. */
export type NoipOutcome =
  /** The server confirmed `ips` (validated, canonical), in its order. */
  | { kind: "success"; code: "good" | "nochg"; ips: string[] }
  /** No request until the user acts. */
  | { kind: "stop"; code: string; scope: "account" | "host" }
  /** No request for `waitMs`; `detail` is a printable snippet of an unrecognised reply. */
  | { kind: "wait"; code: string; scope: "account" | "host"; waitMs: number; detail?: string }
  /** The server failed (HTTP 5xx) without a status code: back off. */
  | { kind: "retry"; code: string; reason: string };

/**
 * What a reply means for each of `hostnames`: exactly one outcome per hostname, in order.
 *
 * - HTTP 401 is `badauth`; 403 `http403`, 404 `http404`, any other 4xx but 429 `http4xx` (stops);
 *   429 `http429` (wait); 2xx: the body; 5xx: the stop and wait codes of the body, else a retry
 *   (a success line in a failed reply is not believed); anything else (3xx) `unrecognised`.
 * - The body has one line per hostname, in request order. Each line is trimmed (so CRLF and
 *   surrounding blanks pass) and trailing empty lines are dropped. Codes are matched exactly and
 *   case-sensitively, as No-IP writes them: `GOOD 1.2.3.4` or `good  1.2.3.4` is not a success.
 * - A line that is an account-scope code (`badauth`, `911`, ...) applies to every host; if there
 *   are several, the first stop wins, else the first.
 * - Otherwise line `i` is host `i`'s: `good IP` / `nochg IP` (IP: one address, or an IPv4 and an
 *   IPv6 address separated by a comma) is a success, a host code applies to that host, anything
 *   else or no line at all is `unrecognised`. More lines than hosts, or none, make the whole
 *   reply `unrecognised`.
 * - `mask` is applied to reply text before it is cut into a detail or reason snippet (never to
 *   what is parsed), so that a server echoing the credentials cannot put even part of them there.
 */
export function parseResponse(
  reply: { status: number; body: string },
  hostnames: readonly string[],
  mask: (text: string) => string = (text) => text,
): NoipOutcome[] {
  const { status, body } = reply;
  const every = (outcome: NoipOutcome) => hostnames.map(() => outcome);
  if (status === 401) return every(failure("badauth"));
  if (status === 403) return every(failure("http403"));
  if (status === 404) return every(failure("http404"));
  if (status === 429) return every(failure("http429"));
  if (status >= 400 && status < 500) return every(failure("http4xx"));
  if (status >= 200 && status < 300) return parseBody(body, hostnames, mask);
  if (status >= 500 && status < 600) {
    const reason = withSnippet(`HTTP ${status}`, mask(body));
    return parseBody(body, hostnames, mask).map((outcome) =>
      outcome.code === UNRECOGNISED.code || outcome.kind === "success"
        ? failure("http5xx", undefined, reason)
        : outcome
    );
  }
  return every(failure(UNRECOGNISED.code, "account", withSnippet(`HTTP ${status}`, mask(body))));
}

function parseBody(
  body: string,
  hostnames: readonly string[],
  mask: (text: string) => string,
): NoipOutcome[] {
  const lines = body.split("\n").map((line) => line.trim());
  while (lines.at(-1) === "") lines.pop();
  const account = lines.flatMap((line) => {
    const row = bareCode(line);
    return row?.scope === "account" ? [row] : [];
  });
  const first = account.find((row) => row.class === "stop") ?? account[0];
  if (first) return hostnames.map(() => failure(first.code));
  if (lines.length === 0 || lines.length > hostnames.length) {
    const whole = failure(UNRECOGNISED.code, "account", snippet(mask(body)) || undefined);
    return hostnames.map(() => whole);
  }
  return hostnames.map((_, i) => parseLine(lines[i], mask));
}

function parseLine(line: string | undefined, mask: (text: string) => string): NoipOutcome {
  if (line === undefined) return failure(UNRECOGNISED.code, "host");
  const success = /^(good|nochg) (\S+)$/.exec(line);
  if (success) {
    const ips = parseIps(success[2]!);
    if (ips) return { kind: "success", code: success[1] as "good" | "nochg", ips };
  }
  const row = bareCode(line);
  if (row) return failure(row.code);
  return failure(UNRECOGNISED.code, "host", snippet(mask(line)) || undefined);
}

/** The row of a line that is exactly a server-written stop or wait code. */
function bareCode(line: string): NoipCode | undefined {
  return NOIP_CODES.find((row) => row.code === line && !row.synthetic && row.class !== "success");
}

/** The outcome of a stop, wait or retry code. */
function failure(code: string, scope?: "account" | "host", detail?: string): NoipOutcome {
  const row = codeInfo(code);
  if (row.class === "stop") return { kind: "stop", code: row.code, scope: scope ?? row.scope };
  if (row.class === "retry") {
    return { kind: "retry", code: row.code, reason: detail ?? row.meaning };
  }
  const wait = { kind: "wait", code: row.code, scope: scope ?? row.scope } as const;
  return detail
    ? { ...wait, waitMs: SERVER_ERROR_WAIT_MS, detail }
    : { ...wait, waitMs: SERVER_ERROR_WAIT_MS };
}

/**
 * `v4`, `v6`, or `v4,v6` / `v6,v4`: canonical addresses (an IPv4-mapped IPv6 address read as the
 * IPv4 address it carries), or `null`.
 */
function parseIps(text: string): string[] | null {
  const parts = text.split(",");
  const parsed = parts.map(parseIp).filter((ip) => ip !== null).map(unmapIp);
  const families = new Set(parsed.map((ip) => ip.family));
  return parts.length <= 2 && families.size === parts.length
    ? parsed.map((ip) => ip.address)
    : null;
}

/** `prefix`, plus `: ` and a snippet of `body` when it has printable text; at most 80 chars. */
function withSnippet(prefix: string, body: string): string {
  const text = snippet(body);
  return text ? snippet(`${prefix}: ${text}`) : prefix;
}

/** Printable text of `text`: control and format characters out, blanks collapsed, ≤ 80 chars. */
function snippet(text: string): string {
  const clean = text.replace(/[\p{C}\p{Z}\s]+/gu, " ").trim();
  return Array.from(clean).slice(0, 80).join("").trimEnd();
}

function token(text: string): string {
  return text.replace(/[^A-Za-z0-9._+@-]/g, "").slice(0, 64);
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(""));
}
