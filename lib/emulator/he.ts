/**
 * Hurricane Electric's `dyn.dns.he.net/nic/update`, served at `/he/nic/update`: the username is
 * the hostname and the password its key ("The username is also the hostname", dns.he.net's
 * docs as ddclient quotes them), one host and one address a request ("The IPv4 and IPv6
 * addresses must be updated in separate calls"), `good`/`nochg IP`, `badauth`, `nohost`,
 * `abuse`, and `interval` for a host updated more than 10 times in 2 minutes
 * (https://github.com/go-acme/lego/pull/1416). A host's key is its No-IP account's password.
 *
 * @module
 */
import { parseIp } from "../net/ip.ts";
import type { NoipAccount } from "./accounts.ts";
import type { Reply } from "./faults.ts";
import { basicCredentials, type NoipServer, type NoipUpdate, textReply } from "./noip.ts";

/** Updates of one host within {@link INTERVAL_WINDOW_MS} beyond which HE answers `interval`. */
const INTERVAL_LIMIT = 10;
/** The window of {@link INTERVAL_LIMIT}. */
const INTERVAL_WINDOW_MS = 2 * 60_000;

/** The rules of HE's endpoint over the hosts of a {@link NoipServer}. */
export class HeServer {
  #accounts: readonly NoipAccount[];
  #hosts: NoipServer;
  #recent = new Map<string, number[]>();

  /** HE's endpoint for `accounts`, keeping addresses in `hosts`. */
  constructor(accounts: readonly NoipAccount[], hosts: NoipServer) {
    this.#accounts = accounts;
    this.#hosts = hosts;
  }

  /**
   * Answers one update at `now`. Checks, in order: Basic auth (HTTP 401), one hostname, the
   * username being that hostname, the host, its key, a block, `interval`, the address (`myip`,
   * else the source). Two addresses in one request get HTTP 400: HE wants separate calls (the
   * emulator's strictness; what HE itself answers is not documented).
   */
  update(req: NoipUpdate, now: number): Reply {
    const credentials = basicCredentials(req.authorization);
    if (credentials === null) {
      return { ...textReply("badauth", 401), headers: { "www-authenticate": 'Basic realm="HE"' } };
    }
    const names = req.url.searchParams.get("hostname")?.split(",") ?? [];
    const name = names.length === 1 ? names[0]!.toLowerCase() : null;
    if (name === null) return textReply("nohost");
    if (credentials.username.toLowerCase() !== name) return textReply("badauth");
    const account = this.#accounts.find((a) => a.hosts.includes(name));
    if (account === undefined) return textReply("nohost");
    if (account.password !== credentials.password) return textReply("badauth");
    if (this.#hosts.blocked(account.username)) return textReply("abuse");
    const recent = (this.#recent.get(name) ?? []).filter((t) => now - t < INTERVAL_WINDOW_MS);
    if (recent.length >= INTERVAL_LIMIT) return textReply("interval");
    this.#recent.set(name, [...recent, now]);
    const myip = req.url.searchParams.get("myip");
    if (myip?.includes(",")) return textReply("one address per request", 400);
    const ip = (myip === null ? null : parseIp(myip)) ?? req.source;
    if (ip === null) return textReply("nohost");
    const changed = this.#hosts.assign(account.username, name, { [ip.family]: ip.address });
    return textReply(`${changed ? "good" : "nochg"} ${ip.address}`);
  }

  /** Forgets the recent updates. */
  reset(): void {
    this.#recent.clear();
  }
}
