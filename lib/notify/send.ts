/**
 * Sending one notification request over HTTP: a deadline that includes reading the reply, no
 * redirects followed (a redirect is an answer like any other, and the caller treats it as a
 * failure), the reply body capped at 4 KiB. Reasons are fixed phrases: never the URL, a header or
 * the runtime's error text, which quotes the URL (and with it any token).
 *
 * @module
 */
import { classifyFetchError } from "../net/http.ts";
import { formatTimeout } from "../config/duration.ts";

/** One notification request. */
export interface SendRequest {
  /** The URL (`http:` or `https:`); it may hold tokens and is never echoed in a result. */
  url: string;
  /** The method. */
  method: string;
  /** The headers to send. */
  headers: Record<string, string>;
  /** The body, or `null`. */
  body: string | null;
  /** Deadline for the whole exchange, in ms. */
  timeoutMs: number;
  /** The caller's shutdown signal. */
  signal?: AbortSignal;
}

/** How a request ended. */
export type SendResult =
  /** The server answered (any status, redirects included); `body` is at most 4 KiB of it. */
  | { kind: "reply"; status: number; body: string }
  /** The request certainly never reached the server. */
  | { kind: "unreached"; reason: string }
  /** The request may have reached the server, but no complete answer came. */
  | { kind: "failed"; reason: string }
  /** The caller's signal fired. */
  | { kind: "aborted" };

/** Sends a notification request; never throws. */
export type SendFn = (request: SendRequest) => Promise<SendResult>;

/** The shape of `fetch`, injectable for tests. */
export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** How much of a reply body is read. */
export const MAX_REPLY_BYTES = 4096;

/** A {@link SendFn} that uses `fetchFn` (default: the global `fetch`). */
export function fetchSend(fetchFn: FetchFn = fetch): SendFn {
  return async (request) => {
    if (request.signal?.aborted) return { kind: "aborted" };
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return { kind: "unreached", reason: "not a valid URL" };
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      return { kind: "unreached", reason: "not an http:// or https:// URL" };
    }
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, request.timeoutMs);
    const onAbort = () => controller.abort();
    request.signal?.addEventListener("abort", onAbort, { once: true });
    const stopped = (): SendResult | null =>
      request.signal?.aborted
        ? { kind: "aborted" }
        : timedOut
        ? { kind: "failed", reason: `no complete reply within ${formatTimeout(request.timeoutMs)}` }
        : null;
    try {
      let response: Response;
      try {
        response = await fetchFn(url.href, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          redirect: "manual",
          signal: controller.signal,
        });
      } catch (error) {
        return stopped() ?? classifyFetchError(error, url);
      }
      return await readReply(response, stopped);
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
    }
  };
}

async function readReply(
  response: Response,
  stopped: () => SendResult | null,
): Promise<SendResult> {
  const status = response.status;
  if (response.body === null) return { kind: "reply", status, body: "" };
  const reader = response.body.getReader();
  const bytes = new Uint8Array(MAX_REPLY_BYTES);
  let size = 0;
  try {
    while (size < MAX_REPLY_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.length, MAX_REPLY_BYTES - size);
      bytes.set(value.subarray(0, take), size);
      size += take;
    }
  } catch {
    return stopped() ?? { kind: "failed", reason: "connection reset before the reply ended" };
  } finally {
    await reader.cancel().catch(() => {});
  }
  return {
    kind: "reply",
    status,
    body: new TextDecoder().decode(bytes.subarray(0, size), { stream: size === MAX_REPLY_BYTES }),
  };
}
