/**
 * Cloudflare's DNS records API (v4) as one update of one record, step by step: find the zone of
 * the hostname, find its A or AAAA record, PATCH the record's `content`. Pure: each step is a
 * request to send ({@link requestOf}) and a reading of its reply ({@link advance}) that gives the
 * next step or how the update ended ({@link Outcome}); no network, no clock.
 *
 * What the API does, from Cloudflare's documentation and the clients that use it
 * (favonia/cloudflare-ddns, ddclient, ddns-updater; see the README's Cloudflare entry):
 *
 * - `Authorization: Bearer TOKEN`, the scheme Cloudflare prefers for API tokens
 *   (https://developers.cloudflare.com/api/go/resources/dns/subresources/records/methods/edit).
 * - `GET /zones?name=NAME` lists the zones of that name. Without a configured zone, the hostname
 *   and then each parent with at least two labels is asked, longest first (as favonia does):
 *   the first name that is a zone is the hostname's zone.
 * - `GET /zones/{zone}/dns_records?type=A&name=HOST` lists the host's records of a family.
 *   dnsbeat updates exactly one record and creates none: no record, or several, is the user's
 *   to fix.
 * - `PATCH /zones/{zone}/dns_records/{id}` with `{"content": IP}` changes only the address: the
 *   record's TTL, proxy status and comment stay as the user set them.
 * - Every reply is the envelope `{"success": bool, "errors": [{"code", "message"}], "result"}`.
 *   A record that already holds the address needs no PATCH: nothing is sent.
 * - "1200 requests per five minute period per user ... all API calls for the next five minutes
 *   will be blocked, receiving a HTTP 429", with a `retry-after` header
 *   (https://developers.cloudflare.com/fundamentals/api/reference/limits). HTTP 429 and 5xx
 *   wait at least 30 minutes, longer when `Retry-After` says so; every other error stops the
 *   provider until the user acts (a bad token, a missing permission, no such zone or record).
 *
 * @module
 */
import { MINUTE, SECOND } from "../../config/duration.ts";
import type { IpFamily } from "../../net/ip.ts";
import { parseIp, unmapIp } from "../../net/ip.ts";
import { createRedactor, type Redactor } from "../../log/redact.ts";
import { quoted, snippet } from "../../log/snippet.ts";

/** Cloudflare's API base. */
export const API_BASE = "https://api.cloudflare.com/client/v4";

/**
 * Cloudflare's hosts that other clients detect the address at (`/cdn-cgi/trace`, DNS over HTTPS:
 * favonia/cloudflare-ddns, inadyn; research/services.md §7): off limits while a Cloudflare
 * provider is stopped, as No-IP's are for No-IP (dnsbeat's rule, not Cloudflare's).
 */
export const CLOUDFLARE_DETECTION: readonly string[] = [
  "cloudflare.com",
  "cloudflareclient.com",
  "one.one.one.one",
  "cloudflare-dns.com",
  "1.1.1.1",
  "1.0.0.1",
];

/** The shortest wait after HTTP 429 or 5xx (Cloudflare's own block after 429 is 5 minutes). */
export const SERVER_WAIT_MS: number = 30 * MINUTE;

/** A zone id as Cloudflare writes it: 32 hexadecimal digits. */
const ZONE_ID = /^[0-9a-f]{32}$/;

/** One update: set `hostname`'s record of `family` to `ip`. */
export interface Job {
  /** The API base, e.g. {@link API_BASE}. */
  server: string;
  /** The API token; it travels only in the `Authorization` header. */
  token: string;
  /** The record's name. */
  hostname: string;
  /** A (`ipv4`) or AAAA (`ipv6`). */
  family: IpFamily;
  /** The address to set, canonical. */
  ip: string;
  /** The zone as the config gives it (a name or a zone id); null: found from the hostname. */
  zone: string | null;
  /** The User-Agent of every request. */
  userAgent: string;
}

/** Where an update is. */
export type Step =
  /** Asking whether `names[index]` is a zone. */
  | { kind: "zone"; names: string[]; index: number }
  /** Listing the host's records of the family in zone `zoneId`. */
  | { kind: "record"; zoneId: string }
  /** Setting the record `recordId` of zone `zoneId` (`was`: the address it held). */
  | { kind: "patch"; zoneId: string; recordId: string; was: string };

/** An HTTP request, ready for fetch. */
export interface ApiRequest {
  /** `GET` or `PATCH`. */
  method: "GET" | "PATCH";
  /** The URL; it holds no secret. */
  url: string;
  /** The headers, the token among them. */
  headers: Record<string, string>;
  /** The JSON body, or null. */
  body: string | null;
}

/** A reply as the network gave it. */
export interface ApiReply {
  /** HTTP status. */
  status: number;
  /** The body. */
  body: string;
  /** The `Retry-After` header, if any. */
  retryAfter?: string | null;
}

