/**
 * The DynDNS2 update endpoint, `GET /nic/update`, as strict as No-IP's rules: Basic auth, a
 * No-IP-style User-Agent, one reply line per hostname or group, an account blocked for `abuse`
 * once a host keeps getting `nochg`, `numhost` beyond DynDNS2's 20 hosts a request. It serves
 * every DynDNS2 profile: the IPv6 address may come in `myip` (No-IP, Dyn) or in `myipv6` (Dynu).
 *
 * @module
 */
import { type ParsedIp, parseIp } from "../net/ip.ts";
import type { NoipAccount } from "./accounts.ts";
import type { Reply } from "./faults.ts";

/** One No-IP host as the server sees it. */
export interface NoipHostState {
  /** The address(es) it points to, as a reply writes them (`v4`, `v6` or `v4,v6`); or `null`. */
  ip: string | null;
  /** Its IPv4 address. */
  ipv4: string | null;
  /** Its IPv6 address. */
  ipv6: string | null;
  /** How many `nochg` replies it got in a row. */
  nochgStreak: number;
  /** Whether a donator set it offline (`offline=YES`). */
  offline: boolean;
}

/** Options of {@link NoipServer}. */
export interface NoipOptions {
  /** Refuse (`badagent`) a User-Agent not shaped `Program Program/Version contact`. */
  strictAgent: boolean;
  /** After this many `nochg` in a row for one host (≥ 1), the account is blocked. */
  abuseAfterNochg: number;
}

/** A request to `/nic/update`, as the endpoint needs it. */
export interface NoipUpdate {
  /** The request URL. */
  url: URL;
  /** The `Authorization` header. */
  authorization: string | null;
  /** The `User-Agent` header. */
  userAgent: string | null;
  /** The request's public source address, or `null` if it has none. */
  source: ParsedIp | null;
}

/**
 * Which address a success line names: the ones sent (No-IP's usual reply), the IPv4 one alone (a
 * host without an AAAA record), or another address altogether.
 */
export type Echo = { kind: "sent" } | { kind: "v4-only" } | { kind: "confirm"; ip: string };

/** DynDNS2's limit of hosts in one request; more get `numhost`. */
const MAX_HOSTS = 20;

/** The codes after which No-IP's client must send nothing until the user acts. */
export const NOIP_STOP_CODES: readonly string[] = [
  "badauth",
  "nohost",
  "badagent",
  "!donator",
  "abuse",
];

const TEXT = { "content-type": "text/plain; charset=utf-8" };

/** The state and rules of the No-IP endpoint. */
export class NoipServer {
  #accounts: readonly NoipAccount[];
  #options: NoipOptions;
  #hosts = new Map<string, NoipHostState>();
  #blocked = new Set<string>();

  /** A server for `accounts`, every host without an address. */
  constructor(accounts: readonly NoipAccount[], options: NoipOptions) {
    this.#accounts = accounts;
    this.#options = options;
  }

