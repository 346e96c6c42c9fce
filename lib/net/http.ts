/**
 * The one HTTP request path of providers and detection (a GET, or Cloudflare's PATCH): an overall
 * deadline that includes reading the body, a cap on the body, redirects followed only where
 * credentials stay with the same server, and outcomes that say whether the request may have
 * reached the server. Reasons are fixed phrases: never the URL, the headers or the runtime's error
 * text, which quotes the URL (and with it any password or token).
 *
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { formatDuration, SECOND } from "../config/duration.ts";

/** The shape of `fetch`, injectable for tests. */
export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** One GET request. */
export interface HttpGetRequest {
  /** The URL (`http:` or `https:`); it may hold secrets and is never echoed in a result. */
  url: string;
  /** Request headers; sent again to redirect targets only on the same server. */
  headers?: Record<string, string>;
  /** Overall deadline in ms, including reading the body (default 15 000). */
  timeoutMs?: number;
  /** Body cap in bytes (default 65 536): reading stops there and `truncated` is set. */
  maxBytes?: number;
  /** The caller's shutdown signal. */
  signal?: AbortSignal;
}

/** One request of any method (Cloudflare's API PATCHes a record). */
export interface HttpRequest extends HttpGetRequest {
  /** The method (default `GET`). */
  method?: string;
  /** The body, or `null` (the default). */
  body?: string | null;
}

/** How a request ended. */
export type HttpResult =
  /**
   * The server replied (any status); `body` is UTF-8 decoded with replacement characters;
   * `retryAfter` is its `Retry-After` header, when it sent one.
   */
  | { kind: "reply"; status: number; body: string; truncated: boolean; retryAfter?: string }
  /** The request certainly never reached the server (DNS lookup failed, connection refused, ...). */
  | { kind: "unreached"; reason: string }
  /** The request may have reached the server (timeout, connection reset, TLS or protocol error). */
  | { kind: "failed"; reason: string }
  /** A redirect that was not followed; `location` has no userinfo, query or fragment. */
  | { kind: "redirect-refused"; status: number; location: string; reason: string }
  /** The caller's signal fired. */
  | { kind: "aborted" };

const DEFAULT_TIMEOUT_MS = 15 * SECOND;
const DEFAULT_MAX_BYTES = 65_536;
const MAX_REDIRECTS = 3;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * GETs `req.url` with `fetchFn` (default: the global `fetch`); the deadline runs on `clock`.
 * Never throws; every outcome is an {@link HttpResult}. The response body is always consumed or
 * cancelled.
 */
export async function httpGet(
  req: HttpRequest,
  fetchFn: FetchFn = fetch,
  clock: Pick<Clock, "sleep"> = systemClock(),
): Promise<HttpResult> {
  if (req.signal?.aborted) return { kind: "aborted" };
  const timeoutMs = req.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxBytes = req.maxBytes ?? DEFAULT_MAX_BYTES;
  const controller = new AbortController();
  let timedOut = false;
  const finished = new AbortController();
  clock.sleep(timeoutMs, finished.signal).then(() => {
    if (finished.signal.aborted) return;
    timedOut = true;
    controller.abort();
  });
  const onAbort = () => controller.abort();
  req.signal?.addEventListener("abort", onAbort, { once: true });
  const stopped = (): HttpResult | null =>
    req.signal?.aborted
      ? { kind: "aborted" }
      : timedOut
      ? { kind: "failed", reason: `no complete reply within ${formatTimeout(timeoutMs)}` }
      : null;
  try {
    let url = parseHttpUrl(req.url);
    if (url === null) return { kind: "unreached", reason: "not a valid http:// or https:// URL" };
    for (let hop = 0;; hop++) {
      let response: Response;
      try {
        response = await fetchFn(url.href, {
          method: req.method,
          headers: req.headers,
          body: req.body,
          redirect: "manual",
          signal: controller.signal,
        });
      } catch (error) {
        return stopped() ?? classifyFetchError(error, url);
      }
      const location = response.headers.get("location");
      if (!REDIRECT_STATUSES.has(response.status) || location === null) {
        return await readBody(response, maxBytes, stopped);
      }
      await response.body?.cancel().catch(() => {});
      const next = parseHttpUrl(location, url);
      if (next === null) {
        return {
          kind: "redirect-refused",
          status: response.status,
          location: "",
          reason: "the server redirected to something that is not an http:// or https:// URL",
        };
      }
      const refusal = hop >= MAX_REDIRECTS
        ? `more than ${MAX_REDIRECTS} redirects`
        : redirectRefusal(url, next);
      if (refusal !== null) {
        return {
          kind: "redirect-refused",
          status: response.status,
          location: withoutSecrets(next),
          reason: refusal,
        };
      }
      url = next;
    }
  } finally {
    finished.abort();
    req.signal?.removeEventListener("abort", onAbort);
  }
}

