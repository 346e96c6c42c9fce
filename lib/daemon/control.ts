/**
 * How a running daemon is reached from outside: `dnsbeat resume` and `dnsbeat look` leave a
 * request file beside the state file, `SIGHUP` asks for the config to be read again and `SIGUSR1`
 * to look at the address now. Nothing is polled: the state's
 * directory is watched (inotify on Linux), and signals arrive by themselves, so between scheduled
 * events the daemon makes no system calls at all.
 *
 * @module
 */
import { describeFsError, directoryOf } from "../state/fs.ts";
import { lookRequestPath } from "./looks.ts";
import { type ResumeRequest, resumeRequestPath, takeResumeRequest } from "../state/resume.ts";

/** What a running daemon is asked to do. */
export type ControlEvent =
  /**
   * Read the config again, then lift exactly these stops (each still there as `dnsbeat resume` saw
   * it); `edited`: the config `dnsbeat resume` read, and when it was last changed.
   */
  | { kind: "resume"; stops: ResumeRequest["stops"]; edited: ResumeRequest["edited"] }
  /** Read the config again and apply it. */
  | { kind: "reload" }
  /** Look at the address now (a network event, `looks.ts`). */
  | { kind: "look" };

/** Where a daemon's control events come from. */
export interface Control {
  /** The next event; null when `signal` fired first. */
  next(signal: AbortSignal): Promise<ControlEvent | null>;
  /** Stops listening. */
  close(): void;
}

/** Events handed over in process (tests, and the real control's inside). */
export class ControlQueue implements Control {
  #events: ControlEvent[] = [];
  #waiters: ((event: ControlEvent) => void)[] = [];

  /** Queues `event` for the next {@link ControlQueue.next}. */
  push(event: ControlEvent): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter(event);
    else this.#events.push(event);
  }

  /** The next event; null when `signal` fired first (the event then stays queued). */
  next(signal: AbortSignal): Promise<ControlEvent | null> {
    const queued = this.#events.shift();
    if (queued) return Promise.resolve(queued);
    if (signal.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter = (event: ControlEvent) => {
        signal.removeEventListener("abort", onAbort);
        resolve(event);
      };
      const onAbort = () => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(null);
      };
      this.#waiters.push(waiter);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Nothing to release. */
  close(): void {}
}

/**
 * The real control of a daemon whose state file is `statePath`: a watch on the state's directory
 * for the request files of `dnsbeat resume` and `dnsbeat look` (one left while no daemon ran is
 * taken at once), `SIGHUP` for a reload, which also takes a pending resume request, and `SIGUSR1`
 * to look now (no signals on Windows). `warn` hears why the directory cannot be watched, if it
 * cannot.
 */
export function processControl(statePath: string, warn: (message: string) => void): Control {
  const queue = new ControlQueue();
  const nameOf = (path: string) => path.slice(path.lastIndexOf("/") + 1);
  const requestName = nameOf(resumeRequestPath(statePath));
  const lookName = nameOf(lookRequestPath(statePath));
  const take = async () => {
    const request = await takeResumeRequest(statePath);
    if (request !== null) queue.push({ kind: "resume", ...request });
    return request !== null;
  };
  const takeLook = async () => {
    try {
      await Deno.remove(lookRequestPath(statePath));
    } catch {
      return; // None, or taken already.
    }
    queue.push({ kind: "look" });
  };
  let watcher: Deno.FsWatcher | null = null;
  try {
    watcher = Deno.watchFs(directoryOf(statePath), { recursive: false });
  } catch (e) {
    warn(
      `Cannot watch ${directoryOf(statePath)} for \`dnsbeat resume\` (${
        describeFsError(e, directoryOf(statePath))
      }), so \`dnsbeat resume\` cannot reach it: to lift a stop, stop dnsbeat, run \`dnsbeat resume\`, then start dnsbeat again.`,
    );
  }
  if (watcher !== null) {
    const events = watcher;
    (async () => {
      try {
        for await (const event of events) {
          if (event.paths.some((path) => path.endsWith(`/${requestName}`))) await take();
          if (event.paths.some((path) => path.endsWith(`/${lookName}`))) await takeLook();
        }
      } catch {
        // The watch ended (close(), or the directory went away).
      }
    })();
  }
  take();
  takeLook();
  // A resume reads the config again too: one event is enough.
  const onHangup = async () => {
    if (!(await take())) queue.push({ kind: "reload" });
  };
  const onLook = () => queue.push({ kind: "look" });
  const signals = Deno.build.os !== "windows";
  if (signals) {
    Deno.addSignalListener("SIGHUP", onHangup);
    Deno.addSignalListener("SIGUSR1", onLook);
  }
  return {
    next: (signal) => queue.next(signal),
    close() {
      watcher?.close();
      if (signals) {
        Deno.removeSignalListener("SIGHUP", onHangup);
        Deno.removeSignalListener("SIGUSR1", onLook);
      }
    },
  };
}
