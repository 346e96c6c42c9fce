/**
 * The emulator: No-IP's and DynamIP's update endpoints, an IP echo and a control API behind one
 * request handler, usable in process ({@link Emulator.handle}) or on a loopback socket
 * ({@link startEmulator}). Every request is recorded, with passwords masked.
 *
 * Routes: `GET /nic/update` (No-IP, and Dynu and any DynDNS2 server), `GET /he/nic/update`
 * (Hurricane Electric, `he.ts`: its path is No-IP's), `GET /` (deSEC, `desec.ts`, at its own
 * path), all three recorded as the `noip` route over the same accounts and hosts,
 * `GET /Login/updateip.asp` (DynamIP, any case), `GET` or `POST /custom/update` (a generic
 * one-URL service, for `custom` providers), the built-in one-URL services at their own paths
 * (`urls.ts`: DuckDNS `/update`, FreeDNS `/u/TOKEN/`, dynv6 `/api/update`, ddnss.de `/upd.php`,
 * recorded as the `custom` route), `/client/v4/...` (Cloudflare's DNS records API,
 * `cloudflare.ts`), `GET /ip`
 * (`?family=6`, `?format=json`), `/notify` (a receiver for dnsbeat's webhook notifications, see
 * {@link Emulator.notifications}), and `/_emulator/...` (see {@link handleControl}).
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { type ParsedIp, parseIp, unmapIp } from "../net/ip.ts";
import type { Accounts, EchoIp } from "./accounts.ts";
import {
  CLOUDFLARE_PREFIX,
  CloudflareServer,
  type CloudflareZone,
  isCloudflareStop,
} from "./cloudflare.ts";
import { handleControl } from "./control.ts";
import { DynamipServer, type DynamipSiteState, isDynamipStop, queryParam } from "./dynamip.ts";
import {
  droppedResponse,
  type Fault,
  type FaultAction,
  FaultQueue,
  HTML_PAGE,
  hugeResponse,
  type Reply,
  toResponse,
  trickleResponse,
} from "./faults.ts";
import { basicUser, hostnames, isNoipStop, type NoipHostState, NoipServer } from "./noip.ts";
import { HeServer } from "./he.ts";
import { DesecServer } from "./desec.ts";
import { type CustomHostState, CustomServer, isCustomStop } from "./custom.ts";
import { urlEndpoint } from "./urls.ts";

/** Which part of the emulator a request went to. */
export type Route =
  | "noip"
  | "dynamip"
  | "custom"
  | "cloudflare"
  | "ip"
  | "notify"
  | "control"
  | "other";

/** How the emulator is set up. */
export interface EmulatorOptions {
  /** The accounts it knows. */
  accounts: Accounts;
  /** Its time: request times, DynamIP gaps and expiry, `delay` and `trickle` faults. */
  clock: Clock;
  /** Refuse a User-Agent not shaped like No-IP's rule (default true; false for ddclient). */
  strictAgent?: boolean;
  /** `nochg` replies in a row for one host that get its account blocked (default 5). */
  abuseAfterNochg?: number;
  /** Block a No-IP account that sends a request after a stop reply (default false). */
  blockOnRequestAfterError?: boolean;
  /** Shortest accepted gap between two DynamIP beats of a site (default 15 minutes). */
  minGapMs?: number;
  /** Refused DynamIP beats that get the site disallowed (default 3). */
  disallowAfterViolations?: number;
  /** Receives one log line per request; it never holds a password. */
  onRequest?: (line: string) => void;
}

/** One request as the emulator recorded it. */
export interface EmulatorRequest {
  /** When it arrived, by the emulator's clock (epoch ms). */
  readonly at: number;
  /** HTTP method. */
  readonly method: string;
  /** Where it went. */
  readonly provider: Route;
  /** Path and query, every password value `***`. */
  readonly path: string;
  /**
   * No-IP username (also of a custom update), DynamIP SiteID or Cloudflare token label, if the
   * request named one.
   */
  readonly user?: string;
  /** No-IP (or custom) hostnames asked for, in order. */
  readonly hosts?: readonly string[];
  /** The first 200 characters of the reply body ("" while no reply, or none was sent). */
  readonly reply: string;
  /** HTTP status; 0 while no reply, or when none was sent (`hang`, `close`). */
  readonly status: number;
  /** The scripted fault it got, if any. */
  readonly fault?: FaultAction["kind"];
}