/** How an update ended. */
export type Outcome =
  /** The record now holds the address (it held `was`). */
  | { kind: "updated"; was: string }
  /** The record already held the address: nothing was sent to change it. */
  | { kind: "nochange" }
  /** Nothing more until the user acts: `code` names why, `detail` says what Cloudflare said. */
  | { kind: "stop"; code: string; detail: string }
  /** No request for `waitMs`: Cloudflare is busy or failing. */
  | { kind: "wait"; code: string; waitMs: number; detail: string };

/** What a reply leads to: the next step, or the end. */
export type Advance = { kind: "next"; step: Step } | Outcome;

/**
 * The zone names to ask for `hostname`: the configured zone name alone, or the hostname and each
 * parent with at least two labels, longest first (`a.b.example.com`, `b.example.com`,
 * `example.com`).
 */
export function zoneNames(hostname: string, zone: string | null): string[] {
  if (zone !== null) return [zone.toLowerCase()];
  const labels = hostname.toLowerCase().split(".");
  const out: string[] = [];
  for (let i = 0; i + 2 <= labels.length; i++) out.push(labels.slice(i).join("."));
  return out;
}

/** Whether `zone` is a zone id rather than a zone name. */
export function isZoneId(zone: string): boolean {
  return ZONE_ID.test(zone);
}

/** The first step of `job`: a configured zone id needs no look-up. */
export function firstStep(job: Job): Step {
  if (job.zone !== null && isZoneId(job.zone)) return { kind: "record", zoneId: job.zone };
  return { kind: "zone", names: zoneNames(job.hostname, job.zone), index: 0 };
}

/** The record type of `family`. */
export function recordType(family: IpFamily): "A" | "AAAA" {
  return family === "ipv4" ? "A" : "AAAA";
}

/** The request of `step`. */
export function requestOf(job: Job, step: Step): ApiRequest {
  const base = job.server.replace(/\/+$/, "");
  const headers: Record<string, string> = {
    "Authorization": `Bearer ${job.token}`,
    "User-Agent": job.userAgent,
  };
  switch (step.kind) {
    case "zone":
      return {
        method: "GET",
        url: `${base}/zones?${new URLSearchParams({ name: step.names[step.index]! })}`,
        headers,
        body: null,
      };
    case "record":
      return {
        method: "GET",
        url: `${base}/zones/${encodeURIComponent(step.zoneId)}/dns_records?${new URLSearchParams({
          type: recordType(job.family),
          name: job.hostname.toLowerCase(),
        })}`,
        headers,
        body: null,
      };
    case "patch":
      return {
        method: "PATCH",
        url: `${base}/zones/${encodeURIComponent(step.zoneId)}/dns_records/${
          encodeURIComponent(step.recordId)
        }`,
        headers: { ...headers, "Content-Type": "application/json" },
        body: JSON.stringify({ content: job.ip }),
      };
  }
}

/**
 * What the reply to `step` means. `mask` hides the token in anything quoted from the reply.
 *
 * - HTTP 429 and 5xx wait ({@link SERVER_WAIT_MS}, or `Retry-After` seconds when longer).
 * - A reply that is not Cloudflare's envelope stops (`unreadable`); so does `success: false` or
 *   any other status outside 2xx, by the first error's code (`9109`, `10000`, `81044`, ...).
 * - `zone`: no zone of the name asks the next name; none left stops (`no-zone`); several stop.
 * - `record`: one record, holding the address: no change; another address: its PATCH next. None
 *   (`no-record`), several (`several-records`) or one without an address stop.
 * - `patch`: the record's new content; `81058` ("An identical record already exists") is no
 *   change.
 */
export function advance(job: Job, step: Step, reply: ApiReply, mask: Redactor): Advance {
  const read = envelope(reply, mask);
  if (read.kind !== "ok") {
    if (step.kind === "patch" && read.kind === "stop" && read.code === "81058") {
      return { kind: "nochange" };
    }
    return read;
  }
  switch (step.kind) {
    case "zone":
      return zoneReply(job, step, read.result);
    case "record":
      return recordReply(job, step, read.result);
    case "patch":
      return patchReply(job, step, read.result);
  }
}

function zoneReply(job: Job, step: Extract<Step, { kind: "zone" }>, result: unknown): Advance {
  const name = step.names[step.index]!;
  if (!Array.isArray(result)) return unreadable("the zone list has no result list");
  const ids = result.flatMap((z) =>
    isObject(z) && typeof z.id === "string" && z.id !== "" &&
      (typeof z.name !== "string" || z.name.toLowerCase() === name) && z.status !== "deleted"
      ? [z.id]
      : []
  );
  if (ids.length === 1) return { kind: "next", step: { kind: "record", zoneId: ids[0]! } };
  if (ids.length > 1) {
    return stop("several-zones", `the token sees ${ids.length} zones named ${name}`);
  }
  if (step.index + 1 < step.names.length) {
    return { kind: "next", step: { ...step, index: step.index + 1 } };
  }
  return stop(
    "no-zone",
    job.zone === null
      ? `the token sees no zone that ${job.hostname} belongs to (asked for ${
        step.names.join(", ")
      })`
      : `the token sees no zone named ${job.zone}`,
  );
}

