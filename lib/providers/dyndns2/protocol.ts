/**
 * The DynDNS2 update protocol (`GET /nic/update`, No-IP's, Dynu's and Dyn's) as data: how to
 * build a request and what a reply means, for a service's {@link ServiceProfile}. Pure: no
 * network, no I/O, no clock.
 *
 * {@link CODES} is the one table of status codes: whether a code is a success, a stop (the user
 * must act) or a wait (no request for 30 minutes), whether it concerns the whole account or one
 * host, and what to tell the user. Its texts name the service through the profile (`{label}`,
 * `{support}`, `{site}`). A service answers in its own vocabulary ({@link ServiceProfile.codes}):
 * a code it does not document, like any reply no table knows, is not a success, so it stops the
 * provider (No-IP: "The client should only schedule future updates when it receives a 'Success'
 * return code"). Only `911`-like codes the service documents, HTTP 429 and HTTP 5xx wait.
 *
 * @module
 */
import { MINUTE } from "../../config/duration.ts";
import { parseIp, unmapIp } from "../../net/ip.ts";
import { createRedactor, type Redactor } from "../../log/redact.ts";
import { quoted, snippet } from "../../log/snippet.ts";
import { MAX_CONTACT_LENGTH } from "../../config/contact.ts";
import { CONTACT } from "../../version.ts";
import type { ServiceProfile } from "./profiles.ts";