/** A snapshot of everything the emulator remembers, as `/_emulator/state` returns it. */
export interface EmulatorState {
  /** No-IP hosts that were updated, and blocked usernames. */
  noip: { hosts: Record<string, NoipHostState>; blocked: string[] };
  /** Every DynamIP site, by SiteID. */
  dynamip: Record<string, DynamipSiteState>;
  /** Cloudflare's zones and their records. */
  cloudflare: CloudflareZone[];
  /** Requests after a stop reply, by username, SiteID or Cloudflare token label. */
  requestsAfterError: Record<string, number>;
  /** The current echo addresses. */
  echoIp: EchoIp;
  /** Faults not yet used up. */
  faults: Fault[];
}

/** An emulator. */
export interface Emulator {
  /**
   * Answers one request from `remoteAddr`; never rejects. A `hang` fault, a `delay` and a
   * `trickle` end early when `req.signal` fires.
   */
  handle(req: Request, remoteAddr: string): Promise<Response>;
  /** Every request since start or {@link Emulator.reset}, oldest first. */
  readonly requests: readonly EmulatorRequest[];
  /**
   * What webhooks posted to `/notify` (a dnsbeat notification sink pointed at the emulator), the
   * first 500 characters of each body, oldest first.
   */
  readonly notifications: readonly string[];
  /** A No-IP host's state. */
  noipHost(name: string): NoipHostState;
  /** A host's state at the custom endpoint. */
  customHost(name: string): CustomHostState;
  /** Whether a No-IP account is blocked (every reply `abuse`). */
  noipAccountBlocked(username: string): boolean;
  /** A DynamIP site's state now. */
  dynamipSite(siteId: string): DynamipSiteState;
  /** The content of Cloudflare's record `name` of `type`, or null when there is none. */
  cloudflareRecord(name: string, type: "A" | "AAAA"): string | null;
  /** How many requests a No-IP username or DynamIP SiteID sent after it got a stop reply. */
  requestsAfterError(user: string): number;
  /** Everything the emulator remembers. */
  state(): EmulatorState;
  /** Queues a scripted fault. */
  pushFault(f: Fault): void;
  /**
   * Sets the address(es) a loopback client is told it has (`undefined` keeps, `null` removes
   * IPv6). Kept as given: `/ip` echoes even a malformed address, for tests of detection.
   */
  setEchoIp(ipv4?: string, ipv6?: string | null): void;
  /** Back to the start: addresses, blocks, beats, faults, echo addresses and requests. */
  reset(): void;
}

/** A running emulator on 127.0.0.1. */
export interface RunningEmulator {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** The port. */
  port: number;
  /** The emulator behind it. */
  emulator: Emulator;
  /** Ends hung requests and stops the server. */
  close(): Promise<void>;
}

const DEFAULTS = {
  strictAgent: true,
  abuseAfterNochg: 5,
  blockOnRequestAfterError: false,
  minGapMs: 15 * 60_000,
  disallowAfterViolations: 3,
};
const SECRET_PARAM = /^(password|pass|passwd|pwd)$/i;
const TEXT = { "content-type": "text/plain; charset=utf-8" };
/** What a request is recorded with when the client got no reply. */
const NO_REPLY: Reply = { status: 0, body: "", headers: {} };

