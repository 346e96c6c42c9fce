/**
 * A service that updates with one HTTP request, as data: the request as a template, the words of
 * its reply as regular expressions, the detection hosts its stop puts off limits and where its
 * documentation is. `"type": "custom"` reads one from the config (`config.ts`); a built-in service
 * is a fixed one. {@link compileService} checks one and turns it into the {@link Wire} the
 * protocol (`protocol.ts`) speaks.
 *
 * @module
 */
import { parseTemplate, type Template } from "../../notify/template.ts";
import type { IpFamily } from "../../net/ip.ts";

/** What dnsbeat needs to know of a service that updates with one HTTP request. */
export interface UrlService {
  /** Its name in messages (for `custom`: the URL's host). */
  readonly label: string;
  /**
   * The request's URL, `http://` or `https://`, with placeholders ({@link URL_FIELDS}) in its
   * path, query and userinfo; `{{username}}:{{password}}@` there is sent as HTTP Basic auth.
   */
  readonly url: string;
  /** The method (default `GET`). */
  readonly method?: string;
  /** Request headers, each value a template. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The body, a template (its values written as its `Content-Type` header says). */
  readonly body?: string;
  /** A reply body this regular expression matches is a success. */
  readonly success: string;
  /** A reply body this matches is a success that changed nothing (checked before `success`). */
  readonly nochange?: string;
  /** A reply body this matches is server trouble: no request for at least 30 minutes. */
  readonly wait?: string;
  /**
   * When one request may name several hosts: `{{hostname}}` is them all, joined by this text.
   * Absent: one request per hostname.
   */
  readonly hostList?: string;
  /**
   * The service's own domain, which its requests leave off the hostnames (DuckDNS wants
   * `myhome` for `myhome.duckdns.org`); the config still gives each name in full.
   */
  readonly hostSuffix?: string;
  /** The address families its request can update (default both). */
  readonly families?: readonly IpFamily[];
  /** The domains of its own address-detection service, off limits while it is stopped. */
  readonly detection: readonly string[];
  /** Its documentation, for messages; null when there is none to point to. */
  readonly docs: string | null;
}

/** The placeholders of a URL, a header and a body. */
const URL_FIELDS = [
  "hostname",
  "ip",
  "ipv4",
  "ipv6",
  "username",
  "password",
  "token",
] as const;

/** How a body's values are written: as form fields, inside JSON strings, or as they are. */
export type BodyKind = "form" | "json" | "text";

/** A service, checked and ready to speak: what `protocol.ts` builds requests and reads replies by. */
export interface Wire {
  /** The URL without its userinfo. */
  url: Template;
  /** The userinfo (`{{username}}:{{password}}`), sent as Basic auth; null when none. */
  userinfo: Template | null;
  /** The method, upper case. */
  method: string;
  /** The headers, each value a template. */
  headers: [string, Template][];
  /** The body; null when none. */
  body: { template: Template; kind: BodyKind } | null;
  /** The success reply. */
  success: RegExp;
  /** The success reply that changed nothing; null when the service has none. */
  nochange: RegExp | null;
  /** The server-trouble reply; null when the service has none. */
  wait: RegExp | null;
  /** The text joining several hosts in one request; null: one request per hostname. */
  hostList: string | null;
  /** The domain a request leaves off each hostname ("" when none). */
  hostSuffix: string;
  /** Whether the request sends one address, `{{ip}}`: a request per family then. */
  oneFamily: boolean;
  /** The placeholders it uses anywhere. */
  uses: ReadonlySet<string>;
}

/** A problem of a service: the field it is in, and what is wrong (never a value). */
export interface ServiceProblem {
  /** `url`, `headers.NAME`, `body`, `success`, ... */
  field: string;
  /** What is wrong. */
  problem: string;
}

