/**
 * One delivery of one event to one sink, and what its outcome means: delivered, failed and worth
 * retrying (HTTP 5xx, 408, 429, no connection, a timeout), failed for good (any other answer, a
 * command that exits non-zero), or cut short by shutdown. Reasons say what to fix, naming the
 * config field, and never quote a URL's path or query, a header value or a body; a server's reply
 * or a command's output is quoted with every secret of the sink masked.
 *
 * @module
 */
import type { ExecSink, HealthcheckSink, Sink, WebhookSink } from "./config.ts";
import { formatTimeout } from "../config/duration.ts";
import { type EventKind, eventTitle, type NotifyEvent } from "./events.ts";
import { BLOCKED_PORT, NOT_PERMITTED, TLS_FAILED } from "../net/http.ts";
import { createRedactor } from "../log/redact.ts";
import { isCredentialHeader, sinkSecrets, urlSecrets } from "./secrets.ts";
import type { SendFn, SendResult } from "./send.ts";
import type { RunFn } from "./run.ts";
import {
  eventFields,
  renderForm,
  renderHeader,
  renderJson,
  renderText,
  renderUrl,
} from "./template.ts";

/** What delivery needs from the outside. */
export interface DeliverDeps {
  /** Sends webhook and healthcheck requests. */
  send: SendFn;
  /** Runs exec sinks' programs. */
  run: RunFn;
}

/** How one delivery attempt ended. */
export type DeliveryResult =
  /** The sink took it; `detail` is e.g. `HTTP 200` or `the command exited with status 0`. */
  | { kind: "delivered"; detail: string }
  /** It did not; `retryable` tells whether trying again later may help. */
  | { kind: "failed"; reason: string; retryable: boolean }
  /** The caller's signal fired first. */
  | { kind: "aborted" };

/** What a healthcheck is told. */
export type HealthStatus = "ok" | "fail";

/** A healthcheck ping: after each round, or for an event. */
export interface HealthPing {
  /** `fail` while something is stopped or failing, else `ok`. */
  status: HealthStatus;
  /** One line on the state of things; sent as the body of a POST ping and as `{{message}}`. */
  message: string;
  /** When (ISO 8601). */
  time: string;
}

/** Event kinds that make a healthcheck ping `fail`; every other kind pings `ok`. */
export const FAIL_KINDS: ReadonlySet<EventKind> = new Set(["stopped", "failing"]);

/** How long a quoted server reply or program output may be. */
const MAX_QUOTE_CHARS = 200;

/** The ping a healthcheck sink sends for `event`. */
export function pingOf(event: NotifyEvent): HealthPing {
  return {
    status: FAIL_KINDS.has(event.kind) ? "fail" : "ok",
    message: `${eventTitle(event)} - ${event.message}`,
    time: event.time,
  };
}

/**
 * The environment of an exec sink's program for `event` (dnsbeat adds `PATH`, nothing else).
 * Lists are space-separated; a missing reply or action is empty.
 */
function execEnv(event: NotifyEvent): Record<string, string> {
  const env: Record<string, string> = {
    DNSBEAT_EVENT: event.kind,
    DNSBEAT_EVENT_ID: event.id,
    DNSBEAT_PROVIDER: event.provider,
    DNSBEAT_PROVIDER_TYPE: event.providerType,
    DNSBEAT_HOSTS: event.hosts.join(" "),
    DNSBEAT_ADDRESSES: event.addresses.join(" "),
    DNSBEAT_MESSAGE: event.message,
    DNSBEAT_ACTION: event.action ?? "",
    DNSBEAT_REPLY: event.reply ?? "",
    DNSBEAT_TIME: event.time,
    DNSBEAT_TITLE: eventTitle(event),
    DNSBEAT_EVENT_JSON: JSON.stringify(event),
  };
  // An environment variable cannot hold NUL.
  for (const [name, value] of Object.entries(env)) env[name] = value.replaceAll("\0", "");
  return env;
}

