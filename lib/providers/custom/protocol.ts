/**
 * The protocol of a service that updates with one HTTP request ({@link Wire}): the request built
 * from its template, the reply read by its regular expressions. Pure: no network, no clock.
 *
 * A reply is read as No-IP's rules read theirs: only a success schedules more updates. HTTP 2xx
 * is read by the body: `nochange` first, then `success`, then `wait`; a body none of them
 * matches stops the provider until the user acts. HTTP 429 and 5xx wait at least 30 minutes
 * (a success in a failed reply is not believed); every other status stops. One reply answers
 * every host its request named.
 *
 * @module
 */
import { MINUTE } from "../../config/duration.ts";
import type { Redactor } from "../../log/redact.ts";
import { quoted, snippet } from "../../log/snippet.ts";
import {
  type FieldValues,
  renderForm,
  renderHeader,
  renderText,
  renderUrl,
  type Template,
} from "../../notify/template.ts";
import type { Addresses } from "../../state/mod.ts";
import type { UpdateHttp } from "../dyndns2/account.ts";
import type { Outcome, ReplyCode } from "../dyndns2/protocol.ts";
import type { Wire } from "./service.ts";

/** What one request sends: its hosts, its addresses and the account's credentials. */
export interface CustomRequest {
  /** The hostnames it names. */
  hostnames: readonly string[];
  /** The addresses it sends. */
  addresses: Addresses;
  /** The account's username ("" when none). */
  username: string;
  /** Its password ("" when none). */
  password: string;
  /** Its token ("" when none). */
  token: string;
  /** The User-Agent, unless the service's headers name another. */
  userAgent: string;
}

/**
 * The HTTP request of an update; each hostname without the service's own domain where it wants
 * that ({@link Wire.hostSuffix}). Each value is written as where it stands needs: percent-encoded
 * in the URL and in a form body, escaped inside a JSON string, on one line in a header (see
 * `notify/template.ts`). A URL's `{{username}}:{{password}}@` becomes HTTP Basic auth, since
 * fetch refuses credentials in a URL.
 */
export function buildRequest(wire: Wire, r: CustomRequest): UpdateHttp {
  const suffix = wire.hostSuffix.toLowerCase();
  const bare = (host: string) =>
    suffix !== "" && host.toLowerCase().endsWith(suffix) ? host.slice(0, -suffix.length) : host;
  const values: FieldValues = {
    hostname: r.hostnames.map(bare).join(wire.hostList ?? ","),
    ip: r.addresses.ipv4 ?? r.addresses.ipv6 ?? "",
    ipv4: r.addresses.ipv4 ?? "",
    ipv6: r.addresses.ipv6 ?? "",
    username: r.username,
    password: r.password,
    token: r.token,
  };
  const headers: Record<string, string> = { "User-Agent": r.userAgent };
  for (const [name, value] of wire.headers) {
    if (name.toLowerCase() === "user-agent") delete headers["User-Agent"];
    headers[name] = renderHeader(value, values);
  }
  if (wire.userinfo !== null) {
    const credentials = renderText(wire.userinfo, values);
    headers["Authorization"] = `Basic ${base64(credentials)}`;
  }
  const request: UpdateHttp = { url: renderUrl(wire.url, values), method: wire.method, headers };
  if (wire.body !== null) request.body = renderBody(wire.body.template, wire.body.kind, values);
  return request;
}

function renderBody(template: Template, kind: "form" | "json" | "text", values: FieldValues) {
  if (kind === "form") return renderForm(template, values);
  if (kind === "text") return renderText(template, values);
  const escaped = Object.fromEntries(
    Object.entries(values).map(([k, v]) => [k, JSON.stringify(String(v ?? "")).slice(1, -1)]),
  );
  return renderText(template, escaped);
}

/** How long nothing is sent after a `wait` reply, HTTP 429 or HTTP 5xx. */
export const WAIT_MS: number = 30 * MINUTE;

const FIX_REPLY = "Check the reply above against `success` (and `nochange`, `wait`) of this " +
  "provider in the config, and the service's documentation";
const WAIT_TEXT = `Nothing to do: dnsbeat tries again in ${WAIT_MS / MINUTE} minutes`;

