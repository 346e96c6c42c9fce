/**
 * Templates for the URLs, headers and bodies that sinks send, with placeholders like
 * `{{message}}`. The same value is written differently in each place, so that no value can change
 * the shape of what is sent:
 *
 * - In a URL, each value is percent-encoded (`encodeURIComponent`): it stays one path segment or
 *   one query value. Placeholders may stand only in the path and query (checked by the config).
 * - In a header, CR and LF become a space and other control characters are dropped, so a value
 *   cannot start another header; a value with characters outside ASCII is sent as one RFC 2047
 *   encoded word (`=?UTF-8?B?...?=`), which ntfy decodes.
 * - In a form-encoded body (`application/x-www-form-urlencoded`), each value is percent-encoded:
 *   an `&` or `=` in a value can never start another field.
 * - In a plain-text body (`text/plain`), which has no structure to break, values are inserted as
 *   they are. A text body of any other type is refused by the config check.
 * - A JSON body is written in the config as JSON, not as a string. Each string in it is a
 *   template whose values end up inside that string: the body is built as data and serialized
 *   with `JSON.stringify`, so quotes, backslashes, newlines or `{{` in a value are escaped and can
 *   never end the string. A string that is exactly `{{json:NAME}}` is replaced by the value
 *   itself as JSON: an array for `hosts` and `addresses`, `null` for a missing `reply` or
 *   `action`, the whole event for `event`. `{{json:NAME}}` is allowed nowhere else.
 *
 * Substitution is one pass: a `{{` inside a value is never read as a placeholder. A template has
 * no way to write a literal `{{`. Unknown placeholders are errors that name them.
 *
 * @module
 */
import { nameLike, nearest } from "../config/shown.ts";
import { eventBody, eventTitle, type NotifyEvent } from "./events.ts";

/** The placeholders of an event, for webhook URLs, headers and bodies. */
export const EVENT_FIELDS = [
  "kind",
  "id",
  "provider",
  "type",
  "hosts",
  "addresses",
  "reply",
  "message",
  "action",
  "time",
  "title",
  "body",
  "event",
] as const;

/** The placeholders of a healthcheck ping, for its URLs. */
export const PING_FIELDS = ["status", "message", "time"] as const;

/** A value a placeholder stands for. */
export type FieldValue = string | null | readonly string[] | NotifyEvent;

/** The values of the placeholders, by name. */
export type FieldValues = Readonly<Record<string, FieldValue>>;

/** One piece of a template: literal text, or a placeholder (`json` for `{{json:NAME}}`). */
export type TemplatePart =
  | { kind: "text"; text: string }
  | { kind: "field"; name: string; json: boolean };

/** A parsed template; `source` is the text from the config. */
export interface Template {
  /** The text as written in the config (it may hold secrets: never shown). */
  source: string;
  /** Its pieces, in order. */
  parts: readonly TemplatePart[];
}

/** A parsed JSON body: the JSON from the config, with each string a {@link Template}. */
export type JsonTemplate =
  | { kind: "literal"; value: number | boolean | null }
  | { kind: "string"; template: Template }
  | { kind: "value"; name: string }
  | { kind: "array"; items: readonly JsonTemplate[] }
  | { kind: "object"; entries: readonly (readonly [string, JsonTemplate])[] };

/** Outcome of parsing; `problems` name no secret, only the placeholders found wrong. */
export type ParseResult<T> = { ok: true; template: T } | { ok: false; problems: string[] };

/** The placeholder values of `event`. */
export function eventFields(event: NotifyEvent): FieldValues {
  return {
    kind: event.kind,
    id: event.id,
    provider: event.provider,
    type: event.providerType,
    hosts: event.hosts,
    addresses: event.addresses,
    reply: event.reply,
    message: event.message,
    action: event.action,
    time: event.time,
    title: eventTitle(event),
    body: eventBody(event),
    event,
  };
}

/** Parses `source` with the placeholders `names`, keeping `{{json:NAME}}` parts. */
function parseParts(source: string, names: readonly string[]): ParseResult<Template> {
  const parts: TemplatePart[] = [];
  const problems = new Set<string>();
  let text = "";
  let at = 0;
  while (at < source.length) {
    const open = source.indexOf("{{", at);
    if (open < 0) {
      text += source.slice(at);
      break;
    }
    text += source.slice(at, open);
    const close = source.indexOf("}}", open + 2);
    if (close < 0) {
      problems.add('"{{" without a closing "}}" (a template cannot contain a literal "{{")');
      break;
    }
    const inner = source.slice(open + 2, close).trim();
    const match = /^(json:)?([A-Za-z][A-Za-z0-9]*)$/.exec(inner);
    const name = match?.[2];
    if (name === undefined || !names.includes(name)) {
      problems.add(unknownPlaceholder(inner, names));
    } else {
      if (text) parts.push({ kind: "text", text });
      text = "";
      parts.push({ kind: "field", name, json: match?.[1] !== undefined });
    }
    at = close + 2;
  }
  if (text) parts.push({ kind: "text", text });
  return problems.size > 0
    ? { ok: false, problems: [...problems] }
    : { ok: true, template: { source, parts } };
}

/**
 * Parses a URL, header or plain-text template with the placeholders `names`; `{{json:NAME}}` is
 * a problem here.
 */