const METHODS = ["GET", "POST", "PUT", "PATCH"];
const USERINFO = /^(https?:\/\/)([^/?#@]*)@/i;

/** Checks `service`; its {@link Wire}, or every problem found. */
export function compileService(
  service: UrlService,
): { ok: true; wire: Wire } | { ok: false; problems: ServiceProblem[] } {
  const problems: ServiceProblem[] = [];
  const uses = new Set<string>();
  const template = (field: string, source: string): Template | null => {
    const parsed = parseTemplate(source, URL_FIELDS);
    if (!parsed.ok) {
      for (const problem of parsed.problems) problems.push({ field, problem });
      return null;
    }
    for (const part of parsed.template.parts) if (part.kind === "field") uses.add(part.name);
    return parsed.template;
  };
  const info = USERINFO.exec(service.url);
  const url = template("url", info ? info[1] + service.url.slice(info[0].length) : service.url);
  const userinfo = info ? template("url", info[2]!) : null;
  if (url !== null) {
    const problem = urlProblem(url);
    if (problem) problems.push({ field: "url", problem });
  }
  const method = (service.method ?? "GET").toUpperCase();
  if (!METHODS.includes(method)) {
    problems.push({ field: "method", problem: `expected one of ${METHODS.join(", ")}` });
  }
  const headers: [string, Template][] = [];
  for (const [name, value] of Object.entries(service.headers ?? {})) {
    if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
      problems.push({ field: "headers", problem: "a header name has characters HTTP forbids" });
      continue;
    }
    const t = template(`headers.${name}`, value);
    if (t) headers.push([name, t]);
  }
  let body: Wire["body"] = null;
  if (service.body !== undefined) {
    const t = template("body", service.body);
    if (method === "GET") {
      problems.push({ field: "body", problem: 'a GET has no body: set "method" to "POST"' });
    }
    if (t) body = { template: t, kind: bodyKind(headers) };
  }
  const regex = (field: string, source: string | undefined): RegExp | null => {
    if (source === undefined) return null;
    try {
      return new RegExp(source);
    } catch {
      problems.push({ field, problem: "not a valid regular expression" });
      return null;
    }
  };
  const success = regex("success", service.success);
  const nochange = regex("nochange", service.nochange);
  const wait = regex("wait", service.wait);
  if (success !== null && success.test("")) {
    problems.push({
      field: "success",
      problem: "matches an empty reply: make it match the words of a success only",
    });
  }
  if (service.hostList === "") {
    problems.push({ field: "hostList", problem: 'expected the text joining hostnames, like ","' });
  }
  if (problems.length > 0 || url === null || success === null) return { ok: false, problems };
  return {
    ok: true,
    wire: {
      url,
      userinfo,
      method,
      headers,
      body,
      success,
      nochange,
      wait,
      hostList: service.hostList ?? null,
      hostSuffix: service.hostSuffix ?? "",
      oneFamily: uses.has("ip"),
      uses,
    },
  };
}

/** Why a URL template cannot be sent: not http(s), or placeholders where the server is named. */
function urlProblem(url: Template): string | null {
  const first = url.parts[0];
  const lead = first?.kind === "text" ? first.text : "";
  const origin = /^(https?):\/\/([^/?#]+)(?=[/?#]|$)/i.exec(lead);
  if (origin === null) {
    return 'expected an http:// or https:// URL whose server is written out, like "https://dyn.example.org/update?host={{hostname}}"';
  }
  try {
    new URL(`${origin[0]}/`);
  } catch {
    return "its server is not a valid host name or address";
  }
  return null;
}

/** A body's kind, by its `Content-Type` header (none: text). */
function bodyKind(headers: readonly [string, Template][]): BodyKind {
  const type = headers.find(([name]) => name.toLowerCase() === "content-type")?.[1];
  const text = type?.parts.map((p) => p.kind === "text" ? p.text : "").join("").toLowerCase() ??
    "";
  if (text.startsWith("application/x-www-form-urlencoded")) return "form";
  if (/^application\/([a-z.+-]*\+)?json/.test(text)) return "json";
  return "text";
}

/** The server a URL template names (`https://dyn.example.org`), or "" when it names none. */
export function originOf(url: string): string {
  const match = /^(https?):\/\/(?:[^/?#@]*@)?([^/?#]+)/i.exec(url);
  if (!match) return "";
  try {
    return new URL(`${match[1]}://${match[2]}/`).origin;
  } catch {
    return "";
  }
}

/**
 * A URL template as `check` shows it: placeholders as written, and every literal that may be a
 * secret as `***` (userinfo, query values, and path segments that look like a token).
 */
export function shownUrl(url: string): string {
  const [head, query] = splitOnce(
    url.replace(
      USERINFO,
      (all, scheme, info) => /^(\{\{[A-Za-z0-9]+\}\}:?)+$/.test(info) ? all : `${scheme}***@`,
    ),
    "?",
  );
  const path = head.replace(
    /(?<=[^/]\/)([^/]*)/g,
    (segment) => mayBeToken(segment) ? "***" : segment,
  );
  if (query === null) return path;
  const fields = query.split("&").map((field) => {
    const [name, value] = splitOnce(field, "=");
    if (value === null) return mayBeToken(name) ? "***" : name;
    return `${name}=${value === "" || templated(value) || SWITCH.test(value) ? value : "***"}`;
  });
  return `${path}?${fields.join("&")}`;
}

/** A query value that is a switch, never a secret: shown. */
const SWITCH = /^(true|false|yes|no|on|off|0|1)$/i;

function splitOnce(text: string, at: string): [string, string | null] {
  const i = text.indexOf(at);
  return i < 0 ? [text, null] : [text.slice(0, i), text.slice(i + 1)];
}

/** A value made of placeholders, and of literal text that does not look like a token. */
function templated(text: string): boolean {
  return text.includes("{{") && !mayBeToken(text.replace(/\{\{[A-Za-z0-9]+\}\}/g, ""));
}

/** A literal that looks like a token: long, of letters and digits, with both. */
function mayBeToken(text: string): boolean {
  return !text.includes("{{") && text.length >= 12 && /[0-9]/.test(text) && /[A-Za-z]/.test(text);
}

/**
 * The wire of a provider whose service has problems: its config is refused with them, so no
 * request is ever built from it (its success matches nothing).
 */
export const REFUSED_WIRE: Wire = {
  url: { source: "", parts: [] },
  userinfo: null,
  method: "GET",
  headers: [],
  body: null,
  success: /(?!)/,
  nochange: null,
  wait: null,
  hostList: null,
  hostSuffix: "",
  oneFamily: false,
  uses: new Set(),
};
