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
 * and host at most, never its path or query, and never a header value or a body.
 *
 * @module
 */
import { formatTimeout, HOUR, MINUTE, parseDuration, SECOND } from "../config/duration.ts";
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

/** Outcome of {@link parseNotifyConfig}. */
export type NotifyConfigResult =
  | { ok: true; config: NotifyConfig }
  | { ok: false; errors: string[] };

/** The fields each sink type may have. */
export const SINK_KEYS = {
  webhook: ["type", "name", "url", "method", "headers", "body", "events", "timeout"],
  healthcheck: ["type", "name", "url", "failUrl", "method", "events", "timeout"],
  exec: ["type", "name", "command", "events", "timeout"],
} as const;

/** `failingAfter` when the config has none. */
export const DEFAULT_FAILING_AFTER_MS = HOUR;
/** The shortest `failingAfter`. */
export const MIN_FAILING_AFTER_MS = MINUTE;
/** `timeout` of a sink when the config has none, by type. */
export const DEFAULT_TIMEOUTS_MS = {
  webhook: 10 * SECOND,
  healthcheck: 10 * SECOND,
  exec: 30 * SECOND,
};
/** The shortest and longest `timeout` of a sink. */
export const TIMEOUT_RANGE_MS = { min: 100, max: 10 * MINUTE };

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
 * Validates `config.notify` and `config.failingAfter` of the parsed config file; other fields are
 * the caller's. Without `notify` there are no sinks.
 */
export function parseNotifyConfig(config: Readonly<Record<string, unknown>>): NotifyConfigResult {
  const errors: string[] = [];
  const failingAfterMs = duration(
    config.failingAfter,
    "failingAfter",
    DEFAULT_FAILING_AFTER_MS,
    MIN_FAILING_AFTER_MS,
    Infinity,
    errors,
  );
  const sinks: Sink[] = [];
  if (config.notify !== undefined && !Array.isArray(config.notify)) {
    errors.push(
      `notify: expected a list of sinks ([{ "type": "webhook", ... }]), found ${
        kind(config.notify)
      }`,
    );
  } else {
    for (const [i, entry] of (config.notify ?? []).entries()) {
      const sink = parseSink(entry, `notify[${i}]`, errors);
      if (sink !== null) sinks.push(sink);
    }
  }
  const seen = new Map<string, string>();
  for (const sink of sinks) {
    const other = seen.get(sink.name);
    if (other !== undefined) {
      errors.push(
        `${sink.field}.name: "${sink.name}" is also the name of ${other}; give each sink its own "name"`,
      );
    } else seen.set(sink.name, sink.field);
  }
  return errors.length > 0
    ? { ok: false, errors }
    : { ok: true, config: { sinks, failingAfterMs } };
}

function parseSink(entry: unknown, field: string, errors: string[]): Sink | null {
  if (!isRecord(entry)) {
    errors.push(
      `${field}: expected an object like { "type": "webhook", "url": "https://..." }, found ${
        kind(entry)
      }`,
    );
    return null;
  }
  const type = entry.type;
  if (type !== "webhook" && type !== "healthcheck" && type !== "exec") {
    errors.push(`${field}.type: expected "webhook", "healthcheck" or "exec", found ${show(type)}`);
    return null;
  }
  const before = errors.length;
  unknownKeys(entry, SINK_KEYS[type], field, errors);
  const name = sinkName(entry.name, `${field}.name`, type, errors);
  const events = eventList(entry.events, `${field}.events`, errors);
  const timeoutMs = duration(
    entry.timeout,
    `${field}.timeout`,
    DEFAULT_TIMEOUTS_MS[type],
    TIMEOUT_RANGE_MS.min,
    TIMEOUT_RANGE_MS.max,
    errors,
  );
  const base = { name, field, events, timeoutMs };
  let sink: Sink | null;
  if (type === "webhook") sink = webhook(entry, base, errors);
  else if (type === "healthcheck") sink = healthcheck(entry, base, errors);
  else sink = exec(entry, base, errors);
  return errors.length === before ? sink : null;
}

