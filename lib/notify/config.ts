/**
 * The `notify` section of the config and the top-level `failingAfter`, validated.
 *
 * ```json
 * "failingAfter": "1h",
 * "notify": [
 *   { "type": "webhook", "name": "phone", "url": "https://ntfy.sh/my-topic",
 *     "headers": { "Title": "dnsbeat: {{title}}" }, "body": "{{message}} {{action}}",
 *     "events": ["stopped", "failing", "expiring"] },
 *   { "type": "healthcheck", "name": "hc", "url": "https://hc-ping.com/UUID" },
 *   { "type": "exec", "name": "fw", "command": ["/usr/local/bin/update-firewall"],
 *     "timeout": "30s", "events": ["updated"] }
 * ]
 * ```
 *
 * `failingAfter` is global, not per sink: it decides when the one `failing` event happens, and an
 * event is the same for every sink (one id, one time), so that delivery can be recorded per sink.
 *
 * Webhook URLs and header values often carry tokens (Discord and Telegram put them in the path,
 * ntfy in the query, others in `Authorization`). So every problem message shows a URL's scheme
 * and host at most, never its path or query, and never a header value, a body or an argument;
 * anything else it shows by the one rule of the config (`config/shown.ts`).
 *
 * @module
 */
import { HOUR, MINUTE, SECOND } from "../config/duration.ts";
import { didYouMean, kind, show } from "../config/shown.ts";
import type { Validator } from "../config/validate.ts";
import { isObject } from "../state/mod.ts";
import { EVENT_KINDS, type EventKind } from "./events.ts";
import {
  EVENT_FIELDS,
  type JsonTemplate,
  parseJsonTemplate,
  parseTemplate,
  PING_FIELDS,
  renderUrl,
  type Template,
} from "./template.ts";

/** What every sink has. */
interface SinkBase {
  /** The sink's name from the config (unique; it keys delivery records in the state). */
  name: string;
  /** Where it is in the config, e.g. `notify[0]`, for messages. */
  field: string;
  /** The kinds it is sent; `test` goes to every sink whatever this says. */
  events: readonly EventKind[];
  /** How long one attempt may take, in ms. */
  timeoutMs: number;
}

/** A header whose value is a template. */
export interface HeaderTemplate {
  /** The header name, as written. */
  name: string;
  /** The value template (it may hold a token: never shown). */
  value: Template;
}

/**
 * A webhook's body: text, its values written for its content type (`form`: percent-encoded, for
 * `application/x-www-form-urlencoded`; `plain`: as they are, for `text/plain`), or JSON built from
 * the config's JSON.
 */
export type BodyTemplate =
  | { kind: "text"; format: "form" | "plain"; template: Template }
  | { kind: "json"; template: JsonTemplate };

/** An HTTP request per event. */
export interface WebhookSink extends SinkBase {
  /** Discriminant. */
  type: "webhook";
  /** The request method. */
  method: "POST" | "PUT" | "GET";
  /** The URL template (placeholders percent-encoded, only in the path and query). */
  url: Template;
  /** Extra headers. */
  headers: readonly HeaderTemplate[];
  /** The body, or `null` for none (always `null` with GET). */
  body: BodyTemplate | null;
}

/** A monitoring service pinged with "ok" or "fail" (healthchecks.io, Uptime Kuma). */
export interface HealthcheckSink extends SinkBase {
  /** Discriminant. */
  type: "healthcheck";
  /** GET, or POST with the ping's message as a plain-text body. */
  method: "GET" | "POST";
  /** Pinged when all is well. */
  url: Template;
  /** Pinged when something is stopped or failing (default: `url` + `/fail`). */
  failUrl: Template;
}

/** A program run per event, without a shell, the event in `DNSBEAT_*` variables. */
export interface ExecSink extends SinkBase {
  /** Discriminant. */
  type: "exec";
  /** The program (an absolute path) and its arguments. */
  command: readonly string[];
}

/** One place notifications go. */
export type Sink = WebhookSink | HealthcheckSink | ExecSink;

/** The validated notification settings. */
export interface NotifyConfig {
  /** The sinks, in config order. */
  sinks: readonly Sink[];
  /** How long no update may be possible before the `failing` event, in ms. */
  failingAfterMs: number;
}

/** The fields each sink type may have. */
const SINK_KEYS = {
  webhook: ["type", "name", "url", "method", "headers", "body", "events", "timeout"],
  healthcheck: ["type", "name", "url", "failUrl", "method", "events", "timeout"],
  exec: ["type", "name", "command", "events", "timeout"],
} as const;