/** Creates an emulator for `o.accounts`. */
export function createEmulator(o: EmulatorOptions): Emulator {
  const options = { ...DEFAULTS, ...withoutUndefined(o) };
  const { accounts, clock } = o;
  const noip = new NoipServer(accounts.noip, options);
  const he = new HeServer(accounts.noip, noip);
  const desec = new DesecServer(accounts.noip, noip);
  const dynamip = new DynamipServer(accounts.dynamip, options);
  const cloudflare = new CloudflareServer(accounts.cloudflare ?? { zones: [], tokens: [] });
  const custom = new CustomServer(accounts.noip);
  const faults = new FaultQueue();
  const records: EmulatorRequest[] = [];
  const notifications: string[] = [];
  const stopped = new Set<string>();
  const afterError = new Map<string, number>();
  const secrets = [...accounts.noip, ...accounts.dynamip].map((a) => a.password);
  let echo: EchoIp = { ...accounts.echoIp };

  /** The request's public address: its source, or the echo IPv4 for loopback. */
  const source = (remote: string): ParsedIp | null => {
    const ip = unmapped(remote);
    return ip && !isLoopback(ip) ? ip : parseIp(echo.ipv4);
  };

  const endpoint = (
    route: "noip" | "dynamip" | "custom" | "cloudflare" | "ip",
    req: Request,
    url: URL,
    remote: string,
    fault: FaultAction | null,
    body: string,
  ): Reply => {
    if (route === "noip") {
      const echo = fault?.kind === "confirm" || fault?.kind === "v4-only"
        ? fault
        : { kind: "sent" as const };
      const update = {
        url,
        authorization: req.headers.get("authorization"),
        userAgent: req.headers.get("user-agent"),
        source: source(remote),
      };
      if (url.pathname === HE_PATH) return he.update(update, clock.now());
      if (url.pathname === DESEC_PATH) return desec.update(update, clock.now());
      return noip.update(update, echo);
    }
    if (route === "dynamip") {
      return dynamip.update({ url, source: source(remote), now: clock.now() });
    }
    if (route === "cloudflare") {
      return cloudflare.handle({
        method: req.method,
        url,
        authorization: req.headers.get("authorization"),
        body,
        now: clock.now(),
      });
    }
    if (route === "custom") {
      const own = urlEndpoint(url.pathname);
      if (own !== null) return own(accounts.noip, custom, { url, source: source(remote) });
      return custom.update({ ...customRequest(req, url, body), source: source(remote) });
    }
    return echoReply(url, unmapped(remote), echo);
  };

  const emulator: Emulator = {
    async handle(req, remoteAddr) {
      const url = new URL(req.url);
      const route = routeOf(url.pathname);
      const entry: Mutable<EmulatorRequest> = {
        at: clock.now(),
        method: req.method,
        provider: route,
        path: redactPath(url, secrets),
        reply: "",
        status: 0,
      };
      records.push(entry);
      const body = route === "custom" || route === "cloudflare"
        ? await req.text().catch(() => "")
        : "";
      const user = route === "noip"
        ? basicUser(req.headers.get("authorization"))
        : route === "dynamip"
        ? queryParam(url, "siteid")
        : route === "custom"
        ? custom.account(customRequest(req, url, body))?.username ?? null
        : route === "cloudflare"
        ? cloudflare.label(req.headers.get("authorization"))
        : null;
      if (user !== null) entry.user = secrets.includes(user) ? "***" : user;
      const hosts = route === "noip"
        ? hostnames(url)
        : route === "custom"
        ? custom.hostnames(customRequest(req, url, body))
        : undefined;
      if (hosts) entry.hosts = hosts;
      const done = (reply: Reply) => {
        entry.status = reply.status;
        entry.reply = reply.body.slice(0, 200);
        if (user !== null && isStop(route, reply)) stopped.add(user);
        o.onRequest?.(logLine(entry));
      };
      if (route === "notify") {
        notifications.push((await req.text().catch(() => "")).slice(0, 500));
        const reply = { status: 200, body: "received", headers: TEXT };
        done(reply);
        return toResponse(reply);
      }
      if (route === "control" || route === "other") {
        const reply = route === "control"
          ? await handleControl(emulator, req, url)
          : { status: 404, body: "not found", headers: TEXT };
        done(reply);
        return toResponse(reply);
      }
      if (user !== null && stopped.has(user)) {
        afterError.set(user, (afterError.get(user) ?? 0) + 1);
        if (route === "noip" && options.blockOnRequestAfterError) noip.block(user);
      }
      if (
        req.method !== "GET" && !(route === "custom" && req.method === "POST") &&
        route !== "cloudflare"
      ) {
        const reply = {
          status: 405,
          body: "method not allowed",
          headers: { ...TEXT, allow: route === "custom" ? "GET, POST" : "GET" },
        };
        done(reply);
        return toResponse(reply);
      }
      const fault = faults.take(route);
      if (fault) entry.fault = fault.kind;
      const faulted = faultReply(fault);
      if (faulted) {
        done(faulted);
        return fault?.kind === "huge" ? hugeResponse(fault.bytes) : toResponse(faulted);
      }
      if (fault?.kind === "hang" || fault?.kind === "close") {
        done(NO_REPLY);
        if (fault.kind === "hang") await aborted(req.signal);
        return droppedResponse();
      }
      if (fault?.kind === "delay") {
        await clock.sleep(fault.ms, req.signal);
        if (req.signal.aborted) {
          done(NO_REPLY);
          return droppedResponse();
        }
      }
      const reply = endpoint(route, req, url, remoteAddr, fault, body);
      done(reply);
      if (fault?.kind === "trickle") {
        const init = { status: reply.status, headers: reply.headers };
        return trickleResponse(reply.body, init, fault.intervalMs, clock, req.signal);
      }
      return toResponse(reply);
    },
    get notifications() {
      return notifications;
    },
    get requests() {
      return records;
    },
    noipHost: (name) => noip.host(name),
    customHost: (name) => custom.host(name),
    noipAccountBlocked: (username) => noip.blocked(username),
    dynamipSite: (siteId) => dynamip.site(siteId, clock.now()),
    cloudflareRecord: (name, type) => cloudflare.record(name, type)?.content ?? null,
    requestsAfterError: (user) => afterError.get(user) ?? 0,
    state: () => ({
      noip: { hosts: noip.hosts(), blocked: noip.blockedUsers() },
      dynamip: dynamip.sites(clock.now()),
      cloudflare: cloudflare.zones(),
      requestsAfterError: Object.fromEntries(afterError),
      echoIp: { ...echo },
      faults: faults.pending(),
    }),
    pushFault: (f) => faults.push(f),
    setEchoIp(ipv4, ipv6) {
      echo = { ipv4: ipv4 ?? echo.ipv4, ipv6: ipv6 === undefined ? echo.ipv6 : ipv6 };
    },
    reset() {
      noip.reset();
      he.reset();
      desec.reset();
      dynamip.reset();
      cloudflare.reset();
      custom.reset();
      faults.clear();
      records.length = 0;
      notifications.length = 0;
      stopped.clear();
      afterError.clear();
      echo = { ...accounts.echoIp };
    },
  };
  return emulator;
}