function recordReply(job: Job, step: Extract<Step, { kind: "record" }>, result: unknown): Advance {
  const type = recordType(job.family);
  if (!Array.isArray(result)) return unreadable("the record list has no result list");
  const records = result.filter((r) =>
    isObject(r) && (r.type === undefined || r.type === type) &&
    (typeof r.name !== "string" || r.name.toLowerCase() === job.hostname.toLowerCase())
  ) as Record<string, unknown>[];
  if (records.length === 0) {
    return stop("no-record", `the zone has no ${type} record named ${job.hostname}`);
  }
  if (records.length > 1) {
    return stop(
      "several-records",
      `the zone has ${records.length} ${type} records named ${job.hostname}, and dnsbeat updates exactly one`,
    );
  }
  const record = records[0]!;
  const content = typeof record.content === "string" ? canonical(record.content) : null;
  if (typeof record.id !== "string" || record.id === "" || content === null) {
    return unreadable(`the ${type} record of ${job.hostname} has no id or no address`);
  }
  if (content === job.ip) return { kind: "nochange" };
  return {
    kind: "next",
    step: { kind: "patch", zoneId: step.zoneId, recordId: record.id, was: content },
  };
}

function patchReply(job: Job, step: Extract<Step, { kind: "patch" }>, result: unknown): Advance {
  const content = isObject(result) && typeof result.content === "string"
    ? canonical(result.content)
    : null;
  if (content === null) return unreadable("the updated record has no address");
  if (content !== job.ip) {
    return stop(
      "other-address",
      `Cloudflare says the record now holds ${content}, not the ${job.ip} dnsbeat sent`,
    );
  }
  return { kind: "updated", was: step.was };
}

/** The reply's `result` when it is a success, else how the update ends. */
function envelope(
  reply: ApiReply,
  mask: Redactor,
): { kind: "ok"; result: unknown } | Extract<Outcome, { kind: "stop" | "wait" }> {
  const { status } = reply;
  if (status === 429 || (status >= 500 && status < 600)) {
    const said = snippet(reply.body, mask);
    return {
      kind: "wait",
      code: status === 429 ? "http429" : "http5xx",
      waitMs: Math.max(SERVER_WAIT_MS, retryAfterMs(reply.retryAfter ?? null)),
      detail: `HTTP ${status}${said ? `: ${JSON.stringify(said)}` : ""}`,
    };
  }
  let data: unknown;
  try {
    data = JSON.parse(reply.body);
  } catch {
    data = undefined;
  }
  if (!isObject(data) || typeof data.success !== "boolean") {
    const said = snippet(reply.body, mask);
    return stop(
      "unreadable",
      `HTTP ${status}, not Cloudflare's JSON reply${said ? `: ${quoted(reply.body, mask)}` : ""}`,
    );
  }
  if (data.success && status >= 200 && status < 300) return { kind: "ok", result: data.result };
  const errors = Array.isArray(data.errors) ? data.errors.filter(isObject) : [];
  const first = errors[0];
  const code = typeof first?.code === "number" || typeof first?.code === "string"
    ? String(first.code)
    : `http${status}`;
  const messages = errors.flatMap((e) =>
    typeof e.message === "string" ? [`${e.code ?? "?"} ${e.message}`] : []
  );
  const text = messages.length > 0 ? snippet(messages.join("; "), mask) : "";
  return stop(code, `HTTP ${status}${text ? `: ${JSON.stringify(text)}` : ""}`);
}

/** `Retry-After` in ms: whole seconds; anything else (an HTTP date) counts as none. */
export function retryAfterMs(header: string | null): number {
  if (header === null || !/^\s*\d+\s*$/.test(header)) return 0;
  return Number(header.trim()) * SECOND;
}

/** An address as dnsbeat compares it (canonical, IPv4-mapped read as IPv4); null if none. */
function canonical(text: string): string | null {
  const ip = parseIp(text.trim());
  return ip === null ? null : unmapIp(ip).address;
}

function stop(code: string, detail: string): Extract<Outcome, { kind: "stop" }> {
  return { kind: "stop", code, detail };
}

function unreadable(what: string): Extract<Outcome, { kind: "stop" }> {
  return stop("unreadable", `${what}, not what Cloudflare's API answers`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** What masks a reply for this token: the token in every form a server may echo it. */
export function maskOf(token: string): Redactor {
  return createRedactor([token]);
}
