/**
 * Sending one notification request over HTTP, through the one request path (`net/http.ts`) with
 * the notifications' rules: no redirects followed (a redirect is an answer like any other, and
 * the caller treats it as a failure), the reply body capped at 4 KiB.
 *
 * @module
 */
import { type FetchFn, httpRequest, type NoRedirectResult } from "../net/http.ts";

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

/** How a request ended: a reply (any status, redirects included) or why there was none. */
export type SendResult = NoRedirectResult;

/** Sends a notification request; never throws. */
export type SendFn = (request: SendRequest) => Promise<SendResult>;

/** How much of a reply body is read. */
export const MAX_REPLY_BYTES = 4096;

/** A {@link SendFn} that uses `fetchFn` (default: the global `fetch`). */
export function fetchSend(fetchFn: FetchFn = fetch): SendFn {
  return (request) =>
    httpRequest({ ...request, redirects: "none", maxBytes: MAX_REPLY_BYTES }, fetchFn);
}