/**
 * Serves an emulator on `127.0.0.1:port` (default 0: any free port). A request's signal is the
 * server's closing, so `close()` ends hung, delayed and trickling requests, then waits for the
 * server to stop.
 */
export async function startEmulator(
  o: EmulatorOptions & { port?: number },
): Promise<RunningEmulator> {
  const emulator = createEmulator(o);
  const closing = new AbortController();
  const listening = Promise.withResolvers<Deno.NetAddr>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: o.port ?? 0,
    onListen: (addr) => listening.resolve(addr),
    onError: () => new Response("internal error", { status: 500 }),
  }, async (req, info) => {
    // A copy whose signal is the server's closing: reading `req.signal` makes Deno warn.
    const body = req.method === "GET" || req.method === "HEAD" ? null : await req.arrayBuffer();
    const { method, headers } = req;
    const copy = new Request(req.url, { method, headers, body, signal: closing.signal });
    return emulator.handle(copy, info.remoteAddr.hostname);
  });
  const { port } = await listening.promise;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    emulator,
    close: async () => {
      closing.abort();
      await server.shutdown();
    },
  };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Where Hurricane Electric's endpoint is served. */
const HE_PATH = "/he/nic/update";
/** Where deSEC's endpoint is served: its own path (`update.dedyn.io/`). */
const DESEC_PATH = "/";

function routeOf(pathname: string): Route {
  if (pathname === "/nic/update" || pathname === HE_PATH || pathname === DESEC_PATH) return "noip";
  if (pathname.toLowerCase() === "/login/updateip.asp") return "dynamip";
  if (pathname.startsWith(CLOUDFLARE_PREFIX)) return "cloudflare";
  if (pathname === "/custom/update" || urlEndpoint(pathname) !== null) return "custom";
  if (pathname === "/ip") return "ip";
  if (pathname === "/notify" || pathname.startsWith("/notify/")) return "notify";
  if (pathname.startsWith("/_emulator/")) return "control";
  return "other";
}