  /**
   * Answers one update request and records its effect. Checks, in order: Basic auth (HTTP 401),
   * User-Agent, credentials, block, `hostname`. A malformed `myip` counts as absent (the source
   * address is used, as DynDNS2 servers do); with no usable address at all the reply is `911`.
   */
  update(req: NoipUpdate, echo: Echo = { kind: "sent" }): Reply {
    const credentials = basicCredentials(req.authorization);
    if (credentials === null) {
      return {
        status: 401,
        body: "badauth",
        headers: { ...TEXT, "www-authenticate": 'Basic realm="No-IP DNS Update API"' },
      };
    }
    const user = credentials.username;
    const hosts = hostnames(req.url);
    const reply = (lines: string[]): Reply => ({
      status: 200,
      body: lines.join("\n"),
      headers: TEXT,
    });
    if (!agentAccepted(req.userAgent, this.#options.strictAgent)) return reply(["badagent"]);
    const account = this.#accounts.find((a) => a.username === user);
    if (account === undefined || account.password !== credentials.password) {
      return reply(["badauth"]);
    }
    if (this.#blocked.has(user)) return reply((hosts ?? [""]).map(() => "abuse"));
    if (hosts === undefined) return reply(["nohost"]);
    if (hosts.length > MAX_HOSTS) return reply(["numhost"]);
    const given = requestedIps(req.url);
    const ips = given ?? (req.source ? [req.source] : null);
    if (ips === null) return reply(["911"]);
    const offline = req.url.searchParams.get("offline")?.toUpperCase() === "YES";
    return reply(
      hosts.map((name) => this.#updateName(account, name.toLowerCase(), ips, offline, echo)),
    );
  }

  /** The state of host `name` (any case); a host never updated has no address. */
  host(name: string): NoipHostState {
    return { ...(this.#hosts.get(name.toLowerCase()) ?? emptyHost()) };
  }

  /** Every host that was updated, by name. */
  hosts(): Record<string, NoipHostState> {
    return Object.fromEntries([...this.#hosts].map(([name, state]) => [name, { ...state }]));
  }

  /** Whether `username` is blocked: every reply is `abuse`. */
  blocked(username: string): boolean {
    return this.#blocked.has(username);
  }

  /** The blocked usernames. */
  blockedUsers(): string[] {
    return [...this.#blocked];
  }

  /** Blocks `username`. */
  block(username: string): void {
    this.#blocked.add(username);
  }

  /**
   * Sets the addresses of host `name` (lower case) that `next` names (null deletes one), and
   * counts an update that changed nothing: after {@link NoipOptions.abuseAfterNochg} in a row,
   * `username` is blocked. Returns whether an address changed.
   */
  assign(
    username: string,
    name: string,
    next: Partial<Record<"ipv4" | "ipv6", string | null>>,
    offline = false,
  ): boolean {
    const state = this.#hosts.get(name) ?? emptyHost();
    const families = (["ipv4", "ipv6"] as const).filter((f) => next[f] !== undefined);
    const differs = families.some((f) => state[f] !== next[f]);
    for (const f of families) state[f] = next[f]!;
    state.ip = [state.ipv4, state.ipv6].filter((a) => a !== null).join(",") || null;
    state.offline = offline;
    state.nochgStreak = differs ? 0 : state.nochgStreak + 1;
    if (state.nochgStreak >= this.#options.abuseAfterNochg) this.#blocked.add(username);
    this.#hosts.set(name, state);
    return differs;
  }

  /** Forgets every address, streak and block. */
  reset(): void {
    this.#hosts.clear();
    this.#blocked.clear();
  }

  #updateName(
    account: NoipAccount,
    name: string,
    ips: ParsedIp[],
    offline: boolean,
    echo: Echo,
  ): string {
    const members = account.hosts.includes(name)
      ? [name]
      : Object.hasOwn(account.groups, name)
      ? account.groups[name]!
      : null;
    if (members === null) return "nohost";
    if (offline && !account.donator) return "!donator";
    const next = Object.fromEntries(ips.map((ip) => [ip.family, ip.address]));
    let changed = false;
    for (const member of members) {
      changed = this.assign(account.username, member, next, offline) || changed;
    }
    const named = echo.kind === "confirm"
      ? echo.ip
      : ips.filter((ip) => echo.kind === "sent" || ip.family === "ipv4").map((ip) => ip.address)
        .join(",");
    return `${changed ? "good" : "nochg"} ${named}`;
  }
}

/** The names of the `hostname` parameter, in order; `undefined` when it is missing or empty. */
export function hostnames(url: URL): string[] | undefined {
  const param = url.searchParams.get("hostname");
  return param === null || param === "" ? undefined : param.split(",");
}

/** The username of a Basic `Authorization` header (`%3A` read as `:`), or `null`. */
export function basicUser(authorization: string | null): string | null {
  return basicCredentials(authorization)?.username ?? null;
}

/** Whether a reply tells No-IP's client to stop: HTTP 401 or a line that is a stop code. */
export function isNoipStop(status: number, body: string): boolean {
  return status === 401 || body.split("\n").some((line) => NOIP_STOP_CODES.includes(line.trim()));
}

/** The username and password of a Basic `Authorization` header (`%3A` read as `:`), or `null`. */
export function basicCredentials(
  authorization: string | null,
): { username: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(authorization ?? "");
  if (!match) return null;
  let text: string;
  try {
    text = new TextDecoder().decode(Uint8Array.fromBase64(match[1]!));
  } catch {
    return null;
  }
  const colon = text.indexOf(":");
  if (colon < 1) return null;
  return {
    username: text.slice(0, colon).replace(/%3A/gi, ":"),
    password: text.slice(colon + 1),
  };
}

/** The plain-text reply `body` with `status` (default 200). */
export function textReply(body: string, status = 200): Reply {
  return { status, body, headers: TEXT };
}

/** A User-Agent is required; when strict, shaped `Program Program/Version contact`. */
function agentAccepted(agent: string | null, strict: boolean): boolean {
  const parts = (agent ?? "").trim().split(/\s+/).filter((part) => part !== "");
  if (parts.length === 0) return false;
  return !strict || (parts.length >= 3 && parts[1]!.includes("/"));
}

/**
 * The addresses a request asks for: `myip` (`v4`, `v6`, `v4,v6` or `v6,v4`) and Dynu's `myipv6`,
 * in canonical form; `null` when there are none or they are malformed (then the request's source
 * address is used, as DynDNS2 servers do).
 */
function requestedIps(url: URL): ParsedIp[] | null {
  const texts = [url.searchParams.get("myip"), url.searchParams.get("myipv6")]
    .filter((t): t is string => t !== null).flatMap((t) => t.split(","));
  if (texts.length === 0) return null;
  const ips = texts.map(parseIp);
  if (ips.length > 2 || ips.some((ip) => ip === null)) return null;
  const parsed = ips as ParsedIp[];
  return parsed.length === 2 && parsed[0]!.family === parsed[1]!.family ? null : parsed;
}

function emptyHost(): NoipHostState {
  return { ip: null, ipv4: null, ipv6: null, nochgStreak: 0, offline: false };
}
