/**
 * Scripted faults: misbehaviour the emulator shows on request, one fault per request, in the order
 * they were pushed, and the responses that carry them.
 *
 * @module
 */
import type { Clock } from "../clock.ts";

/**
 * Which requests a fault applies to: `update` is any No-IP, DynamIP, custom or Cloudflare request
 * (the default).
 */
export type FaultTarget = "update" | "noip" | "dynamip" | "custom" | "cloudflare" | "ip";

/** What a fault does, without the queueing options. */
export type FaultAction =
  /** Replies 200 with `body` instead of the real reply; nothing is updated. */
  | { kind: "code"; body: string }
  /**
   * Replies `status` with `body` (default empty), and a `Retry-After` of `retryAfter` seconds
   * when given; nothing is updated.
   */
  | { kind: "status"; status: number; body?: string; retryAfter?: number }
  /** Waits `ms` on the emulator's clock, then replies normally. */
  | { kind: "delay"; ms: number }
  /** Never replies until the server closes (in process: until the request's signal fires). */
  | { kind: "hang" }
  /** Sends the status line and headers, then drops the connection. */
  | { kind: "close" }
  /** Replies 200 with `bytes` bytes of `x`, streamed; nothing is updated. */
  | { kind: "huge"; bytes: number }
  /** Replies normally, one byte every `intervalMs` on the emulator's clock. */
  | { kind: "trickle"; intervalMs: number }
  /** Replies `status` (default 302) with `Location: location`; nothing is updated. */
  | { kind: "redirect"; location: string; status?: number }
  /** Replies 200 with an HTML error page, as a captive portal or a broken proxy does. */
  | { kind: "html" }
  /** No-IP: updates as usual, but each success line names `ip` instead (another address). */
  | { kind: "confirm"; ip: string }
  /** No-IP: updates as usual, but each success line names the IPv4 address only (no AAAA). */
  | { kind: "v4-only" };

/** A scripted fault: an action, for the next `times` (default 1) requests of `target`. */
export type Fault = FaultAction & { times?: number; target?: FaultTarget };

const TARGETS: readonly FaultTarget[] = ["update", "noip", "dynamip", "custom", "cloudflare", "ip"];
const REDIRECTS = [301, 302, 303, 307, 308];

/** The HTML page of the `html` fault. */
export const HTML_PAGE =
  "<!DOCTYPE html>\n<html><head><title>503 Service Temporarily Unavailable</title></head>\n" +
  "<body><h1>Service Temporarily Unavailable</h1><p>Please try again later.</p></body></html>\n";

/** Validates a fault sent to the control API; the error names the field. */
export function parseFault(json: unknown): Fault | { error: string } {
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return { error: "fault: expected an object" };
  }
  const f = json as Record<string, unknown>;
  const common = parseCommon(f);
  if ("error" in common) return common;
  const action = parseAction(f);
  if ("error" in action) return action;
  return { ...action, ...common };
}

function parseCommon(f: Record<string, unknown>): Pick<Fault, "times" | "target"> | {
  error: string;
} {
  const out: Pick<Fault, "times" | "target"> = {};
  if (f.times !== undefined) {
    if (!isCount(f.times, 1)) return { error: "fault.times: expected a whole number ≥ 1" };
    out.times = f.times;
  }
  if (f.target !== undefined) {
    if (!TARGETS.includes(f.target as FaultTarget)) {
      return { error: `fault.target: expected one of ${TARGETS.join(", ")}` };
    }
    out.target = f.target as FaultTarget;
  }
  return out;
}