/** One update request: hostnames of one account, sent together. */
export interface UpdateRequest {
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
 * The username a request authenticates with: the account's, or, where the service wants it
 * ({@link ServiceProfile.hostAsUsername}), the one host the request updates.
 */
export function requestUser(
  profile: ServiceProfile,
  username: string,
  hostnames: readonly string[],
): string {
  return profile.hostAsUsername ? hostnames[0] ?? username : username;
}

/**
 * The HTTP request of an update: `GET url` with `headers`.
 *
 * The URL is `{server}{path}?hostname=a,b&myip=v4,v6` (each name and address percent-encoded,
 * joined by literal commas; `myip` left out when there is no address), or with the IPv6 address
 * in a parameter of its own when the profile says so (`myip=v4&myipv6=v6`), the IPv4 one in the
 * profile's parameter (deSEC's `myipv4`), and a family the request does not carry given the
 * profile's {@link ServiceProfile.keepValue} (deSEC's `preserve`). It holds no secret; the
 * `Authorization` header does (HTTP Basic over the UTF-8 bytes of `username:password`, with `:`
 * in the username written `%3A` as No-IP's own client does; the username is the host where the
 * profile says so, see {@link requestUser}).
 */
export function buildRequest(
  profile: ServiceProfile,
  r: UpdateRequest,
): { url: string; headers: Record<string, string> } {
  const query = [`hostname=${r.hostnames.map(encodeURIComponent).join(",")}`];
  const together = profile.ipv6Param === profile.ipv4Param;
  const keep = profile.keepValue;
  const v4 = r.ipv4 ?? (!together && keep !== null && r.ipv6 ? keep : undefined);
  const v6 = r.ipv6 ?? (!together && keep !== null && r.ipv4 ? keep : undefined);
  const first = [v4, together ? v6 : undefined].filter((ip): ip is string => !!ip);
  if (first.length > 0) {
    query.push(`${profile.ipv4Param}=${first.map(encodeURIComponent).join(",")}`);
  }
  if (!together && v6) query.push(`${profile.ipv6Param}=${encodeURIComponent(v6)}`);
  const credentials = basicCredentials(requestUser(profile, r.username, r.hostnames), r.password);
  return {
    url: `${r.server.replace(/\/+$/, "")}${profile.path}?${query.join("&")}`,
    headers: {
      "Authorization": `Basic ${new TextEncoder().encode(credentials).toBase64()}`,
      "User-Agent": r.userAgent,
    },
  };
}

/**
 * The User-Agent No-IP requires, `Company NameOfProgram/OSVersion-ReleaseVersion contact`, e.g.
 * `dnsbeat dnsbeat/linux-x86_64-0.1.0 dnsbeat@users.noreply.github.com` (with `osRelease`:
 * `dnsbeat/linux-6.8.0-x86_64-0.1.0`). Every system part keeps only `A-Z a-z 0-9 . _ + @ -`, the
 * contact (an e-mail address or a URL, `config/contact.ts`) any printable ASCII but blanks; each at most
 * 64 characters, so the result is one line of printable ASCII with exactly three fields.
 */
export function userAgent(
  os: string,
  arch: string,
  osRelease: string | null,
  version: string,
  contact: string,
): string {
  const system = [os, osRelease ?? "", arch, version].map(token).filter((part) => part !== "");
  const reachable = contact.replace(/[^\x21-\x7e]/g, "").slice(0, MAX_CONTACT_LENGTH);
  return `dnsbeat dnsbeat/${system.join("-")} ${reachable}`;
}

/** What dnsbeat does after a code: go on, stop until the user acts, or wait 30 minutes. */
export type CodeClass = "success" | "stop" | "wait";

/** One row of {@link CODES}. */
export interface ReplyCode {
  /** The code as the server writes it, or a synthetic one (`http403`, `unrecognised`, ...). */
  readonly code: string;
  /** What dnsbeat does. */
  readonly class: CodeClass;
  /** `account`: every host of the request; `host`: the host on that line only. */
  readonly scope: "account" | "host";
  /** True when dnsbeat makes the code (from the HTTP status or an unreadable reply). */
  readonly synthetic: boolean;
  /** What happened, in plain words (`{label}`: the service's name). */
  readonly meaning: string;
  /**
   * What the user must do, naming the config field to change (`{label}`, `{support}`, `{site}`:
   * the profile's; `{server}`: the `server` setting, and the service's own when it has one).
   */
  readonly fix: string;
}

/** How long nothing is sent after `911`, `dnserr` (where documented), HTTP 429 or HTTP 5xx. */
export const SERVER_ERROR_WAIT_MS: number = 30 * MINUTE;

const WAIT_TEXT = `dnsbeat tries again in ${SERVER_ERROR_WAIT_MS / MINUTE} minutes`;
const CREDENTIALS = "`username` and password (`password`, `passwordFile` or `passwordEnv`)";

const UNRECOGNISED: ReplyCode = {
  code: "unrecognised",
  class: "stop",
  scope: "account",
  synthetic: true,
  meaning: "the reply is not one that {label} documents (a proxy, a captive portal or another " +
    "service may have answered in its place)",
  fix: "Check {server}, and that the network reaches it without a proxy or a login page in " +
    "between",
};

/**
 * Every status code dnsbeat knows, and what it means: DynDNS2's, the ones No-IP adds, and those
 * dnsbeat makes of an HTTP status. The only place these rules live.
 *
 * `unrecognised` is the one code whose scope varies: `account` when the reply as a whole was not
 * understood, `host` when only that host's line was missing or malformed.
 */
export const CODES: readonly ReplyCode[] = [
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
    fix: "Nothing to do: dnsbeat sends again only when the address changes ({label} counts " +
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
    meaning: "{label} has disabled this client (it refuses dnsbeat's User-Agent)",
    fix: `Update dnsbeat, or report it to its maintainers (${CONTACT}); no update is sent ` +
      "until then",
  },
  {
    code: "!donator",
    class: "stop",
    scope: "host",
    synthetic: false,
    meaning: "the update asked for a feature this account does not have (a paid feature)",
    fix: "Upgrade the {label} account ({site}), or remove this host from `hostnames` of this " +
      "provider in the config",
  },
  {
    code: "abuse",
    class: "stop",
    scope: "account",
    synthetic: false,
    meaning: "{label} has blocked the account for abuse",
    fix: "Contact {support}: the account is blocked",
  },
  {
    code: "911",
    class: "wait",
    scope: "account",
    synthetic: false,
    meaning: "{label} has a server problem",
    fix: `Nothing to do: ${WAIT_TEXT}`,
  },
  {
    code: "interval",
    class: "wait",
    scope: "account",
    synthetic: false,
    meaning: "{label} says the host was updated too often",
    fix: `Nothing to do: ${WAIT_TEXT}; if it keeps happening, make sure no other client ` +
      "updates the same hosts",
  },
  {
    code: "dnserr",
    class: "wait",
    scope: "account",
    synthetic: false,
    meaning: "the server has a DNS problem",
    fix: `Nothing to do: ${WAIT_TEXT}`,
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
    fix: "Put fewer names in `hostnames` of this provider in the config (a group, where the " +
      "service has them, counts as one)",
  },
  {
    code: "badsys",
    class: "stop",
    scope: "account",
    synthetic: false,
    meaning: "the server does not accept this kind of update",
    fix: "Fix {server}: it must be a DynDNS2 update server",
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
    fix: "Activate the host in the {label} account ({site}), or remove it from `hostnames` of " +
      "this provider in the config",
  },
  {
    code: "http403",
    class: "stop",
    scope: "account",
    synthetic: true,
    meaning: "the server refused the client (HTTP 403)",
    fix: `Check ${CREDENTIALS} of this provider in the config; if they are right and this ` +
      "persists, contact {support}",
  },
  {
    code: "http404",
    class: "stop",
    scope: "account",
    synthetic: true,
    meaning: "the server has no update service at this address (HTTP 404)",
    fix: "Fix {server}",
  },
  {
    code: "http4xx",
    class: "stop",
    scope: "account",
    synthetic: true,
    meaning: "the server rejected the request (HTTP 4xx)",
    fix: "Fix {server}",
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
    class: "wait",
    scope: "account",
    synthetic: true,
    meaning: "the server failed (HTTP 5xx) without a status code",
    fix: `Nothing to do: ${WAIT_TEXT}`,
  },
  UNRECOGNISED,
];

