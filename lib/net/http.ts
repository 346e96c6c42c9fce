/**
 * The one HTTP request path: an overall deadline that includes reading the body, a cap on the
 * body, redirects followed only where credentials stay with the same server (or none followed),
 * and outcomes that say whether the request may have reached the server. Reasons are fixed
 * phrases: never the URL, the headers or the runtime's error text, which quotes the URL (and with
 * it any password or token). Provider requests and notifications both go through it.
 *
 * @module
 */
import { type Clock, systemClock } from "../clock.ts";
import { formatTimeout, SECOND } from "../config/duration.ts";

/** The shape of `fetch`, injectable for tests. */
export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** One request: a GET, unless `method` says otherwise. */
export interface HttpGetRequest {
  /** The URL (`http:` or `https:`); it may hold secrets and is never echoed in a result. */
  url: string;
  /** The method (default `GET`). */
  method?: string;
  /** Request headers; sent again to redirect targets only on the same server. */
  headers?: Record<string, string>;
  /** The body, sent again to a redirect target only by a 307 or 308. */
  body?: string | null;
  /** Overall deadline in ms, including reading the body (default 15 000). */
  timeoutMs?: number;
  /** Body cap in bytes (default 65 536): reading stops there and `truncated` is set. */
  maxBytes?: number;
  /** The caller's shutdown signal. */
  signal?: AbortSignal;
}

/** One request of any method. */
export interface HttpRequest extends HttpGetRequest {
  /**
   * `"same-server"` (the default) follows up to 3 redirects that keep the credentials with the
   * same server (sending the same method, headers and body) and refuses the others; `"none"`
   * follows none: a redirect is a reply like another.
   */
  redirects?: "same-server" | "none";
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

/** How a request that follows no redirect ends. */
export type NoRedirectResult = Exclude<HttpResult, { kind: "redirect-refused" }>;

const DEFAULT_TIMEOUT_MS = 15 * SECOND;
const DEFAULT_MAX_BYTES = 65_536;
const MAX_REDIRECTS = 3;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Sends `req` with `fetchFn` (default: the global `fetch`); the deadline runs on `clock`. Never
 * throws; every outcome is an {@link HttpResult}. The response body is always consumed or
 * cancelled.
 */
export function httpRequest(
  req: HttpRequest & { redirects: "none" },
  fetchFn?: FetchFn,
  clock?: Pick<Clock, "sleep">,
): Promise<NoRedirectResult>;
/** Sends `req`, following redirects that keep credentials with the same server. */
export function httpRequest(
  req: HttpRequest,
  fetchFn?: FetchFn,
  clock?: Pick<Clock, "sleep">,
): Promise<HttpResult>;
export async function httpRequest(
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
    let method = req.method ?? "GET";
    let body = req.body;
    if (url === null) return { kind: "unreached", reason: "not a valid http:// or https:// URL" };
    for (let hop = 0;; hop++) {
      let response: Response;
      try {
        response = await fetchFn(url.href, {
          method,
          headers: req.headers,
          ...(body === undefined ? {} : { body }),
          redirect: "manual",
          signal: controller.signal,
        });
      } catch (error) {
        return stopped() ?? classifyFetchError(error, url);
      }
      const location = response.headers.get("location");
      if (
        req.redirects === "none" || !REDIRECT_STATUSES.has(response.status) || location === null
      ) {
        const retry = response.headers.get("retry-after");
        const reply = {
          kind: "reply",
          status: response.status,
          ...(retry === null ? {} : { retryAfter: retry }),
        } as const;
        if (response.body === null) return { ...reply, body: "", truncated: false };
        const read = await readCapped(response.body.getReader(), maxBytes);
        if (read.broken) {
          return stopped() ?? { kind: "failed", reason: "connection reset before the reply ended" };
        }
        return { ...reply, body: read.text, truncated: read.truncated };
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
      // RFC 9110: only 307 and 308 keep the method and body; the others go on as a GET.
      if (response.status !== 307 && response.status !== 308) {
        method = "GET";
        body = undefined;
      }
    }
  } finally {
    finished.abort();
    req.signal?.removeEventListener("abort", onAbort);
  }
}

/** What {@link readCapped} read. */
export interface CappedRead {
  /** The bytes kept, UTF-8 decoded; a character cut in half by the cap is left out. */
  text: string;
  /** Whether the stream held more than the cap. */
  truncated: boolean;
  /** Whether the stream failed before its end (`text` is what came before). */
  broken: boolean;
}

/**
 * Reads a byte stream (a reply body, a program's output), keeping its first `maxBytes`. Without
 * `drain` it stops at the cap; with it, it reads on to the end (so that a program writing more is
 * not blocked) and keeps nothing more. Cancelling `reader` ends the read with what came so far.
 * Never rejects; the reader is cancelled when it ends.
 */
export async function readCapped(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  maxBytes: number,
  drain = false,
): Promise<CappedRead> {
  const kept = new Uint8Array(maxBytes);
  let size = 0;
  let truncated = false;
  let broken = false;
  try {
    while (!truncated || drain) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, maxBytes - size);
      kept.set(value.subarray(0, take), size);
      size += take;
      truncated ||= take < value.length;
    }
  } catch {
    broken = true;
  } finally {
    await reader.cancel().catch(() => {});
  }
  // Streaming mode drops a character cut in half by the cap instead of showing U+FFFD for it.
  const text = new TextDecoder().decode(kept.subarray(0, size), { stream: truncated });
  return { text, truncated, broken };
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
function classifyFetchError(
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