/** `failingAfter` when the config has none. */
const DEFAULT_FAILING_AFTER_MS = HOUR;
/** The shortest `failingAfter`. */
const MIN_FAILING_AFTER_MS = MINUTE;
/** `timeout` of a sink when the config has none, by type. */
const DEFAULT_TIMEOUTS_MS = {
  webhook: 10 * SECOND,
  healthcheck: 10 * SECOND,
  exec: 30 * SECOND,
};
/** The shortest and longest `timeout` of a sink. */
const TIMEOUT_RANGE_MS = { min: 100, max: 10 * MINUTE };

/** Headers that fetch sets itself or that would change how the request is framed. */
const RESERVED_HEADERS = [
  "host",
  "content-length",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const NOT_SHOWN = "(not shown: it may hold a token)";
/** The body of a POST or PUT webhook without `body`: the event's text. */
const DEFAULT_BODY = "{{body}}";

/** Whether `sink` is sent events of `kind` (`test` goes to every sink). */
export function wantsEvent(sink: Sink, kind: EventKind): boolean {
  return kind === "test" || sink.events.includes(kind);
}

/**
 * Validates `config.notify` and `config.failingAfter` of the parsed config file, problems recorded
 * in `v`; other fields are the caller's. Without `notify` there are no sinks.
 */
export function parseNotifyConfig(
  v: Validator,
  config: Readonly<Record<string, unknown>>,
): NotifyConfig {
  const failingAfterMs = v.duration(
    config,
    "failingAfter",
    "",
    DEFAULT_FAILING_AFTER_MS,
    MIN_FAILING_AFTER_MS,
  );
  const sinks: Sink[] = [];
  if (config.notify !== undefined && !Array.isArray(config.notify)) {
    v.error("notify", 'a list of sinks ([{ "type": "webhook", ... }])', config.notify, true);
  } else {
    for (const [i, entry] of (config.notify ?? []).entries()) {
      const sink = parseSink(v, entry, `notify[${i}]`);
      if (sink !== null) sinks.push(sink);
    }
  }
  const seen = new Map<string, string>();
  for (const sink of sinks) {
    const other = seen.get(sink.name);
    if (other !== undefined) {
      v.errors.push(
        `${sink.field}.name: "${sink.name}" is also the name of ${other}; give each sink its own "name"`,
      );
    } else seen.set(sink.name, sink.field);
  }
  return { sinks, failingAfterMs };
}

function parseSink(v: Validator, entry: unknown, field: string): Sink | null {
  if (!isObject(entry)) {
    v.error(field, 'an object like { "type": "webhook", "url": "https://..." }', entry, true);
    return null;
  }
  const type = entry.type;
  if (type !== "webhook" && type !== "healthcheck" && type !== "exec") {
    v.error(`${field}.type`, '"webhook", "healthcheck" or "exec"', type);
    return null;
  }
  const before = v.errors.length;
  v.unknownKeys(entry, SINK_KEYS[type], `${field}.`);
  const name = sinkName(v, entry.name, `${field}.name`, type);
  const events = eventList(v, entry.events, `${field}.events`);
  const timeoutMs = v.duration(
    entry,
    "timeout",
    `${field}.`,
    DEFAULT_TIMEOUTS_MS[type],
    TIMEOUT_RANGE_MS.min,
    TIMEOUT_RANGE_MS.max,
  );
  const base = { name, field, events, timeoutMs };
  let sink: Sink | null;
  if (type === "webhook") sink = webhook(v, entry, base);
  else if (type === "healthcheck") sink = healthcheck(v, entry, base);
  else sink = exec(v, entry, base);
  return v.errors.length === before ? sink : null;
}

function webhook(v: Validator, entry: Record<string, unknown>, base: SinkBase): WebhookSink | null {
  const field = base.field;
  const method = v.oneOf(entry, "method", `${field}.`, ["POST", "PUT", "GET"] as const, "POST");
  const url = urlTemplate(v, entry.url, `${field}.url`, EVENT_FIELDS);
  const headers = headerTemplates(v, entry.headers, `${field}.headers`);
  const body = bodyTemplate(v, entry.body, `${field}.body`, method, headers);
  return url === null || body === undefined
    ? null
    : { type: "webhook", ...base, method, url, headers, body };
}

function healthcheck(
  v: Validator,
  entry: Record<string, unknown>,
  base: SinkBase,
): HealthcheckSink | null {
  const field = base.field;
  const method = v.oneOf(entry, "method", `${field}.`, ["GET", "POST"] as const, "GET");
  const url = urlTemplate(v, entry.url, `${field}.url`, PING_FIELDS);
  if (url === null) return null;
  const failUrl = entry.failUrl === undefined || entry.failUrl === null
    ? urlTemplate(v, withFail(url.source), `${field}.url`, PING_FIELDS)
    : urlTemplate(v, entry.failUrl, `${field}.failUrl`, PING_FIELDS);
  return failUrl === null ? null : { type: "healthcheck", ...base, method, url, failUrl };
}

/** `url` with `/fail` appended to its path (healthchecks.io style), before any query. */
function withFail(url: string): string {
  const end = url.search(/[?#]/);
  const path = end < 0 ? url : url.slice(0, end);
  return `${path.replace(/\/+$/, "")}/fail${end < 0 ? "" : url.slice(end)}`;
}

function exec(v: Validator, entry: Record<string, unknown>, base: SinkBase): ExecSink | null {
  const field = `${base.field}.command`;
  const command = entry.command;
  if (!Array.isArray(command) || command.length === 0) {
    v.error(
      field,
      'a list of the program and its arguments, like ["/usr/local/bin/update-firewall", "--quiet"] (no shell)',
      command,
      true,
    );
    return null;
  }
  const before = v.errors.length;
  const [program, ...args] = command;
  if (typeof program !== "string" || !program.startsWith("/")) {
    const found = typeof program === "string" && program.trim() !== ""
      ? `a relative path or a bare name ${NOT_SHOWN}`
      : kind(program);
    v.errors.push(
      `${field}[0]: expected the absolute path of the program, like "/usr/local/bin/update-firewall" (run \`command -v NAME\` to find it), found ${found}`,
    );
  }
  args.forEach((arg, i) => {
    if (typeof arg !== "string" || arg.includes("\0")) {
      v.error(`${field}[${i + 1}]`, "a string without NUL characters", arg, true);
    }
  });
  return v.errors.length === before
    ? { type: "exec", ...base, command: command as string[] }
    : null;
}

function urlTemplate(
  v: Validator,
  value: unknown,
  field: string,
  names: readonly string[],
): Template | null {
  const expected = "an http:// or https:// URL";
  if (typeof value !== "string" || value.trim() === "") {
    v.error(field, expected, value, true);
    return null;
  }
  const parsed = parseTemplate(value, names);
  if (!parsed.ok) {
    v.errors.push(...parsed.problems.map((p) => `${field}: ${p}`));
    return null;
  }
  const template = parsed.template;
  const [first] = template.parts;
  const lead = first?.kind === "text" ? first.text : "";
  if (
    template.parts.some((p) => p.kind === "field") &&
    !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+[/?#]/i.test(lead)
  ) {
    v.errors.push(
      `${field}: placeholders may stand only in the path and query, after the server's address`,
    );
    return null;
  }
  let url: URL;
  try {
    url = new URL(renderUrl(template, Object.fromEntries(names.map((n) => [n, "x"]))));
  } catch {
    v.errors.push(`${field}: expected ${expected}, found text that is not a URL ${NOT_SHOWN}`);
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    const scheme = /^[a-z][a-z0-9+.-]{0,20}:$/i.test(url.protocol)
      ? `a "${url.protocol}" URL`
      : "another kind of URL";
    v.errors.push(`${field}: expected ${expected}, found ${scheme}`);
    return null;
  }
  if (url.username || url.password) {
    v.errors.push(
      `${field}: a user name or password in the URL is not allowed; send it in "headers" instead, e.g. "Authorization": "Basic ..." or "Bearer ..."`,
    );
    return null;
  }
  return template;
}

function headerTemplates(v: Validator, value: unknown, field: string): HeaderTemplate[] {
  if (value === undefined) return [];
  if (!isObject(value)) {
    v.error(
      field,
      'an object of header names and values, like { "Title": "{{title}}" }',
      value,
      true,
    );
    return [];
  }
  const headers: HeaderTemplate[] = [];
  const seen = new Set<string>();
  for (const [name, text] of Object.entries(value)) {
    if (!HEADER_NAME.test(name)) {
      v.errors.push(
        `${field}: a header name is not valid ${NOT_SHOWN}; names are letters, digits and "-", and the value goes after the colon, like { "Authorization": "Bearer ..." }`,
      );
      continue;
    }
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.includes(lower)) {
      v.errors.push(`${field}.${name}: dnsbeat sets this header itself; remove it`);
      continue;
    }
    if (seen.has(lower)) {
      v.errors.push(`${field}.${name}: given twice (header names ignore case); keep one`);
      continue;
    }
    seen.add(lower);
    if (typeof text !== "string") {
      v.error(`${field}.${name}`, "a string", text, true);
      continue;
    }
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(text)) {
      v.errors.push(
        `${field}.${name}: a header value cannot contain line breaks or control characters; remove them ${NOT_SHOWN}`,
      );
      continue;
    }
    const parsed = parseTemplate(text, EVENT_FIELDS);
    if (parsed.ok) headers.push({ name, value: parsed.template });
    else v.errors.push(...parsed.problems.map((p) => `${field}.${name}: ${p}`));
  }
  return headers;
}

/** The body; `undefined` after an error. */
function bodyTemplate(
  v: Validator,
  value: unknown,
  field: string,
  method: WebhookSink["method"],
  headers: readonly HeaderTemplate[],
): BodyTemplate | null | undefined {
  if (value === undefined && method === "GET") return null;
  const body = value ?? DEFAULT_BODY;
  if (method === "GET") {
    v.errors.push(`${field}: a GET request has no body; remove "body" or set "method" to "POST"`);
    return undefined;
  }
  const typeHeader = headers.find((h) => h.name.toLowerCase() === "content-type");
  if (typeHeader !== undefined && typeHeader.value.parts.some((p) => p.kind === "field")) {
    v.errors.push(
      `${
        field.replace(/\.body$/, "")
      }.headers.${typeHeader.name}: placeholders are not allowed here: dnsbeat must know the body's type to write its values safely`,
    );
    return undefined;
  }
  const type = typeHeader?.value.source.split(";")[0]?.trim().toLowerCase() ?? null;
  const jsonType = type !== null && /^application\/([a-z0-9.+-]*\+)?json$/.test(type);
  if (typeof body === "string") {
    if (jsonType || looksLikeJson(body)) {
      v.errors.push(
        `${field}: write a JSON body as JSON, not as a string, so that dnsbeat can escape the values, e.g. "body": { "content": "{{message}}" }`,
      );
      return undefined;
    }
    const format = type === null || type === "text/plain"
      ? "plain"
      : type === "application/x-www-form-urlencoded"
      ? "form"
      : null;
    if (format === null) {
      v.errors.push(
        `${field}: dnsbeat writes values safely only into a plain-text (text/plain), form-encoded (application/x-www-form-urlencoded) or JSON body, and the Content-Type header says ${
          JSON.stringify(type)
        }: use one of these`,
      );
      return undefined;
    }
    const parsed = parseTemplate(body, EVENT_FIELDS);
    if (parsed.ok) return { kind: "text", format, template: parsed.template };
    v.errors.push(...parsed.problems.map((p) => `${field}: ${p}`));
    return undefined;
  }
  if (typeof body === "object" && body !== null) {
    if (type !== null && !jsonType) {
      v.errors.push(
        `${field}: a JSON body is sent as JSON, and the Content-Type header says ${
          JSON.stringify(type)
        }: remove the header, or set it to application/json`,
      );
      return undefined;
    }
    const parsed = parseJsonTemplate(body, EVENT_FIELDS);
    if (parsed.ok) return { kind: "json", template: parsed.template };
    v.errors.push(...parsed.problems.map((p) => `${field}${p}`));
    return undefined;
  }
  v.error(field, "text, or a JSON object or list for a JSON body", body, true);
  return undefined;
}

/** Whether `text`, its placeholders taken as values, is a JSON object or list. */
function looksLikeJson(text: string): boolean {
  try {
    const parsed = JSON.parse(text.replace(/\{\{[^}]*\}\}/g, "0"));
    return typeof parsed === "object" && parsed !== null;
  } catch {
    return false;
  }
}

function sinkName(v: Validator, value: unknown, field: string, fallback: string): string {
  if (value === undefined) return fallback;
  // deno-lint-ignore no-control-regex
  if (typeof value !== "string" || !/^[^\x00-\x1f\x7f]{1,64}$/.test(value) || value.trim() === "") {
    v.error(field, "a name of 1 to 64 characters on one line", value);
    return fallback;
  }
  return value;
}

function eventList(v: Validator, value: unknown, field: string): EventKind[] {
  if (value === undefined) return [...EVENT_KINDS];
  const known = EVENT_KINDS.map((k) => `"${k}"`).join(", ");
  if (!Array.isArray(value) || value.length === 0) {
    v.error(
      field,
      `a non-empty list of events like ["stopped", "failing"] (known: ${known})`,
      value,
    );
    return [];
  }
  const events: EventKind[] = [];
  value.forEach((item, i) => {
    const match = EVENT_KINDS.find((k) => k === item);
    if (match === undefined) {
      v.errors.push(
        `${field}[${i}]: unknown event ${show(item)}${
          didYouMean(item, EVENT_KINDS)
        }; known: ${known}`,
      );
    } else if (!events.includes(match)) events.push(match);
  });
  return events;
}
