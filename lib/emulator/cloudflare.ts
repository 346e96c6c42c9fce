/**
 * Cloudflare's DNS records API (v4) under `/client/v4`, as strict as dnsbeat needs to be tested
 * against it: `GET /zones?name=`, `GET /zones/{id}/dns_records?type=&name=`,
 * `PATCH /zones/{id}/dns_records/{id}` with `{"content": …}`, every reply in Cloudflare's
 * `{"success", "errors", "messages", "result"}` envelope, an `Authorization: Bearer` token
 * checked on every call, and the rate limit ("1200 requests per five minute period per user ...
 * all API calls for the next five minutes will be blocked, receiving a HTTP 429",
 * https://developers.cloudflare.com/fundamentals/api/reference/limits).
 *
 * Error replies use the codes clients have seen (research/services.md §7): `6003` for a
 * malformed Authorization header, `9109` "Invalid access token", `10000` "Authentication error"
 * for a token without the permission or the zone, `81044` "Record does not exist.", `81058` "An
 * identical record already exists.". Which code Cloudflare gives for each missing permission is
 * not documented: the emulator's choice is `10000` for all. The codes of the other errors (a
 * 429's body, a malformed body, a wrong path or method) are the emulator's own: dnsbeat reads
 * the status of those, never their code.
 *
 * @module
 */
import { type IpFamily, parseIp } from "../net/ip.ts";
import type { Reply } from "./faults.ts";

/** One DNS record. */
export interface CloudflareRecord {
  /** Its id. */
  id: string;
  /** `A` or `AAAA` (other types are kept but never listed for dnsbeat's queries). */
  type: string;
  /** Its name, lower case. */
  name: string;
  /** Its content (an address for A and AAAA). */
  content: string;
  /** Its TTL in seconds; 1 is "automatic". */
  ttl: number;
  /** Whether Cloudflare proxies it. */
  proxied: boolean;
}

/** One zone of the account. */
export interface CloudflareZone {
  /** Its id (32 hexadecimal digits). */
  id: string;
  /** Its name, lower case. */
  name: string;
  /** Its records. */
  records: CloudflareRecord[];
}

/** An API token and what it may do. */
export interface CloudflareToken {
  /** The token, matched exactly. */
  token: string;
  /** How the emulator names it in its records (never the token). */
  label: string;
  /** The names of the zones it may see. */
  zones: string[];
  /** Zone · Zone · Read: it may list zones. */
  zoneRead: boolean;
  /** Zone · DNS · Edit: it may list and change records. */
  dnsEdit: boolean;
}

/** The Cloudflare part of the accounts file. */
export interface CloudflareAccount {
  /** The zones. */
  zones: CloudflareZone[];
  /** The tokens. */
  tokens: CloudflareToken[];
}

/** A request to `/client/v4/...`, as the endpoint needs it. */
export interface CloudflareCall {
  /** HTTP method. */
  method: string;
  /** The request URL. */
  url: URL;
  /** The `Authorization` header. */
  authorization: string | null;
  /** The body. */
  body: string;
  /** Now, epoch ms (for the rate limit). */
  now: number;
}

/** The path prefix of the API. */
export const CLOUDFLARE_PREFIX = "/client/v4/";

/** Requests a token may make in {@link LIMIT_WINDOW_MS} before it is blocked. */
const REQUEST_LIMIT = 1200;
/** The rate limit's window, and how long a token that exceeded it is blocked. */
const LIMIT_WINDOW_MS = 5 * 60_000;

const JSON_TYPE = { "content-type": "application/json" };

/** The state and rules of the Cloudflare endpoint. */
export class CloudflareServer {
  #account: CloudflareAccount;
  #zones: CloudflareZone[];
  #calls = new Map<string, number[]>();
  #blockedUntil = new Map<string, number>();

  /** A server for `account`, its records as the file gives them. */
  constructor(account: CloudflareAccount) {
    this.#account = account;
    this.#zones = structuredClone(account.zones);
  }

  /** The label of the token a request's `Authorization` header carries, or null. */
  label(authorization: string | null): string | null {
    return this.#token(authorization)?.label ?? null;
  }

  /** Answers one call. */
  handle(call: CloudflareCall): Reply {
    const scheme = /^Bearer ([\x21-\x7e]+)$/.exec(call.authorization ?? "");
    if (scheme === null) {
      return failure(400, [
        [6003, "Invalid request headers"],
        [6111, "Invalid format for Authorization header"],
      ]);
    }
    const token = this.#token(call.authorization);
    if (token === undefined) return failure(403, [[9109, "Invalid access token"]]);
    const limited = this.#limit(token.label, call.now);
    if (limited !== null) return limited;
    const path = call.url.pathname.slice(CLOUDFLARE_PREFIX.length).split("/");
    if (path.length === 1 && path[0] === "zones") {
      return call.method === "GET" ? this.#listZones(token, call.url) : notAllowed("GET");
    }
    if (path.length >= 3 && path[0] === "zones" && path[2] === "dns_records") {
      const zone = this.#zones.find((z) => z.id === path[1] && token.zones.includes(z.name));
      if (zone === undefined || !token.dnsEdit) {
        return failure(403, [[10000, "Authentication error"]]);
      }
      if (path.length === 3) {
        return call.method === "GET" ? listRecords(zone, call.url) : notAllowed("GET");
      }
      if (path.length === 4) {
        return call.method === "PATCH"
          ? patchRecord(zone, path[3]!, call.body)
          : notAllowed("PATCH");
      }
    }
    return failure(404, [[7003, "Could not route to " + call.url.pathname]]);
  }