function parseAction(f: Record<string, unknown>): FaultAction | { error: string } {
  switch (f.kind) {
    case "code":
      return typeof f.body === "string"
        ? { kind: "code", body: f.body }
        : { error: "fault.body: expected a string" };
    case "status": {
      if (!isCount(f.status, 200) || f.status > 599) {
        return { error: "fault.status: expected an HTTP status 200-599" };
      }
      if (f.body !== undefined && typeof f.body !== "string") {
        return { error: "fault.body: expected a string" };
      }
      if (f.retryAfter !== undefined && !isCount(f.retryAfter, 0)) {
        return { error: "fault.retryAfter: expected seconds ≥ 0" };
      }
      return {
        kind: "status",
        status: f.status,
        ...(f.body === undefined ? {} : { body: f.body as string }),
        ...(f.retryAfter === undefined ? {} : { retryAfter: f.retryAfter as number }),
      };
    }
    case "delay":
      return isCount(f.ms, 0)
        ? { kind: "delay", ms: f.ms }
        : { error: "fault.ms: expected milliseconds ≥ 0" };
    case "hang":
    case "close":
    case "html":
    case "v4-only":
      return { kind: f.kind };
    case "confirm":
      return typeof f.ip === "string" && f.ip !== ""
        ? { kind: "confirm", ip: f.ip }
        : { error: "fault.ip: expected the address the success lines name" };
    case "huge":
      return isCount(f.bytes, 0)
        ? { kind: "huge", bytes: f.bytes }
        : { error: "fault.bytes: expected a byte count ≥ 0" };
    case "trickle":
      return isCount(f.intervalMs, 0)
        ? { kind: "trickle", intervalMs: f.intervalMs }
        : { error: "fault.intervalMs: expected milliseconds ≥ 0" };
    case "redirect": {
      if (typeof f.location !== "string" || f.location === "") {
        return { error: "fault.location: expected a URL" };
      }
      if (f.status === undefined) return { kind: "redirect", location: f.location };
      return REDIRECTS.includes(f.status as number)
        ? { kind: "redirect", location: f.location, status: f.status as number }
        : { error: `fault.status: expected one of ${REDIRECTS.join(", ")}` };
    }
    default:
      return {
        error: "fault.kind: expected one of code, status, delay, hang, close, huge, trickle, " +
          "redirect, html, confirm, v4-only",
      };
  }
}

function isCount(value: unknown, min: number): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= min;
}

/** Pending faults, each taken by the first request its target matches. */
export class FaultQueue {
  #faults: { fault: Fault; left: number }[] = [];

  /** Queues a fault behind the others. */
  push(fault: Fault): void {
    this.#faults.push({ fault: structuredClone(fault), left: fault.times ?? 1 });
  }

  /** The first pending fault for a request of `provider`, used up once; `null` if none. */
  take(provider: "noip" | "dynamip" | "custom" | "cloudflare" | "ip"): FaultAction | null {
    const index = this.#faults.findIndex(({ fault }) => {
      const target = fault.target ?? "update";
      return target === provider || (target === "update" && provider !== "ip");
    });
    const entry = this.#faults[index];
    if (entry === undefined) return null;
    entry.left -= 1;
    if (entry.left <= 0) this.#faults.splice(index, 1);
    const { times: _times, target: _target, ...action } = entry.fault;
    return action;
  }

  /** The pending faults, with the uses each has left as `times`. */
  pending(): Fault[] {
    return this.#faults.map(({ fault, left }) => ({ ...structuredClone(fault), times: left }));
  }

  /** Forgets every pending fault. */
  clear(): void {
    this.#faults = [];
  }
}

/** A reply as an endpoint decides it, before it becomes a `Response`. */
export interface Reply {
  /** HTTP status. */
  status: number;
  /** The body. */
  body: string;
  /** Response headers. */
  headers: Record<string, string>;
}

/** The `Response` of a {@link Reply} (no body when it is empty). */
export function toResponse(reply: Reply): Response {
  const body = reply.body === "" ? null : reply.body;
  return new Response(body, { status: reply.status, headers: reply.headers });
}

/**
 * A 200 response whose body fails at once: the client gets the status line and headers, then
 * the connection drops (over a socket), or reading the body throws (in process).
 */
export function droppedResponse(): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.error(new TypeError("connection closed by the emulator"));
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "text/plain" } });
}

/** A 200 response of `bytes` bytes of `x`, made as the client reads. */
export function hugeResponse(bytes: number): Response {
  const chunk = new Uint8Array(64 * 1024).fill(0x78);
  let left = bytes;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (left <= 0) return controller.close();
      const size = Math.min(left, chunk.length);
      controller.enqueue(chunk.slice(0, size));
      left -= size;
    },
  });
  return new Response(body, { status: 200, headers: { "content-type": "text/plain" } });
}

/**
 * `body` with `init`, one byte every `intervalMs` of `clock` (the first at once). When `signal`
 * fires, the body fails as in {@link droppedResponse}.
 */
export function trickleResponse(
  body: string,
  init: ResponseInit,
  intervalMs: number,
  clock: Clock,
  signal: AbortSignal,
): Response {
  const bytes = new TextEncoder().encode(body);
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent > 0 && sent < bytes.length) await clock.sleep(intervalMs, signal);
      if (signal.aborted) return controller.error(new TypeError("connection closed"));
      if (sent >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(sent, sent + 1));
      sent += 1;
    },
  }, { highWaterMark: 0 });
  return new Response(stream, init);
}
