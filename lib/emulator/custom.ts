/**
 * A generic one-URL update endpoint, `GET` or `POST /custom/update`, for `custom` providers: the
 * shape many services share (DuckDNS's, dynv6's). The account is a No-IP account of the emulator:
 * Basic auth with its username and password, or a `token` parameter (or `Authorization: Bearer`)
 * that is its password. Parameters come in the query, or in a form or JSON body: `hostname`
 * (several joined by `,`), `ip`, `ipv4`, `ipv6` (none: the request's source address). Replies are
 * HTTP 200 with text: `OK` (updated), `NOCHANGE` (already so), `KO badauth`, `KO nohost`.
 *
 * @module
 */
import { type ParsedIp, parseIp } from "../net/ip.ts";
import type { NoipAccount } from "./accounts.ts";
import type { Reply } from "./faults.ts";
import { basicCredentials } from "./noip.ts";

/** A request to `/custom/update`, as the endpoint needs it. */
export interface CustomUpdate {
  /** The request URL. */
  url: URL;
  /** The `Authorization` header. */
  authorization: string | null;
  /** The `Content-Type` header. */
  contentType: string | null;
  /** The body ("" for a GET). */
  body: string;
  /** The request's public source address, or null if it has none. */
  source: ParsedIp | null;
}

/** One host as the endpoint sees it. */
export interface CustomHostState {
  /** Its IPv4 address. */
  ipv4: string | null;
  /** Its IPv6 address. */
  ipv6: string | null;
}

const TEXT = { "content-type": "text/plain; charset=utf-8" };

/** The state and rules of the generic endpoint. */
export class CustomServer {
  #accounts: readonly NoipAccount[];
  #hosts = new Map<string, CustomHostState>();

  /** A server for `accounts`, every host without an address. */
  constructor(accounts: readonly NoipAccount[]) {
    this.#accounts = accounts;
  }

  /** The account a request authenticates as, or null. */
  account(
    req: Pick<CustomUpdate, "url" | "authorization" | "contentType" | "body">,
  ): NoipAccount | null {
    const basic = basicCredentials(req.authorization);
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.authorization ?? "")?.[1];
    const token = bearer ?? params(req).get("token");
    return this.#accounts.find((a) =>
      basic ? a.username === basic.username && a.password === basic.password : a.password === token
    ) ?? null;
  }

  /** The hostnames a request names. */
  hostnames(req: Pick<CustomUpdate, "url" | "contentType" | "body">): string[] {
    return (params(req).get("hostname") ?? "").split(",").filter((h) => h !== "");
  }

  /** Answers one update request and records its effect. */
  update(req: CustomUpdate): Reply {
    const reply = (body: string): Reply => ({ status: 200, body, headers: TEXT });
    const account = this.account(req);
    if (account === null) return reply("KO badauth");
    const hosts = this.hostnames(req).map((h) => h.toLowerCase());
    if (hosts.length === 0 || hosts.some((h) => !account.hosts.includes(h))) {
      return reply("KO nohost");
    }
    const p = params(req);
    const given = [p.get("ip"), p.get("ipv4"), p.get("ipv6")].flatMap((text) => {
      const ip = text ? parseIp(text) : null;
      return ip ? [ip] : [];
    });
    const ips = given.length > 0 ? given : req.source ? [req.source] : [];
    let changed = false;
    for (const host of hosts) {
      const state = this.#hosts.get(host) ?? { ipv4: null, ipv6: null };
      for (const ip of ips) {
        if (state[ip.family] !== ip.address) changed = true;
        state[ip.family] = ip.address;
      }
      this.#hosts.set(host, state);
    }
    return reply(changed ? "OK" : "NOCHANGE");
  }

  /**
   * Sets the addresses of host `name` (lower case) that `next` names; whether one changed (the
   * built-in one-URL services of `urls.ts` keep their hosts here too).
   */
  assign(name: string, next: Partial<Record<"ipv4" | "ipv6", string>>): boolean {
    const state = this.#hosts.get(name) ?? { ipv4: null, ipv6: null };
    let changed = false;
    for (const family of ["ipv4", "ipv6"] as const) {
      const ip = next[family];
      if (ip === undefined) continue;
      changed ||= state[family] !== ip;
      state[family] = ip;
    }
    this.#hosts.set(name, state);
    return changed;
  }

  /** The state of host `name` (any case). */
  host(name: string): CustomHostState {
    return { ...(this.#hosts.get(name.toLowerCase()) ?? { ipv4: null, ipv6: null }) };
  }

  /** Forgets every address. */
  reset(): void {
    this.#hosts.clear();
  }
}

/** Whether a reply of the endpoint refuses the update. */
export function isCustomStop(body: string): boolean {
  return body.startsWith("KO");
}

/** The parameters of a request: its query, and those of a form or JSON body. */
function params(req: Pick<CustomUpdate, "url" | "contentType" | "body">): URLSearchParams {
  const out = new URLSearchParams(req.url.search);
  const type = req.contentType?.toLowerCase() ?? "";
  if (type.startsWith("application/x-www-form-urlencoded")) {
    for (const [k, v] of new URLSearchParams(req.body)) out.set(k, v);
  } else if (type.startsWith("application/json")) {
    try {
      const json = JSON.parse(req.body);
      if (typeof json === "object" && json !== null) {
        for (const [k, v] of Object.entries(json)) if (typeof v === "string") out.set(k, v);
      }
    } catch {
      // Not JSON: no parameters from it.
    }
  }
  return out;
}