function webhook(
  entry: Record<string, unknown>,
  base: SinkBase,
  errors: string[],
): WebhookSink | null {
  const field = base.field;
  const method = oneOf(
    entry.method,
    `${field}.method`,
    ["POST", "PUT", "GET"] as const,
    "POST",
    errors,
  );
  const url = urlTemplate(entry.url, `${field}.url`, EVENT_FIELDS, errors);
  const headers = headerTemplates(entry.headers, `${field}.headers`, errors);
  const body = bodyTemplate(entry.body, `${field}.body`, method, headers, errors);
  return url === null || body === undefined
    ? null
    : { type: "webhook", ...base, method, url, headers, body };
}

function healthcheck(
  entry: Record<string, unknown>,
  base: SinkBase,
  errors: string[],
): HealthcheckSink | null {
  const field = base.field;
  const method = oneOf(entry.method, `${field}.method`, ["GET", "POST"] as const, "GET", errors);
  const url = urlTemplate(entry.url, `${field}.url`, PING_FIELDS, errors);
  if (url === null) return null;
  const failUrl = entry.failUrl === undefined || entry.failUrl === null
    ? urlTemplate(withFail(url.source), `${field}.url`, PING_FIELDS, errors)
    : urlTemplate(entry.failUrl, `${field}.failUrl`, PING_FIELDS, errors);
  return failUrl === null ? null : { type: "healthcheck", ...base, method, url, failUrl };
}