/**
 * The row of `code` in {@link CODES}, its texts for `profile`; an unknown code gets the
 * `unrecognised` row.
 */
export function codeInfo(profile: ServiceProfile, code: string): ReplyCode {
  const row = CODES.find((r) => r.code === code) ?? UNRECOGNISED;
  return { ...row, meaning: render(row.meaning, profile), fix: render(row.fix, profile) };
}

function render(text: string, profile: ServiceProfile): string {
  const server = "`server` of this provider in the config" +
    (profile.server === null ? "" : ` (${profile.label}'s is ${profile.server})`);
  return text.replaceAll("{label}", profile.label).replaceAll("{support}", profile.support)
    .replaceAll("{site}", profile.site).replaceAll("{server}", server);
}

/** What one host's update came to. */
export type Outcome =
  /**
   * The server confirmed `ips` (validated, canonical), in its order; none when the service's
   * success names no address ({@link ServiceProfile.echoesAddress}): what was sent is confirmed.
   */
  | { kind: "success"; code: "good" | "nochg"; ips: string[] }
  /** No request until the user acts; `detail` quotes a reply no table knows. */
  | { kind: "stop"; code: string; scope: "account" | "host"; detail?: string }
  /** No request for `waitMs`; `detail` is what the server said (`HTTP 502: "Bad Gateway"`). */
  | { kind: "wait"; code: string; scope: "account" | "host"; waitMs: number; detail?: string };

/**
 * What a reply means for each of `hostnames`: exactly one outcome per hostname, in order.
 *
 * - A status the profile gives a code of its own ({@link ServiceProfile.statusCodes}) is that code.
 * - HTTP 401 is `badauth`; 403 `http403`, 404 `http404`, any other 4xx but 429 `http4xx` (stops);
 *   429 `http429` (a wait of 30 minutes, or longer when its `Retry-After` says so); 2xx: the body; 5xx: the stop and wait codes of the body, else `http5xx`
 *   (a wait; a success line in a failed reply is not believed); anything else (1xx, 3xx)
 *   `unrecognised` (a stop).
 * - The body has one line per hostname, in request order. Each line is trimmed (so CRLF and
 *   surrounding blanks pass) and trailing empty lines are dropped. Codes are matched exactly and
 *   case-sensitively, as DynDNS2 servers write them: `GOOD 1.2.3.4` is not a success.
 * - A line that is an account-scope code (`badauth`, `911`, ...) applies to every host; if there
 *   are several, the first stop wins, else the first.
 * - Where the service answers one word for the whole request ({@link ServiceProfile.oneReplyPerRequest}),
 *   a one-line reply is every host's line.
 * - Otherwise line `i` is host `i`'s: `good IP` / `nochg IP` (IP: one address, or an IPv4 and an
 *   IPv6 address separated by a comma) is a success, a host code applies to that host, anything
 *   else or no line at all is `unrecognised`. Where the service's success names no address
 *   ({@link ServiceProfile.echoesAddress}), the bare word is the success. More lines than hosts, or none, make the whole
 *   reply `unrecognised`. Only codes of the profile's vocabulary are read as such: another
 *   service's code (`dnserr` to No-IP) is `unrecognised` too. A success naming one of the profile's refusal addresses
 *   (`good 127.0.0.1` at Dyn) is `badagent`.
 * - `mask` is applied to reply text before it is cut into a detail or reason snippet (never to
 *   what is parsed), so that a server echoing the credentials cannot put even part of them there.
 */
export function parseResponse(
  profile: ServiceProfile,
  reply: { status: number; body: string; retryAfter?: string | null },
  hostnames: readonly string[],
  mask: Redactor,
): Outcome[] {
  const { status, body } = reply;
  const every = (outcome: Outcome) => hostnames.map(() => outcome);
  const coded = profile.statusCodes[status];
  if (coded !== undefined) return every(failure(coded));
  if (status === 401) return every(failure("badauth"));
  if (status === 403) return every(failure("http403"));
  if (status === 404) return every(failure("http404"));
  if (status === 429) {
    const asked = retryAfterMs(reply.retryAfter ?? null);
    return every(failure("http429", undefined, undefined, asked));
  }
  if (status >= 400 && status < 500) {
    // Which request it was is the server's to say (deSEC: "Cannot update subdomains from more
    // than one domain."): quoted.
    return every(failure("http4xx", "account", withSnippet(`HTTP ${status}`, body, mask)));
  }
  if (status >= 200 && status < 300) return parseBody(profile, body, hostnames, mask);
  if (status >= 500 && status < 600) {
    const reason = withSnippet(`HTTP ${status}`, body, mask);
    return parseBody(profile, body, hostnames, mask).map((outcome) =>
      outcome.code === UNRECOGNISED.code || outcome.kind === "success"
        ? failure("http5xx", "account", reason)
        : outcome
    );
  }
  return every(failure(UNRECOGNISED.code, "account", withSnippet(`HTTP ${status}`, body, mask)));
}