export function parseTemplate(source: string, names: readonly string[]): ParseResult<Template> {
  const parsed = parseParts(source, names);
  if (!parsed.ok) return parsed;
  const json = parsed.template.parts.find((p) => p.kind === "field" && p.json);
  return json?.kind === "field"
    ? {
      ok: false,
      problems: [
        `{{json:${json.name}}} belongs only in a JSON body, alone in a string; here write {{${json.name}}}`,
      ],
    }
    : parsed;
}

/**
 * Parses a JSON body from the config; each problem starts with its path inside the body (`.a[0]`,
 * nothing for the body itself) and a colon.
 */
export function parseJsonTemplate(
  value: unknown,
  names: readonly string[],
): ParseResult<JsonTemplate> {
  const problems: string[] = [];
  const template = jsonNode(value, names, "", problems);
  return problems.length > 0 || template === null
    ? { ok: false, problems }
    : { ok: true, template };
}

function jsonNode(
  value: unknown,
  names: readonly string[],
  path: string,
  problems: string[],
): JsonTemplate | null {
  if (value === null || typeof value === "boolean" || typeof value === "number") {
    return { kind: "literal", value };
  }
  if (typeof value === "string") {
    const parsed = parseParts(value, names);
    if (!parsed.ok) {
      problems.push(...parsed.problems.map((p) => `${path}: ${p}`));
      return null;
    }
    const [first, ...rest] = parsed.template.parts;
    if (first?.kind === "field" && first.json && rest.length === 0) {
      return { kind: "value", name: first.name };
    }
    if (parsed.template.parts.some((p) => p.kind === "field" && p.json)) {
      problems.push(
        `${path}: {{json:NAME}} must be the whole string, like "hosts": "{{json:hosts}}"; inside other text write {{NAME}}`,
      );
      return null;
    }
    return { kind: "string", template: parsed.template };
  }
  if (Array.isArray(value)) {
    const items = value.map((item, i) => jsonNode(item, names, `${path}[${i}]`, problems));
    return items.every((i) => i !== null) ? { kind: "array", items } : null;
  }
  if (typeof value === "object") {
    const entries: (readonly [string, JsonTemplate])[] = [];
    let ok = true;
    for (const [key, item] of Object.entries(value)) {
      const itemPath = `${path}.${key}`;
      if (key.includes("{{")) {
        problems.push(`${itemPath}: placeholders are not allowed in keys, only in values`);
        ok = false;
        continue;
      }
      const node = jsonNode(item, names, itemPath, problems);
      if (node === null) ok = false;
      else entries.push([key, node]);
    }
    return ok ? { kind: "object", entries } : null;
  }
  problems.push(`${path}: expected JSON (an object, array, string, number, true, false or null)`);
  return null;
}

/** `template` with each placeholder's value inserted as it is (`null` as empty text). */
export function renderText(template: Template, values: FieldValues): string {
  return render(template, values, (v) => v);
}

/** `template` with each placeholder's value percent-encoded. */
export function renderUrl(template: Template, values: FieldValues): string {
  return render(template, values, (v) => encodeURIComponent(v.toWellFormed()));
}

/** A form-encoded body: each value percent-encoded, so that it stays one field's value. */
export function renderForm(template: Template, values: FieldValues): string {
  return renderUrl(template, values);
}

/**
 * `template` with each value made safe for a header: CR and LF become spaces, other control
 * characters are dropped; then, if the result has a character outside ASCII, it is sent as one
 * RFC 2047 encoded word.
 */
export function renderHeader(template: Template, values: FieldValues): string {
  const oneLine = renderText(template, values).replace(/[\r\n]+/g, " ");
  // deno-lint-ignore no-control-regex
  const value = oneLine.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, "");
  return /^[\x20-\x7e\t]*$/.test(value) ? value : encodedWord(value);
}

/** The JSON text of `template` with the placeholders' values. */
export function renderJson(template: JsonTemplate, values: FieldValues): string {
  return JSON.stringify(build(template, values));
}

function build(template: JsonTemplate, values: FieldValues): unknown {
  switch (template.kind) {
    case "literal":
      return template.value;
    case "string":
      return renderText(template.template, values);
    case "value":
      return values[template.name] ?? null;
    case "array":
      return template.items.map((item) => build(item, values));
    case "object":
      // fromEntries defines own properties: a "__proto__" key stays a plain key.
      return Object.fromEntries(template.entries.map(([k, v]) => [k, build(v, values)]));
  }
}

function render(template: Template, values: FieldValues, write: (v: string) => string): string {
  return template.parts
    .map((part) => part.kind === "text" ? part.text : write(textOf(values[part.name])))
    .join("");
}

/** A value as text: lists joined with ", ", `null` empty, the event as JSON. */
function textOf(value: FieldValue | undefined): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return value.join(", ");
  return JSON.stringify(value);
}

function encodedWord(value: string): string {
  return `=?UTF-8?B?${new TextEncoder().encode(value).toBase64()}?=`;
}

function unknownPlaceholder(inner: string, names: readonly string[]): string {
  const name = inner.replace(/^json:/, "");
  const shown = nameLike(name) ? `{{${inner}}}` : "a placeholder";
  const near = nearest(name, names);
  return `unknown placeholder ${shown}${near ? ` (did you mean {{${near}}}?)` : ""}; known: ${
    names.map((n) => `{{${n}}}`).join(", ")
  }`;
}
