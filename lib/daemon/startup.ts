/**
 * Start-up gating for small devices: before the first request, optionally wait a fixed delay,
 * then until the clock looks set (a Raspberry Pi has no real-time clock and reads 1970 until NTP
 * answers) and a network interface has an address. Waiting is bounded: after `maxWaitMs` dnsbeat
 * goes on anyway and says why.
 *
 * The time waited is counted by adding up the sleeps, never by reading the clock twice: when NTP
 * steps the clock from 1970 to today, a difference of two readings would be 56 years.
 *
 * @module
 */
import type { Clock } from "../clock.ts";
import { formatDuration } from "../config/duration.ts";

/** What to wait for before the first request (the config's `startup` object). */
export interface StartupOptions {
  /** Wait this long first, unconditionally (`startup.delay`). */
  delayMs: number;
  /** Wait until the clock reads after {@link SANE_CLOCK_AFTER} (`startup.waitForClock`). */
  waitForClock: boolean;
  /** Wait until {@link defaultNetworkUp} or its stand-in says yes (`startup.waitForNetwork`). */
  waitForNetwork: boolean;
  /** Give up waiting for the clock and the network after this long (`startup.maxWait`). */
  maxWaitMs: number;
}

/**
 * Epoch milliseconds of 2026-01-01T00:00:00Z. A clock that reads earlier has not been set yet:
 * no dnsbeat was built before that day.
 */
export const SANE_CLOCK_AFTER: number = Date.UTC(2026, 0, 1);

/** Outcome of {@link waitUntilReady}. */
export type StartupResult =
  | {
    /** Every condition holds (or none was asked for). */
    kind: "ready";
    /** Time spent waiting, delay included. */
    waitedMs: number;
    /** One sentence per thing that was waited for, for the log. */
    notes: string[];
  }
  | {
    /** The signal was aborted while waiting: the process is being stopped. */
    kind: "aborted";
  }
  | {
    /** `maxWaitMs` passed and a condition still does not hold; the caller goes on anyway. */
    kind: "gave-up";
    /** What still does not hold, as a sentence for the log. */
    reason: string;
  };

/** What {@link waitUntilReady} needs from the outside. */
export interface StartupDeps {
  /** Time and sleeping. */
  clock: Clock;
  /** Whether the network is up; {@link defaultNetworkUp} in the binary. */
  networkUp: () => boolean;
  /** Aborts the wait (SIGTERM/SIGINT). */
  signal?: AbortSignal;
  /** How often to look again, in milliseconds (default 1000). */
  pollMs?: number;
}

const DEFAULT_POLL_MS = 1000;

interface Condition {
  /** Whether it holds now. */
  holds: () => boolean;
  /** Why it does not hold, read when it does not. */
  problem: () => string;
  /** Waited time when it was seen failing first; null while it holds. */
  failedAt: number | null;
  /** The note once it holds after having failed. */
  resolved: string;
}

/**
 * Waits as `o` asks: first `delayMs`, then until the clock is sane and the network is up, each
 * only when asked for, polling every `pollMs`, for at most `maxWaitMs`.
 */
export async function waitUntilReady(
  o: StartupOptions,
  deps: StartupDeps,
): Promise<StartupResult> {
  const { clock, signal } = deps;
  const pollMs = Math.max(1, deps.pollMs ?? DEFAULT_POLL_MS);
  if (signal?.aborted) return { kind: "aborted" };
  const notes: string[] = [];
  if (o.delayMs > 0) {
    await clock.sleep(o.delayMs, signal);
    if (signal?.aborted) return { kind: "aborted" };
    notes.push(`waited ${formatDuration(o.delayMs)} as startup.delay asks`);
  }
  const conditions: Condition[] = [];
  if (o.waitForClock) {
    conditions.push({
      holds: () => clock.now() >= SANE_CLOCK_AFTER,
      problem: () =>
        `the clock reads ${describeTime(clock.now())}, before ${
          new Date(SANE_CLOCK_AFTER).toISOString().slice(0, 10)
        }, so it is not set yet`,
      failedAt: null,
      resolved: "the clock is set",
    });
  }
  if (o.waitForNetwork) {
    conditions.push({
      holds: deps.networkUp,
      problem: () => "no network interface has an address beyond loopback and link-local",
      failedAt: null,
      resolved: "a network interface has an address",
    });
  }
  let gated = 0;
  for (;;) {
    const failing = conditions.filter((c) => !c.holds());
    for (const c of conditions) {
      if (failing.includes(c)) c.failedAt ??= gated;
      else if (c.failedAt !== null) {
        notes.push(`${c.resolved} (waited ${formatDuration(gated - c.failedAt)})`);
        c.failedAt = null;
      }
    }
    if (failing.length === 0) return { kind: "ready", waitedMs: o.delayMs + gated, notes };
    if (gated >= o.maxWaitMs) {
      return {
        kind: "gave-up",
        reason: `after waiting ${formatDuration(gated)} (startup.maxWait), ${
          failing.map((c) => c.problem()).join("; and ")
        }`,
      };
    }
    const step = Math.min(pollMs, o.maxWaitMs - gated);
    await clock.sleep(step, signal);
    if (signal?.aborted) return { kind: "aborted" };
    gated += step;
  }
}

/**
 * Whether a network interface has an address usable beyond its own link: any IPv4 or IPv6
 * address except loopback (`127.0.0.0/8`, `::1`) and link-local (`169.254.0.0/16`, `fe80::/10`),
 * which an interface has without any network behind it. When the interfaces cannot be listed
 * (no `--allow-sys=networkInterfaces`), returns true: not knowing is no reason to wait.
 */
export function defaultNetworkUp(): boolean {
  try {
    return hasRoutableAddress(Deno.networkInterfaces());
  } catch {
    return true;
  }
}

/**
 * Whether any of `interfaces` has an IPv4 or IPv6 address other than loopback (`127.0.0.0/8`,
 * `::1`) and link-local (`169.254.0.0/16`, `fe80::/10`).
 */
export function hasRoutableAddress(interfaces: readonly { address: string }[]): boolean {
  return interfaces.some(({ address }) => {
    const a = address.toLowerCase();
    if (a.includes(":")) return a !== "::1" && !/^fe[89ab]/.test(a);
    return !a.startsWith("127.") && !a.startsWith("169.254.");
  });
}

function describeTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
