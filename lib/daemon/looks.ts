/**
 * "Look now": a network event (a PPPoE reconnect, a DHCP renewal, an interface coming up) is a
 * reason to look at the address before the interval ends, never a reason to send more than the
 * rules allow. A look wakes each DynDNS2 loop early; the round that follows obeys every stop, wait
 * and back-off, and its detection is shared like any other round's. A burst of events is one look:
 * the round waits {@link LOOK_SETTLE_MS} for the burst to end, and comes no sooner than
 * {@link LOOK_GAP_MS} after the previous round. DynamIP's beats keep their fixed marks: a beat
 * cannot come sooner, and the next one sends the address of its time.
 *
 * A running daemon is asked by `SIGUSR1`, or by `dnsbeat look`, which leaves a request file beside
 * the state file (as `dnsbeat resume` does) for scripts that do not know its PID.
 *
 * @module
 */
import { SECOND } from "../config/duration.ts";

/** How long a looked-for round waits for the rest of a burst of events. */
export const LOOK_SETTLE_MS: number = 2 * SECOND;
/** The least time between a round and the next one a look brings forward. */
export const LOOK_GAP_MS: number = 30 * SECOND;

/** Asks to look, heard by every loop that waits, and by one that was busy when it came. */
export class Looks {
  #asked = new AbortController();
  #lastAt: number | null = null;

  /** Aborts at the next {@link Looks.ask} (take it before waiting). */
  get asked(): AbortSignal {
    return this.#asked.signal;
  }

  /** When the last look was asked (monotonic ms), or null. */
  get lastAt(): number | null {
    return this.#lastAt;
  }

  /** Asks at `mono`: wakes every loop waiting on {@link Looks.asked}. */
  ask(mono: number): void {
    this.#lastAt = mono;
    const asked = this.#asked;
    this.#asked = new AbortController();
    asked.abort();
  }
}

/** The request file `dnsbeat look` leaves beside the state file (resolved). */
export function lookRequestPath(stateFile: string): string {
  return `${stateFile}.look`;
}

/**
 * Leaves a look request beside `stateFile` for the daemon that holds it. Readable by all: `look`
 * may run as root while the daemon runs as its own user, which must be able to take it.
 */
export async function requestLook(stateFile: string): Promise<void> {
  const path = lookRequestPath(stateFile);
  const temp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(temp, "", { mode: 0o644 });
  await Deno.rename(temp, path);
}