/** The reply of a fault that replaces the real reply; `null` for the others. */
function faultReply(fault: FaultAction | null): Reply | null {
  switch (fault?.kind) {
    case "code":
      return { status: 200, body: fault.body, headers: TEXT };
    case "status": {
      const headers: Record<string, string> = { ...TEXT };
      if (fault.retryAfter !== undefined) headers["retry-after"] = `${fault.retryAfter}`;
      return { status: fault.status, body: fault.body ?? "", headers };
    }
    case "html":
      return { status: 200, body: HTML_PAGE, headers: { "content-type": "text/html" } };
    case "redirect":
      return { status: fault.status ?? 302, body: "", headers: { location: fault.location } };
    case "huge":
      return { status: 200, body: "x".repeat(Math.min(fault.bytes, 200)), headers: TEXT };
    default:
      return null;
  }
}

function isStop(route: Route, reply: Reply): boolean {
  if (route === "noip") return isNoipStop(reply.status, reply.body);
  if (route === "cloudflare") return isCloudflareStop(reply);
  if (route === "custom") return isCustomStop(reply.body);
  return route === "dynamip" && isDynamipStop(reply.body);
}

/** `/ip`: the source address, or the echo address for loopback; `?family=6`, `?format=json`. */
function echoReply(url: URL, remote: ParsedIp | null, echo: EchoIp): Reply {
  const family = url.searchParams.get("family") ?? "4";
  if (family !== "4" && family !== "6") {
    return { status: 400, body: "family must be 4 or 6", headers: TEXT };
  }
  const wanted = family === "4" ? "ipv4" : "ipv6";
  const own = remote && !isLoopback(remote) && remote.family === wanted ? remote.address : null;
  const ip = own ?? echo[wanted];
  if (ip === null) return { status: 404, body: "no IPv6 address", headers: TEXT };
  return url.searchParams.get("format") === "json"
    ? { status: 200, body: JSON.stringify({ ip }), headers: { "content-type": "application/json" } }
    : { status: 200, body: ip, headers: TEXT };
}

/** What the custom endpoint reads of a request. */
function customRequest(req: Request, url: URL, body: string) {
  return {
    url,
    authorization: req.headers.get("authorization"),
    contentType: req.headers.get("content-type"),
    body,
  };
}

/** An address, with an IPv4-mapped IPv6 address read as IPv4. */
function unmapped(text: string): ParsedIp | null {
  const ip = parseIp(text);
  return ip === null ? null : unmapIp(ip);
}

function isLoopback(ip: ParsedIp): boolean {
  return ip.family === "ipv4" ? ip.address.startsWith("127.") : ip.address === "::1";
}

/**
 * Path and query with the value of every password parameter, and every known password in the
 * path or the query, as `***`.
 */
function redactPath(url: URL, secrets: readonly string[]): string {
  // A token in the path (FreeDNS's `/u/TOKEN/`): each segment that is a known password.
  const path = url.pathname.split("/").map((part) => secrets.includes(decode(part)) ? "***" : part)
    .join("/");
  if (url.search === "") return path;
  const parts = url.search.slice(1).split("&").map((part) => {
    const eq = part.indexOf("=");
    if (eq < 0) return part;
    const name = decode(part.slice(0, eq));
    const value = decode(part.slice(eq + 1));
    return SECRET_PARAM.test(name) || secrets.includes(value) ? `${part.slice(0, eq)}=***` : part;
  });
  return `${path}?${parts.join("&")}`;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll("+", " "));
  } catch {
    return text;
  }
}

function logLine(r: EmulatorRequest): string {
  const time = new Date(r.at).toISOString();
  const who = r.user === undefined ? "" : ` user=${r.user}`;
  const status = r.status === 0 ? "no reply" : String(r.status);
  const first = r.reply.split(/\r?\n/)[0] ?? "";
  const fault = r.fault ? ` [fault: ${r.fault}]` : "";
  return `${time} ${r.method} ${r.path}${who} -> ${status}${first ? ` ${first}` : ""}${fault}`;
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