function parseBody(
  profile: ServiceProfile,
  body: string,
  hostnames: readonly string[],
  mask: Redactor,
): Outcome[] {
  const lines = body.split("\n").map((line) => line.trim());
  while (lines.at(-1) === "") lines.pop();
  if (profile.oneReplyPerRequest && lines.length === 1) {
    while (lines.length < hostnames.length) lines.push(lines[0]!);
  }
  const account = lines.flatMap((line) => {
    const row = bareCode(profile, line);
    return row?.scope === "account" ? [row] : [];
  });
  const first = account.find((row) => row.class === "stop") ?? account[0];
  if (first) return hostnames.map(() => failure(first.code));
  if (lines.length === 0 || lines.length > hostnames.length) {
    const whole = failure(UNRECOGNISED.code, "account", withSnippet("", body, mask) || undefined);
    return hostnames.map(() => whole);
  }
  return hostnames.map((_, i) => parseLine(profile, lines[i], mask));
}

function parseLine(
  profile: ServiceProfile,
  line: string | undefined,
  mask: Redactor,
): Outcome {
  if (line === undefined) return failure(UNRECOGNISED.code, "host");
  const bare = line === "good" || line === "nochg" ? line : null;
  if (!profile.echoesAddress && bare !== null && profile.codes.includes(bare)) {
    return { kind: "success", code: bare, ips: [] };
  }
  const success = profile.echoesAddress ? /^(good|nochg) (\S+)$/.exec(line) : null;
  if (success) {
    const ips = parseIps(success[2]!);
    if (ips?.some((ip) => profile.refusalEcho.includes(ip))) return failure("badagent");
    if (ips) return { kind: "success", code: success[1] as "good" | "nochg", ips };
  }
  const row = bareCode(profile, line);
  if (row) return failure(row.code);
  return failure(UNRECOGNISED.code, "host", withSnippet("", line, mask) || undefined);
}

/** The row of a line that is exactly a stop or wait code of the service's vocabulary. */
function bareCode(profile: ServiceProfile, line: string): ReplyCode | undefined {
  if (!profile.codes.includes(line)) return undefined;
  return CODES.find((row) => row.code === line && !row.synthetic && row.class !== "success");
}

/** The outcome of a stop or wait code; a wait lasts 30 minutes, or `askedMs` when longer. */
function failure(
  code: string,
  scope?: "account" | "host",
  detail?: string,
  askedMs = 0,
): Outcome {
  const row = CODES.find((r) => r.code === code) ?? UNRECOGNISED;
  const base = { code: row.code, scope: scope ?? row.scope, ...(detail ? { detail } : {}) };
  return row.class === "stop"
    ? { kind: "stop", ...base }
    : { kind: "wait", ...base, waitMs: Math.max(SERVER_ERROR_WAIT_MS, askedMs) };
}

/**
 * How long a `Retry-After` header asks to wait, in ms: its delay in seconds; 0 when it is
 * missing or an HTTP date (the 30 minutes of every wait apply then).
 */
function retryAfterMs(header: string | null): number {
  const seconds = /^\s*(\d{1,9})\s*$/.exec(header ?? "")?.[1];
  return seconds === undefined ? 0 : Number(seconds) * 1000;
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

/**
 * `prefix`, plus `: ` and the quoted snippet of `body` when it has printable text (the quoted
 * snippet alone without a prefix).
 */
function withSnippet(prefix: string, body: string, mask: Redactor): string {
  if (!snippet(body, mask)) return prefix;
  return prefix ? `${prefix}: ${quoted(body, mask)}` : quoted(body, mask);
}

function token(text: string): string {
  return text.replace(/[^A-Za-z0-9._+@-]/g, "").slice(0, MAX_CONTACT_LENGTH);
}

/**
 * What masks a reply of the service for this account: the password and the Basic credentials of
 * each username its requests send (the account's, or each host's where the service wants it), in
 * every form a server may echo them (the reply is outside text, see `log/snippet.ts`).
 */
export function maskOf(usernames: readonly string[], password: string): Redactor {
  return createRedactor([password, ...usernames.map((u) => basicCredentials(u, password))]);
}
