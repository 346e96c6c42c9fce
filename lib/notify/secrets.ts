/**
 * Which parts of a sink are secret, and sinks described without them.
 *
 * In anything dnsbeat says itself (problems, `dnsbeat check`, delivery results) a URL is shown as
 * its scheme and host only, and header values, bodies and command arguments are never shown.
 *
 * {@link sinkSecrets} lists the strings masked where a sink's answer or a program's output enters a
 * message (`log/redact.ts`):
 * - every URL in full, and its path and query;
 * - each path segment and query value that looks like a token (no spaces; 8 or more characters
 *   with letters and digits, or 20 or more characters), and every query value whose name looks
 *   like a credential (`token`, `key`, `auth`, `secret`, `pass`, `sig`, `session`, `cookie`);
 * - the value of every header whose name looks like a credential (`Authorization`, `X-Api-Key`,
 *   ...), also without its scheme word (`Bearer`), and any other header value that looks like a
 *   token;
 * - in a JSON body, every string under a key that looks like a credential or is `user` (Pushover
 *   puts its token and user key there);
 * - the arguments of an exec command that look like tokens.
 *
 * A template's literal text is what is listed: a placeholder's value is an event field, which is
 * never secret.
 *
 * @module
 */
import type { Sink } from "./config.ts";
import { formatTimeout } from "../config/duration.ts";
import { EVENT_KINDS } from "./events.ts";
import type { JsonTemplate, Template } from "./template.ts";

const CREDENTIAL = /auth|token|key|secret|pass|sig|session|cookie/i;
const BODY_CREDENTIAL = /auth|token|key|secret|pass|sig|session|cookie|^user$/i;

/** Whether a header of this name holds a credential (`Authorization`, `X-Api-Key`, ...). */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL.test(name);
}

/** Whether `text` looks like a token rather than a word. */
function looksLikeToken(text: string): boolean {
  if (/\s/.test(text)) return false;
  return text.length >= 20 || (text.length >= 8 && /[a-z]/i.test(text) && /\d/.test(text));
}

/** Every secret string of `sinks`: what their answers and output are masked with. */
export function sinkSecrets(sinks: readonly Sink[]): string[] {
  const found: string[] = [];
  for (const sink of sinks) {
    if (sink.type === "exec") {
      found.push(...sink.command.slice(1).filter(looksLikeToken));
      continue;
    }
    found.push(...urlSecrets(sink.url.source));
    if (sink.type === "healthcheck") {
      found.push(...urlSecrets(sink.failUrl.source));
      continue;
    }
    for (const header of sink.headers) {
      const text = header.value.source;
      if (isCredentialHeader(header.name)) {
        found.push(text, text.replace(/^\S+\s+/, ""));
      } else if (!text.includes("{{") && looksLikeToken(text)) {
        found.push(text);
      }
    }
    if (sink.body?.kind === "json") found.push(...jsonSecrets(sink.body.template, false));
  }
  // A bare "/" or "?" is no secret.
  return [...new Set(found.filter((s) => /[A-Za-z0-9]/.test(s)))];
}

/** A URL, its path and query, and the parts of these that look secret. */
export function urlSecrets(url: string): string[] {
  const start = url.search(/(?<=^[a-z][a-z0-9+.-]*:\/\/[^/?#]*)[/?#]/i);
  if (start < 0) return [url];
  const rest = url.slice(start).replace(/#.*$/, "");
  const found = [url, rest];
  const [path = "", query = ""] = rest.split(/\?(.*)/s);
  for (const segment of path.split("/")) {
    if (!segment.includes("{{") && looksLikeToken(decoded(segment))) {
      found.push(segment, decoded(segment));
    }
  }
  for (const pair of query.split("&")) {
    const [name = "", value = ""] = pair.split(/=(.*)/s);
    if (value.includes("{{")) continue;
    if (CREDENTIAL.test(decoded(name)) || looksLikeToken(decoded(value))) {
      found.push(value, decoded(value));
    }
  }
  return found;
}

function jsonSecrets(template: JsonTemplate, secretKey: boolean): string[] {
  switch (template.kind) {
    case "string": {
      const text = template.template.source;
      return secretKey && !text.includes("{{") ? [text] : [];
    }
    case "array":
      return template.items.flatMap((item) => jsonSecrets(item, secretKey));
    case "object":
      return template.entries.flatMap(([key, item]) =>
        jsonSecrets(item, secretKey || BODY_CREDENTIAL.test(key))
      );
    default:
      return [];
  }
}

/**
 * A URL template as `scheme://host/…`: what can be shown of it. Placeholders stand only after
 * the host (the config checks it), so the host is the configured one.
 */
function shownUrl(template: Template): string {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is.exec(template.source);
  if (match === null) return "(a URL that is not shown)";
  const [, scheme = "", host = "", rest = ""] = match;
  return `${scheme.toLowerCase()}${host}${rest === "" || rest === "/" ? "/" : "/…"}`;
}

/** One line describing `sink` for `dnsbeat check`, with every secret left out. */
export function describeSink(sink: Sink): string {
  const events = EVENT_KINDS.every((k) => k === "test" || sink.events.includes(k))
    ? "all events"
    : `events ${sink.events.join(", ")}`;
  const head = `${sink.type} "${sink.name}" (${sink.field})`;
  const tail = `${events}; timeout ${formatTimeout(sink.timeoutMs)}`;
  switch (sink.type) {
    case "webhook": {
      const headers = sink.headers.length > 0
        ? `headers ${sink.headers.map((h) => h.name).join(", ")} (values hidden)`
        : "no extra headers";
      const body = sink.body === null
        ? "no body"
        : `${sink.body.kind === "json" ? "JSON" : "text"} body`;
      return `${head}: ${sink.method} ${
        shownUrl(sink.url)
      } (path and query hidden); ${headers}; ${body}; ${tail}`;
    }
    case "healthcheck":
      return `${head}: ${sink.method} ${shownUrl(sink.url)} when ok, ${
        shownUrl(sink.failUrl)
      } on failure (paths and queries hidden); ${tail}`;
    case "exec": {
      const args = sink.command.length - 1;
      return `${head}: runs ${sink.command[0]}${
        args > 0 ? ` with ${args} argument${args > 1 ? "s" : ""} (hidden)` : ""
      }, no shell; ${tail}`;
    }
  }
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
