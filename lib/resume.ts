/**
 * Lifting stops: by the user's `dnsbeat resume`, or because the provider's credentials, server or
 * hostnames changed since the stop (a stop is tied to the config that caused it). Only the stop
 * is lifted: a wait the server asked for (`911`) and a back-off still hold. A running daemon holds
 * the state's lock, so `resume` leaves it a request file that it picks up.
 *
 * @module
 */
import type { Provider } from "./config_types.ts";
import type { Logger } from "./log.ts";
import type { State, Stop } from "./state.ts";
import type { StateStore } from "./state_store.ts";

/** The stop of provider `p` in `state`, if any. */
export function stopOf(state: Readonly<State>, p: Provider): Stop | null {
  return state.providers[p.key]?.stop ?? null;
}

/** Lifts the stop of `p` in `draft`; returns it, or null when there was none. */
export function clearStop(draft: State, p: Provider): Stop | null {
  const entry = draft.providers[p.key];
  if (!entry?.stop) return null;
  const stop = entry.stop;
  entry.stop = null;
  if (entry.type === "dynamip") entry.useAuto = false;
  return stop;
}

/** Lifts every stop whose provider's credentials, server or hostnames changed since. */
export async function liftChangedStops(
  store: StateStore,
  providers: readonly Provider[],
  log: Logger,
): Promise<void> {
  const changed = providers.filter((p) => {
    const stop = stopOf(store.state, p);
    return stop !== null && stop.fingerprint !== p.fingerprint;
  });
  if (changed.length === 0) return;
  const lifted: [Provider, Stop][] = [];
  await store.record((draft) => {
    for (const p of changed) {
      const stop = clearStop(draft, p);
      if (stop) lifted.push([p, stop]);
    }
  });
  for (const [p, stop] of lifted) {
    log.info(
      `Provider "${p.name}": its credentials or hostnames changed since the stop (${stop.code} at ${stop.at}); updates resume.`,
    );
  }
}

/** Path of the file by which `resume` asks a running daemon to lift stops. */
export function resumeRequestPath(statePath: string): string {
  return `${statePath}.resume`;
}

/** Leaves a resume request for the running daemon (provider names; empty = all). */
export async function requestResume(statePath: string, names: readonly string[]): Promise<void> {
  const path = resumeRequestPath(statePath);
  const temp = `${path}.tmp-${Deno.pid}`;
  // Readable by all (it holds only provider names): `resume` may run as root while the daemon
  // runs as its own user (systemd's DynamicUser), which must be able to read it.
  await Deno.writeTextFile(temp, JSON.stringify({ providers: names }) + "\n", { mode: 0o644 });
  await Deno.rename(temp, path);
}

/** Takes (reads and removes) a pending resume request; null when there is none. */
export async function takeResumeRequest(statePath: string): Promise<string[] | null> {
  const path = resumeRequestPath(statePath);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    return null;
  }
  await Deno.remove(path).catch(() => {});
  try {
    const data = JSON.parse(text);
    return Array.isArray(data?.providers)
      ? data.providers.filter((n: unknown) => typeof n === "string")
      : [];
  } catch {
    return [];
  }
}