/** `url` with `/fail` appended to its path (healthchecks.io style), before any query. */
function withFail(url: string): string {
  const end = url.search(/[?#]/);
  const path = end < 0 ? url : url.slice(0, end);
  return `${path.replace(/\/+$/, "")}/fail${end < 0 ? "" : url.slice(end)}`;
}

function exec(entry: Record<string, unknown>, base: SinkBase, errors: string[]): ExecSink | null {
  const field = `${base.field}.command`;
  const command = entry.command;
  if (!Array.isArray(command) || command.length === 0) {
    errors.push(
      `${field}: expected a list of the program and its arguments, like ["/usr/local/bin/update-firewall", "--quiet"] (no shell), found ${
        kind(command)
      }`,
    );
    return null;
  }
  const before = errors.length;
  const [program, ...args] = command;
  if (typeof program !== "string" || !program.startsWith("/")) {
    const found = typeof program === "string" && program.trim() !== ""
      ? `a relative path or a bare name ${NOT_SHOWN}`
      : kind(program);
    errors.push(
      `${field}[0]: expected the absolute path of the program, like "/usr/local/bin/update-firewall" (run \`command -v NAME\` to find it), found ${found}`,
    );
  }
  args.forEach((arg, i) => {
    if (typeof arg !== "string" || arg.includes("\0")) {
      errors.push(
        `${field}[${i + 1}]: expected a string without NUL characters, found ${
          kind(arg)
        } ${NOT_SHOWN}`,
      );
    }
  });
  return errors.length === before ? { type: "exec", ...base, command: command as string[] } : null;
}

function urlTemplate(
  value: unknown,
  field: string,
  names: readonly string[],
  errors: string[],
): Template | null {
  const expected = "expected an http:// or https:// URL";
  if (typeof value !== "string" || value.trim() === "") {
    errors.push(`${field}: ${expected}, found ${kind(value)}`);
    return null;
  }
  const parsed = parseTemplate(value, names);
  if (!parsed.ok) {
    errors.push(...parsed.problems.map((p) => `${field}: ${p}`));
    return null;
  }
  const template = parsed.template;
  const [first] = template.parts;
  const lead = first?.kind === "text" ? first.text : "";
  if (
    template.parts.some((p) => p.kind === "field") &&
    !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+[/?#]/i.test(lead)
  ) {
    errors.push(
      `${field}: placeholders may stand only in the path and query, after the server's address`,
    );
    return null;
  }
  let url: URL;
  try {
    url = new URL(renderUrl(template, Object.fromEntries(names.map((n) => [n, "x"]))));
  } catch {
    errors.push(`${field}: ${expected}, found text that is not a URL ${NOT_SHOWN}`);
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    const scheme = /^[a-z][a-z0-9+.-]{0,20}:$/i.test(url.protocol)
      ? `a "${url.protocol}" URL`
      : "another kind of URL";
    errors.push(`${field}: ${expected}, found ${scheme}`);
    return null;
  }
  if (url.username || url.password) {
    errors.push(
      `${field}: a user name or password in the URL is not allowed; send it in "headers" instead, e.g. "Authorization": "Basic ..." or "Bearer ..."`,
    );
    return null;
  }
  return template;
}

function headerTemplates(value: unknown, field: string, errors: string[]): HeaderTemplate[] {
  if (value === undefined) return [];
  if (!isRecord(value)) {
    errors.push(
      `${field}: expected an object of header names and values, like { "Title": "{{title}}" }, found ${
        kind(value)
      }`,
    );
    return [];
  }
  const headers: HeaderTemplate[] = [];
  const seen = new Set<string>();
  for (const [name, text] of Object.entries(value)) {
    if (!HEADER_NAME.test(name)) {
      errors.push(
        `${field}: a header name is not valid ${NOT_SHOWN}; names are letters, digits and "-", and the value goes after the colon, like { "Authorization": "Bearer ..." }`,
      );
      continue;
    }
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.includes(lower)) {
      errors.push(`${field}.${name}: dnsbeat sets this header itself; remove it`);
      continue;
    }
    if (seen.has(lower)) {
      errors.push(`${field}.${name}: given twice (header names ignore case); keep one`);
      continue;
    }
    seen.add(lower);
    if (typeof text !== "string") {
      errors.push(`${field}.${name}: expected a string, found ${kind(text)}`);
      continue;
    }
    // deno-lint-ignore no-control-regex
    if (/[\x00-\x08\x0a-\x1f\x7f]/.test(text)) {
      errors.push(
        `${field}.${name}: a header value cannot contain line breaks or control characters; remove them ${NOT_SHOWN}`,
      );
      continue;
    }
    const parsed = parseTemplate(text, EVENT_FIELDS);
    if (parsed.ok) headers.push({ name, value: parsed.template });
    else errors.push(...parsed.problems.map((p) => `${field}.${name}: ${p}`));
  }
  return headers;
}

/** The body; `undefined` after an error. */
function bodyTemplate(
  value: unknown,
  field: string,
  method: WebhookSink["method"],
  headers: readonly HeaderTemplate[],
  errors: string[],
): BodyTemplate | null | undefined {
  if (value === undefined && method === "GET") return null;
  const body = value ?? DEFAULT_BODY;
  if (method === "GET") {
    errors.push(`${field}: a GET request has no body; remove "body" or set "method" to "POST"`);
    return undefined;
  }
  const typeHeader = headers.find((h) => h.name.toLowerCase() === "content-type");
  if (typeHeader !== undefined && typeHeader.value.parts.some((p) => p.kind === "field")) {
    errors.push(
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
      errors.push(
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
      errors.push(
        `${field}: dnsbeat writes values safely only into a plain-text (text/plain), form-encoded (application/x-www-form-urlencoded) or JSON body, and the Content-Type header says ${
          JSON.stringify(type)
        }: use one of these`,
      );
      return undefined;
    }
    const parsed = parseTemplate(body, EVENT_FIELDS);
    if (parsed.ok) return { kind: "text", format, template: parsed.template };
    errors.push(...parsed.problems.map((p) => `${field}: ${p}`));
    return undefined;
  }
  if (typeof body === "object" && body !== null) {
    if (type !== null && !jsonType) {
      errors.push(
        `${field}: a JSON body is sent as JSON, and the Content-Type header says ${
          JSON.stringify(type)
        }: remove the header, or set it to application/json`,
      );
      return undefined;
    }
    const parsed = parseJsonTemplate(body, EVENT_FIELDS);
    if (parsed.ok) return { kind: "json", template: parsed.template };
    errors.push(...parsed.problems.map((p) => `${field}${p}`));
    return undefined;
  }
  errors.push(
    `${field}: expected text, or a JSON object or list for a JSON body, found ${kind(body)}`,
  );
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

function sinkName(value: unknown, field: string, fallback: string, errors: string[]): string {
  if (value === undefined) return fallback;
  // deno-lint-ignore no-control-regex
  if (typeof value !== "string" || !/^[^\x00-\x1f\x7f]{1,64}$/.test(value) || value.trim() === "") {
    errors.push(
      `${field}: expected a name of 1 to 64 characters on one line, found ${show(value)}`,
    );
    return fallback;
  }
  return value;
}

function eventList(value: unknown, field: string, errors: string[]): EventKind[] {
  if (value === undefined) return [...EVENT_KINDS];
  const known = EVENT_KINDS.map((k) => `"${k}"`).join(", ");
  if (!Array.isArray(value) || value.length === 0) {
    errors.push(
      `${field}: expected a non-empty list of events like ["stopped", "failing"] (known: ${known}), found ${
        show(value)
      }`,
    );
    return [];
  }
  const events: EventKind[] = [];
  value.forEach((item, i) => {
    const match = EVENT_KINDS.find((k) => k === item);
    if (match !== undefined) {
      if (!events.includes(match)) events.push(match);
      return;
    }
    const near = typeof item === "string" ? EVENT_KINDS.find((k) => similar(k, item)) : undefined;
    errors.push(
      `${field}[${i}]: unknown event ${show(item)}${
        near ? ` (did you mean "${near}"?)` : ""
      }; known: ${known}`,
    );
  });
  return events;
}

function oneOf<T extends string>(
  value: unknown,
  field: string,
  options: readonly T[],
  fallback: T,
  errors: string[],
): T {
  if (value === undefined) return fallback;
  const match = options.find((o) => o === value);
  if (match !== undefined) return match;
  const hint = typeof value === "string" && options.some((o) => o === value.toUpperCase())
    ? ` (write it in capitals: "${value.toUpperCase()}")`
    : "";
  errors.push(
    `${field}: expected one of ${options.map((o) => `"${o}"`).join(", ")}, found ${
      show(value)
    }${hint}`,
  );
  return fallback;
}

function duration(
  value: unknown,
  field: string,
  fallback: number,
  min: number,
  max: number,
  errors: string[],
): number {
  if (value === undefined) return fallback;
  const parsed = typeof value === "string" ? parseDuration(value) : null;
  if (parsed === null) {
    errors.push(
      `${field}: expected a duration like "500ms", "30s", "5m" or "1h", found ${show(value)}`,
    );
    return fallback;
  }
  if (parsed < min || parsed > max) {
    const range = max === Infinity
      ? `at least ${formatTimeout(min)}`
      : `between ${formatTimeout(min)} and ${formatTimeout(max)}`;
    errors.push(`${field}: must be ${range}, found ${show(value)}`);
    return fallback;
  }
  return parsed;
}

function unknownKeys(
  entry: Record<string, unknown>,
  allowed: readonly string[],
  field: string,
  errors: string[],
): void {
  for (const key of Object.keys(entry)) {
    if (allowed.includes(key)) continue;
    const near = allowed.find((a) => similar(a, key));
    const shown = /^[A-Za-z_-]{1,20}$/.test(key) ? key : "(a field name that is not shown)";
    errors.push(
      `${field}.${shown}: unknown field${near ? ` (did you mean "${near}"?)` : ""}; known: ${
        allowed.join(", ")
      }`,
    );
  }
}

/** Same letters ignoring case, or one letter added, dropped or changed. */
function similar(a: string, b: string): boolean {
  const x = a.toLowerCase(), y = b.toLowerCase();
  if (x === y) return true;
  if (Math.abs(x.length - y.length) > 1) return false;
  let i = 0;
  while (i < x.length && x[i] === y[i]) i++;
  return x.slice(i + 1) === y.slice(i + 1) || x.slice(i + 1) === y.slice(i) ||
    x.slice(i) === y.slice(i + 1);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A value that is not secret, as JSON (cut at 60 characters). */
function show(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** What kind of value this is, without the value. */
function kind(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "string") return value.trim() === "" ? "an empty string" : "a string";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}