/** Delivers `event` to `sink` once. Never throws. */
export async function deliver(
  sink: Sink,
  event: NotifyEvent,
  deps: DeliverDeps,
  signal?: AbortSignal,
): Promise<DeliveryResult> {
  try {
    switch (sink.type) {
      case "webhook":
        return await webhook(sink, event, deps.send, signal);
      case "healthcheck":
        return await ping(sink, pingOf(event), deps, signal);
      case "exec":
        return await exec(sink, event, deps.run, signal);
    }
  } catch {
    return internalError();
  }
}

/** Pings a healthcheck sink once: its `url` for `ok`, its `failUrl` for `fail`. Never throws. */
export async function ping(
  sink: HealthcheckSink,
  health: HealthPing,
  deps: DeliverDeps,
  signal?: AbortSignal,
): Promise<DeliveryResult> {
  try {
    const urlField = health.status === "ok" ? "url" : "failUrl";
    const url = renderUrl(health.status === "ok" ? sink.url : sink.failUrl, { ...health });
    const post = sink.method === "POST";
    const result = await deps.send({
      url,
      method: sink.method,
      headers: post ? { "Content-Type": "text/plain; charset=utf-8" } : {},
      body: post ? health.message : null,
      timeoutMs: sink.timeoutMs,
      signal,
    });
    return httpOutcome(result, sink, urlField, urlSecrets(url));
  } catch {
    return internalError();
  }
}

async function webhook(
  sink: WebhookSink,
  event: NotifyEvent,
  send: SendFn,
  signal?: AbortSignal,
): Promise<DeliveryResult> {
  const values = eventFields(event);
  const url = renderUrl(sink.url, values);
  const headers: Record<string, string> = {};
  for (const header of sink.headers) headers[header.name] = renderHeader(header.value, values);
  let body: string | null = null;
  if (sink.body?.kind === "json") body = renderJson(sink.body.template, values);
  if (sink.body?.kind === "text") {
    body = sink.body.format === "form"
      ? renderForm(sink.body.template, values)
      : renderText(sink.body.template, values);
  }
  const typed = Object.keys(headers).some((name) => name.toLowerCase() === "content-type");
  if (sink.body !== null && !typed) {
    headers["Content-Type"] = sink.body.kind === "json"
      ? "application/json"
      : "text/plain; charset=utf-8";
  }
  const result = await send({
    url,
    method: sink.method,
    headers,
    body,
    timeoutMs: sink.timeoutMs,
    signal,
  });
  // Rendered values of credential headers are masked; a Content-Type or a title is no secret.
  const secret = Object.entries(headers).filter(([name]) => isCredentialHeader(name));
  return httpOutcome(result, sink, "url", [...urlSecrets(url), ...secret.map(([, v]) => v)]);
}

/** The outcome of an HTTP attempt; `secrets` are masked in a quoted reply with the sink's own. */
function httpOutcome(
  result: SendResult,
  sink: WebhookSink | HealthcheckSink,
  urlField: string,
  secrets: readonly string[],
): DeliveryResult {
  const url = `${sink.field}.${urlField}`;
  switch (result.kind) {
    case "aborted":
      return result;
    case "unreached":
    case "failed":
      return networkFailure(result.reason, url);
    case "reply":
      break;
  }
  const status = result.status;
  if (status >= 200 && status < 300) return { kind: "delivered", detail: `HTTP ${status}` };
  const said = quote("it said", result.body, [...sinkSecrets([sink]), ...secrets]);
  const fail = (reason: string, retryable = false): DeliveryResult => ({
    kind: "failed",
    reason,
    retryable,
  });
  if (status >= 300 && status < 400) {
    return fail(
      `the server answered HTTP ${status}, a redirect, which dnsbeat does not follow${said}; set ${url} to the address it redirects to`,
    );
  }
  if (status >= 500 || status === 408 || status === 429) {
    const what = status === 429 ? " (too many requests)" : status === 408 ? " (too slow)" : "";
    return fail(`the server answered HTTP ${status}${what}${said}`, true);
  }
  if (status === 401 || status === 403) {
    return fail(
      `the server refused the credentials (HTTP ${status})${said}; check the token in ${url}${
        sink.type === "webhook" ? ` and ${sink.field}.headers` : ""
      }`,
    );
  }
  if (status === 404 || status === 410) {
    return fail(`the server does not know this address (HTTP ${status})${said}; check ${url}`);
  }
  if (status === 405) {
    return fail(
      `the server does not accept the method ${sink.method} (HTTP 405)${said}; check ${sink.field}.method`,
    );
  }
  if (status >= 400 && status < 500) {
    return fail(
      `the server rejected the request (HTTP ${status})${said}; check ${
        sink.type === "webhook" ? `${sink.field}.body and ${sink.field}.headers` : url
      }`,
    );
  }
  return fail(`the server answered HTTP ${status}, which is not a success${said}; check ${url}`);
}