  /** The record `name` of `type`, or null. */
  record(name: string, type: "A" | "AAAA"): CloudflareRecord | null {
    for (const zone of this.#zones) {
      const r = zone.records.find((r) => r.name === name.toLowerCase() && r.type === type);
      if (r) return structuredClone(r);
    }
    return null;
  }

  /** Every zone and its records now. */
  zones(): CloudflareZone[] {
    return structuredClone(this.#zones);
  }

  /** Back to the records of the file, no request counted. */
  reset(): void {
    this.#zones = structuredClone(this.#account.zones);
    this.#calls.clear();
    this.#blockedUntil.clear();
  }

  #token(authorization: string | null): CloudflareToken | undefined {
    const given = /^Bearer (.+)$/.exec(authorization ?? "")?.[1];
    return this.#account.tokens.find((t) => t.token === given);
  }

  /** Counts a call of `label`; a 429 once it made more than the limit in the window. */
  #limit(label: string, now: number): Reply | null {
    const until = this.#blockedUntil.get(label) ?? 0;
    if (now < until) return limited(until - now);
    const recent = (this.#calls.get(label) ?? []).filter((t) => now - t < LIMIT_WINDOW_MS);
    recent.push(now);
    this.#calls.set(label, recent);
    if (recent.length <= REQUEST_LIMIT) return null;
    this.#blockedUntil.set(label, now + LIMIT_WINDOW_MS);
    return limited(LIMIT_WINDOW_MS);
  }

  #listZones(token: CloudflareToken, url: URL): Reply {
    if (!token.zoneRead) return failure(403, [[10000, "Authentication error"]]);
    const name = url.searchParams.get("name")?.toLowerCase();
    const zones = this.#zones.filter((z) =>
      token.zones.includes(z.name) && (name === undefined || z.name === name)
    );
    return success(zones.map((z) => ({ id: z.id, name: z.name, status: "active" })));
  }
}

function listRecords(zone: CloudflareZone, url: URL): Reply {
  const type = url.searchParams.get("type");
  const name = url.searchParams.get("name")?.toLowerCase();
  return success(
    zone.records
      .filter((r) => (type === null || r.type === type) && (name === undefined || r.name === name))
      .map((r) => shown(zone, r)),
  );
}

function patchRecord(zone: CloudflareZone, id: string, body: string): Reply {
  const record = zone.records.find((r) => r.id === id);
  if (record === undefined) return failure(404, [[81044, "Record does not exist."]]);
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch {
    return failure(400, [[9207, "Request body is invalid."]]);
  }
  const content = typeof data === "object" && data !== null
    ? (data as Record<string, unknown>).content
    : undefined;
  const family: IpFamily | null = record.type === "A"
    ? "ipv4"
    : record.type === "AAAA"
    ? "ipv6"
    : null;
  const ip = typeof content === "string" ? parseIp(content) : null;
  if (family === null || ip === null || ip.family !== family) {
    return failure(400, [[9005, `Content for ${record.type} record is invalid.`]]);
  }
  const same = zone.records.find((r) =>
    r !== record && r.type === record.type && r.name === record.name && r.content === ip.address
  );
  if (same) return failure(400, [[81058, "An identical record already exists."]]);
  record.content = ip.address;
  return success(shown(zone, record));
}

function shown(zone: CloudflareZone, r: CloudflareRecord): Record<string, unknown> {
  return { ...r, zone_id: zone.id, zone_name: zone.name };
}

function success(result: unknown): Reply {
  return {
    status: 200,
    body: JSON.stringify({ success: true, errors: [], messages: [], result }),
    headers: JSON_TYPE,
  };
}

function failure(status: number, errors: [number, string][]): Reply {
  return {
    status,
    body: JSON.stringify({
      success: false,
      errors: errors.map(([code, message]) => ({ code, message })),
      messages: [],
      result: null,
    }),
    headers: JSON_TYPE,
  };
}

function limited(ms: number): Reply {
  const reply = failure(429, [[971, "Please wait and consider throttling your request speed"]]);
  return { ...reply, headers: { ...reply.headers, "retry-after": String(Math.ceil(ms / 1000)) } };
}

function notAllowed(allow: string): Reply {
  const reply = failure(405, [[10405, "Method not allowed for this endpoint"]]);
  return { ...reply, headers: { ...reply.headers, allow } };
}

/** Whether a reply of the API is one after which dnsbeat must send nothing until the user acts. */
export function isCloudflareStop(reply: Reply): boolean {
  return reply.status !== 429 && reply.status < 500 && !reply.body.startsWith('{"success":true');
}