/** What dnsbeat makes of a reply, as codes: their meaning and what to do. */
export const CODES: readonly ReplyCode[] = [
  {
    code: "good",
    class: "success",
    scope: "host",
    synthetic: true,
    meaning: "the reply matched `success`: the host now points to the address",
    fix: "Nothing to do",
  },
  {
    code: "nochg",
    class: "success",
    scope: "host",
    synthetic: true,
    meaning: "the reply matched `nochange`: the host already pointed to the address",
    fix: "Nothing to do: dnsbeat sends again only when the address changes",
  },
  {
    code: "wait",
    class: "wait",
    scope: "account",
    synthetic: true,
    meaning: "the reply matched `wait`: the service has trouble",
    fix: WAIT_TEXT,
  },
  {
    code: "http429",
    class: "wait",
    scope: "account",
    synthetic: true,
    meaning: "the server asks for fewer requests (HTTP 429)",
    fix: `${WAIT_TEXT}; if it keeps happening, make sure no other client updates the same hosts`,
  },
  {
    code: "http5xx",
    class: "wait",
    scope: "account",
    synthetic: true,
    meaning: "the server failed (HTTP 5xx)",
    fix: WAIT_TEXT,
  },
  {
    code: "http401",
    class: "stop",
    scope: "account",
    synthetic: true,
    meaning: "the server refused the credentials (HTTP 401)",
    fix: "Fix the credentials of this provider in the config (`username`, `password`, `token` " +
      "and their File and Env forms)",
  },
  {
    code: "http403",
    class: "stop",
    scope: "account",
    synthetic: true,
    meaning: "the server refused the request (HTTP 403)",
    fix: "Fix the credentials of this provider in the config, or the hosts it may update",
  },
  {
    code: "http404",
    class: "stop",
    scope: "account",
    synthetic: true,
    meaning: "the server has no update service at this address (HTTP 404)",
    fix: "Fix `url` of this provider in the config",
  },
  {
    code: "http4xx",
    class: "stop",
    scope: "account",
    synthetic: true,
    meaning: "the server rejected the request (HTTP 4xx)",
    fix: "Fix `url` (and `method`, `headers`, `body`) of this provider in the config",
  },
  {
    code: "unrecognised",
    class: "stop",
    scope: "account",
    synthetic: true,
    meaning: "the reply matched neither `success` nor `nochange` nor `wait` (the service refused " +
      "the update, or a proxy or a login page answered in its place)",
    fix: FIX_REPLY,
  },
];

/** The row of `code` in {@link CODES} (an unknown code: `unrecognised`'s). */
export function codeOf(code: string): ReplyCode {
  return CODES.find((row) => row.code === code) ?? CODES.at(-1)!;
}

/**
 * What a reply means for each of `hostnames` (all alike: one reply answers the request).
 * A success confirms the addresses sent (`addresses`): the service's reply names none that
 * dnsbeat reads. `mask` is applied to reply text before it is quoted in a detail.
 */
export function readReply(
  wire: Wire,
  reply: { status: number; body: string },
  hostnames: readonly string[],
  addresses: Addresses,
  mask: Redactor,
): Outcome[] {
  const outcome = read(wire, reply, addresses, mask);
  return hostnames.map(() => outcome);
}

function read(
  wire: Wire,
  { status, body }: { status: number; body: string },
  addresses: Addresses,
  mask: Redactor,
): Outcome {
  const ips = [addresses.ipv4, addresses.ipv6].filter((ip): ip is string => ip !== null);
  const detail = (prefix: string) =>
    snippet(body, mask) ? `${prefix}${prefix ? ": " : ""}${quoted(body, mask)}` : prefix;
  if (status >= 200 && status < 300) {
    if (wire.nochange?.test(body)) return { kind: "success", code: "nochg", ips };
    if (wire.success.test(body)) return { kind: "success", code: "good", ips };
    if (wire.wait?.test(body)) return waiting("wait", detail(""));
    return stop("unrecognised", detail(`HTTP ${status}`));
  }
  if (status === 429) return waiting("http429", detail("HTTP 429"));
  if (status >= 500 && status < 600) return waiting("http5xx", detail(`HTTP ${status}`));
  if (status === 401 || status === 403 || status === 404) {
    return stop(`http${status}`, detail(`HTTP ${status}`));
  }
  if (status >= 400 && status < 500) return stop("http4xx", detail(`HTTP ${status}`));
  return stop("unrecognised", detail(`HTTP ${status}`));
}

function waiting(code: string, detail: string): Outcome {
  return { kind: "wait", code, scope: "account", waitMs: WAIT_MS, ...(detail ? { detail } : {}) };
}

function stop(code: string, detail: string): Outcome {
  return { kind: "stop", code, scope: "account", ...(detail ? { detail } : {}) };
}

function base64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  return btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(""));
}