async function exec(
  sink: ExecSink,
  event: NotifyEvent,
  run: RunFn,
  signal?: AbortSignal,
): Promise<DeliveryResult> {
  const result = await run(sink.command, execEnv(event), sink.timeoutMs, signal);
  const command = `${sink.field}.command`;
  if (result.kind === "aborted") return result;
  if (result.kind === "not-started") {
    return { kind: "failed", reason: `${result.reason}; check ${command}`, retryable: false };
  }
  const secrets = sinkSecrets([sink]);
  const output = quote("stderr", result.stderr, secrets) + quote("stdout", result.stdout, secrets);
  if (result.kind === "timed-out") {
    return {
      kind: "failed",
      reason: `the command timed out after ${
        formatTimeout(sink.timeoutMs)
      } and was killed${output}; raise ${sink.field}.timeout or make the program finish sooner`,
      retryable: true,
    };
  }
  if (result.signal !== null) {
    return {
      kind: "failed",
      reason:
        `the command was killed by ${result.signal}${output}; check the program in ${command}`,
      retryable: false,
    };
  }
  if (result.code !== 0) {
    return {
      kind: "failed",
      reason:
        `the command exited with status ${result.code}${output}; fix the program in ${command} so that it exits 0`,
      retryable: false,
    };
  }
  return { kind: "delivered", detail: `the command exited with status 0${output}` };
}

/**
 * A request that got no answer, in the words the provider requests use too: a port fetch never
 * connects to, or no permission to use the network, is fixed only by the user and not retried; a
 * TLS failure names what to check; anything else is worth another try.
 */
function networkFailure(reason: string, url: string): DeliveryResult {
  if (reason === BLOCKED_PORT) {
    return { kind: "failed", reason: `${reason} in ${url}`, retryable: false };
  }
  if (reason === NOT_PERMITTED) {
    return {
      kind: "failed",
      reason: `${reason}: dnsbeat runs without --allow-net for ${url}`,
      retryable: false,
    };
  }
  if (reason === TLS_FAILED) {
    return {
      kind: "failed",
      reason:
        `${reason}: check that the server in ${url} speaks HTTPS with a certificate this machine trusts, and that the machine's clock is right`,
      retryable: true,
    };
  }
  return {
    kind: "failed",
    reason: `${reason}; check the network and the server in ${url}`,
    retryable: true,
  };
}

/** `; LABEL: "TEXT"` with `text` on one line, cut and masked; empty for empty text. */
function quote(label: string, text: string, secrets: readonly string[]): string {
  // deno-lint-ignore no-control-regex
  const line = createRedactor(secrets)(text).replace(/[\s\x00-\x1f\x7f]+/g, " ").trim();
  if (line === "") return "";
  const chars = [...line];
  const cut = chars.length > MAX_QUOTE_CHARS
    ? chars.slice(0, MAX_QUOTE_CHARS).join("") + "…"
    : line;
  return `; ${label}: ${JSON.stringify(cut)}`;
}

function internalError(): DeliveryResult {
  return {
    kind: "failed",
    reason: "an internal error stopped the delivery; please report it as a dnsbeat bug",
    retryable: false,
  };
}