async function readBody(
  response: Response,
  maxBytes: number,
  stopped: () => HttpResult | null,
): Promise<HttpResult> {
  const status = response.status;
  const header = response.headers.get("retry-after");
  const retryAfter = header === null ? {} : { retryAfter: header };
  if (response.body === null) {
    return { kind: "reply", status, body: "", truncated: false, ...retryAfter };
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.length > maxBytes) {
        chunks.push(value.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        break;
      }
      chunks.push(value);
      size += value.length;
    }
  } catch {
    return stopped() ?? { kind: "failed", reason: "connection reset before the reply ended" };
  } finally {
    await reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  // Streaming mode drops a character cut in half by the cap instead of showing U+FFFD for it.
  const body = new TextDecoder("utf-8").decode(bytes, { stream: truncated });
  return { kind: "reply", status, body, truncated, ...retryAfter };
}

function parseHttpUrl(text: string, base?: URL): URL | null {
  try {
    const url = new URL(text, base);
    return url.protocol === "http:" || url.protocol === "https:" ? url : null;
  } catch {
    return null;
  }
}

/** Why a redirect from `from` to `to` must not be followed, or `null` if it may. */
function redirectRefusal(from: URL, to: URL): string | null {
  if (from.protocol === "https:" && to.protocol === "http:") {
    return "the server redirected from https:// to plain http://";
  }
  if (to.origin === from.origin) return null;
  if (from.protocol === "http:" && to.protocol === "https:" && from.hostname === to.hostname) {
    return null;
  }
  return "the server redirected to another server, which would receive the credentials";
}

/** `url` without userinfo, query string and fragment. */
function withoutSecrets(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function formatTimeout(ms: number): string {
  return ms % SECOND === 0 ? formatDuration(ms) : `${ms}ms`;
}

/** Why a request to a port fetch refuses (6000, 6667, ...) never left: fixed by another port. */
export const BLOCKED_PORT =
  "the URL's port is one that fetch never connects to (reserved for other protocols); use another port";
/** Why an HTTPS request failed in its handshake. */
export const TLS_FAILED = "TLS handshake failed";
/** Why a request never left when dnsbeat may not use the network. */
export const NOT_PERMITTED = "network access not permitted";

const UNREACHED: [RegExp, string][] = [
  [
    /dns error|failed to lookup address|name or service not known|nodename nor servname|no address associated|name resolution/,
    "DNS lookup failed",
  ],
  [/connection refused/, "connection refused"],
  [/requests to port \d+ are blocked/, BLOCKED_PORT],
  [/network is unreachable|no route to host|host is unreachable/, "no route to the server"],
];

const FAILED: [RegExp, string][] = [
  [
    /connection reset|broken pipe|connection closed|incomplete message|unexpected eof/,
    "connection reset before the reply ended",
  ],
  [/certificate|tls|handshake|alert|corrupt message/, TLS_FAILED],
  [/invalid http|parse|header/, "the reply was not valid HTTP"],
  [/timed out|timeout/, "the connection timed out"],
];

/**
 * Classifies a rejected `fetch` by its error text, which is inspected but never returned: the
 * one table of network failures, for provider requests and notifications alike.
 */
export function classifyFetchError(
  error: unknown,
  url: URL,
): Extract<HttpResult, { kind: "unreached" | "failed" }> {
  if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
    return { kind: "unreached", reason: NOT_PERMITTED };
  }
  const text = errorText(error);
  for (const [pattern, reason] of UNREACHED) {
    if (pattern.test(text)) return { kind: "unreached", reason };
  }
  for (const [pattern, reason] of FAILED) {
    if (pattern.test(text)) return { kind: "failed", reason };
  }
  if (url.protocol === "https:" && text.includes("(connect)")) {
    return { kind: "failed", reason: TLS_FAILED };
  }
  return { kind: "failed", reason: "the request failed" };
}

/** The messages of `error` and its causes, lower-cased, with every URL removed. */
function errorText(error: unknown): string {
  const parts: string[] = [];
  let current = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(" | ").replace(/[a-z][a-z0-9+.-]*:\/\/\S*/gi, "").toLowerCase();
}
