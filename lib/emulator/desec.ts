/**
 * deSEC's `update.dedyn.io`, served at `/` (its docs:
 * https://desec.readthedocs.io/en/latest/dyndns/update-api.html, and its server code
 * `desec-io/desec-stack` `api/desecapi/views/dyndns.py`): Basic auth whose password is the token
 * (an account's password here), the hostnames in `hostname` (else the Basic username), all of one
 * domain; IPv4 from `myip`, `myipv4` or `ip`, IPv6 from `myipv6`, `ipv6`, `myip` or `ip`,
 * `preserve` keeping a record, a family without a parameter taken from the connection when it is
 * of that family and deleted otherwise. Replies: 200 `good` (always, there is no `nochg`), 401
 * `badauth`, 404 `nohost`, 400 for a malformed request, 429 with `Retry-After` beyond 2 updates
 * per 2 minutes per domain (https://desec.readthedocs.io/en/latest/rate-limits.html).
 *
 * @module
 */
import { type ParsedIp, parseIp } from "../net/ip.ts";
import type { NoipAccount } from "./accounts.ts";
import type { Reply } from "./faults.ts";
import { basicCredentials, type NoipServer, type NoipUpdate, textReply } from "./noip.ts";

/** Updates of one domain deSEC accepts within {@link RATE_WINDOW_MS}. */
const RATE_LIMIT = 2;
/** The sliding window of {@link RATE_LIMIT}. */
const RATE_WINDOW_MS = 2 * 60_000;

const PARAMS = { ipv4: ["myip", "myipv4", "ip"], ipv6: ["myipv6", "ipv6", "myip", "ip"] } as const;

/** The rules of deSEC's endpoint over the hosts of a {@link NoipServer}. */
export class DesecServer {
  #accounts: readonly NoipAccount[];
  #hosts: NoipServer;
  #recent = new Map<string, number[]>();

  /** deSEC's endpoint for `accounts`, keeping addresses in `hosts`. */
  constructor(accounts: readonly NoipAccount[], hosts: NoipServer) {
    this.#accounts = accounts;
    this.#hosts = hosts;
  }

  /** Answers one update at `now` and records its effect. */
  update(req: NoipUpdate, now: number): Reply {
    const credentials = basicCredentials(req.authorization);
    const owners = this.#accounts.filter((a) => a.password === credentials?.password);
    if (credentials === null || owners.length === 0) return textReply("badauth", 401);
    const param = req.url.searchParams.get("hostname");
    const names = (param === null || param === "" ? credentials.username : param).toLowerCase()
      .split(",");
    const domains = new Set(names.map((name) => name.split(".").slice(-2).join(".")));
    if (domains.size > 1) {
      return textReply("Cannot update subdomains from more than one domain.", 400);
    }
    // The token's account that has every name (accounts here may share a password).
    const account = owners.find((a) => names.every((name) => a.hosts.includes(name)));
    if (account === undefined) return textReply("nohost", 404);
    const domain = `${account.username} ${[...domains][0]}`;
    const recent = (this.#recent.get(domain) ?? []).filter((t) => now - t < RATE_WINDOW_MS);
    if (recent.length >= RATE_LIMIT) {
      const seconds = Math.ceil((recent[0]! + RATE_WINDOW_MS - now) / 1000);
      return {
        ...textReply(`Request was throttled. Expected available in ${seconds} seconds.`, 429),
        headers: { "content-type": "text/plain", "retry-after": String(seconds) },
      };
    }
    const next: Partial<Record<"ipv4" | "ipv6", string | null>> = {};
    for (const family of ["ipv4", "ipv6"] as const) {
      const value = address(req.url, family, req.source);
      if (value === "invalid") return textReply(`IP parameter for ${family} is invalid.`, 400);
      if (value !== "preserve") next[family] = value;
    }
    this.#recent.set(domain, [...recent, now]);
    for (const name of names) this.#hosts.assign(account.username, name, next);
    return textReply("good");
  }

  /** Forgets the recent updates. */
  reset(): void {
    this.#recent.clear();
  }
}

/**
 * The `family` address a request asks for: the first of its parameters that is present
 * (`preserve`, empty: delete, or an address of the family), else the source address when it is of
 * the family, else a delete (null). A value of the other family is refused with the whole request
 * (the emulator's strictness: deSEC's docs do not say how `myip=1.2.3.4` reads for IPv6).
 */
function address(
  url: URL,
  family: "ipv4" | "ipv6",
  source: ParsedIp | null,
): string | null | "preserve" | "invalid" {
  const name = PARAMS[family].find((p) => url.searchParams.has(p));
  if (name === undefined) return source?.family === family ? source.address : null;
  const value = url.searchParams.get(name)!;
  if (value === "preserve") return "preserve";
  if (value === "") return null;
  const ip = parseIp(value);
  return ip?.family === family ? ip.address : "invalid";
}
