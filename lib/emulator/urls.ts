/**
 * The built-in one-URL services' endpoints, each at its own path and with its own words, over the
 * emulator's accounts (a token is an account's password) and the hosts of its generic endpoint
 * (`custom.ts`): DuckDNS `/update` (https://www.duckdns.org/spec.jsp), FreeDNS `/u/TOKEN/`
 * (its v2 interface; the token updates the account's first host), dynv6 `/api/update`
 * (https://dynv6.com/docs/apis) and ddnss.de `/upd.php`. Where a service's refusal is not
 * documented, the emulator answers with what clients report, or a plain refusal that no
 * `success` expression matches.
 *
 * @module
 */
import { type ParsedIp, parseIp } from "../net/ip.ts";
import type { NoipAccount } from "./accounts.ts";
import type { CustomServer } from "./custom.ts";
import type { Reply } from "./faults.ts";

/** One request to a built-in service's endpoint. */
export interface UrlUpdate {
  /** The request URL. */
  url: URL;
  /** The request's public source address, or null if it has none. */
  source: ParsedIp | null;
}

/** A service's endpoint: its answer to one request, its effect kept in `hosts`. */
type Endpoint = (accounts: readonly NoipAccount[], hosts: CustomServer, req: UrlUpdate) => Reply;

const TEXT = { "content-type": "text/plain; charset=utf-8" };
const reply = (body: string, status = 200): Reply => ({ status, body, headers: TEXT });

/** The endpoints, by the path they answer (FreeDNS's by its `/u/` prefix). */
const ENDPOINTS: [(path: string) => boolean, Endpoint][] = [
  [(path) => path === "/update", duckdns],
  [(path) => /^\/u\/[^/]+\/?$/.test(path), freedns],
  [(path) => path === "/api/update", dynv6],
  [(path) => path === "/upd.php", ddnss],
];

/** The endpoint of a built-in service at `path`, or null. */
export function urlEndpoint(path: string): Endpoint | null {
  return ENDPOINTS.find(([matches]) => matches(path))?.[1] ?? null;
}

/** DuckDNS: sub-names of `duckdns.org`, `ip` blank: the caller's IPv4 address; `KO` on failure. */
function duckdns(accounts: readonly NoipAccount[], hosts: CustomServer, req: UrlUpdate): Reply {
  const q = req.url.searchParams;
  const account = accounts.find((a) => a.password === q.get("token"));
  const names = (q.get("domains") ?? "").split(",").filter((n) => n !== "")
    .map((n) => `${n.toLowerCase()}.duckdns.org`);
  if (!account || names.length === 0 || names.some((n) => !account.hosts.includes(n))) {
    return reply("KO");
  }
  const next: Partial<Record<"ipv4" | "ipv6", string>> = {};
  const ip = parseIp(q.get("ip") ?? "") ?? (req.source?.family === "ipv4" ? req.source : null);
  if (ip) next[ip.family] = ip.address;
  const ipv6 = parseIp(q.get("ipv6") ?? "");
  if (ipv6?.family === "ipv6") next.ipv6 = ipv6.address;
  let changed = false;
  for (const name of names) changed = hosts.assign(name, next) || changed;
  if (q.get("verbose") !== "true") return reply("OK");
  const first = hosts.host(names[0]!);
  return reply(
    `OK\n${first.ipv4 ?? ""}\n${first.ipv6 ?? ""}\n${changed ? "UPDATED" : "NOCHANGE"}`,
  );
}

/** FreeDNS v2: the token in the path stands for one host; the address is the caller's. */
function freedns(accounts: readonly NoipAccount[], hosts: CustomServer, req: UrlUpdate): Reply {
  const token = decodeURIComponent(req.url.pathname.split("/")[2] ?? "");
  const name = accounts.find((a) => a.password === token)?.hosts[0];
  if (name === undefined) return reply("ERROR: Unable to locate this record");
  const ip = req.source;
  if (ip === null) return reply("ERROR: no address");
  const changed = hosts.assign(name, { [ip.family]: ip.address });
  return reply(
    changed
      ? `Updated 1 host(s) ${name} to ${ip.address} in 0.1 seconds`
      : `No IP change detected for ${name} with IP ${ip.address}, skipping update`,
  );
}

/** dynv6: zone and token; an empty or missing address leaves its record; the status says it. */
function dynv6(accounts: readonly NoipAccount[], hosts: CustomServer, req: UrlUpdate): Reply {
  const q = req.url.searchParams;
  const account = accounts.find((a) => a.password === q.get("token"));
  if (!account) return reply("invalid authentication token", 401);
  const zone = (q.get("zone") ?? q.get("hostname") ?? "").toLowerCase();
  if (!account.hosts.includes(zone)) return reply("zone not found", 404);
  const next: Partial<Record<"ipv4" | "ipv6", string>> = {};
  for (const family of ["ipv4", "ipv6"] as const) {
    const text = q.get(family) ?? "";
    if (text === "") continue;
    const ip = text === "auto" ? req.source : parseIp(text);
    if (ip?.family !== family) return reply(`invalid ${family} address`, 400);
    next[family] = ip.address;
  }
  return reply(hosts.assign(zone, next) ? "addresses updated" : "addresses unchanged");
}

/** ddnss.de: key and host; `ip` blank: the caller's address; an HTML page either way. */
function ddnss(accounts: readonly NoipAccount[], hosts: CustomServer, req: UrlUpdate): Reply {
  const q = req.url.searchParams;
  const account = accounts.find((a) => a.password === q.get("key"));
  const html = (text: string): Reply => ({
    status: 200,
    body: `<html><body><b>${text}</b></body></html>`,
    headers: { "content-type": "text/html; charset=utf-8" },
  });
  if (!account) return html("badauth");
  const name = (q.get("host") ?? "").toLowerCase();
  if (!account.hosts.includes(name)) return html("nohost");
  const next: Partial<Record<"ipv4" | "ipv6", string>> = {};
  const ip = parseIp(q.get("ip") ?? "") ?? (req.source?.family === "ipv4" ? req.source : null);
  if (ip) next[ip.family] = ip.address;
  const ip6 = parseIp(q.get("ip6") ?? "");
  if (ip6?.family === "ipv6") next.ipv6 = ip6.address;
  hosts.assign(name, next);
  // Reported to be the same whether anything changed (openwrt/packages#8013).
  return html("Updated 1 hostname.");
}
