/**
 * Lifting stops: by the user's `dnsbeat resume`, or because the provider's credentials, server or
 * hostnames changed since the stop (a stop is tied to the config that caused it). A running
 * daemon holds the state's lock, so `resume` leaves it a request file that it picks up.
 *
 * @module
 */
import type { Provider } from "./config_types.ts";
import type { Logger } from "./log.ts";
import type { State, Stop } from "./state.ts";
import type { StateStore } from "./state_store.ts";

/** The stops a provider's state holds, with the hosts they concern (none for DynamIP). */
export function stopsOf(state: State, name: string): { stop: Stop; hosts: string[] }[] {
  const entry = state.providers[name];
  if (!entry) return [];
  if (entry.type === "dynamip") return entry.stop ? [{ stop: entry.stop, hosts: [] }] : [];
  const byCode = new Map<string, { stop: Stop; hosts: string[] }>();
  for (const [host, h] of Object.entries(entry.hosts)) {
    if (!h.stop) continue;
    const key = `${h.stop.code} ${h.stop.at}`;
    const group = byCode.get(key) ?? { stop: h.stop, hosts: [] };
    group.hosts.push(host);
    byCode.set(key, group);
  }
  return [...byCode.values()];
}

/**
 * Clears the stops of provider `name` in `draft` (those whose fingerprint differs from
 * `onlyIfNot`, when given) and its network back-off. Returns the stops cleared, each once: hosts
 * stopped by one reply share one stop (as in {@link stopsOf}).
 */
export function clearStops(draft: State, name: string, onlyIfNot?: string): Stop[] {
  const entry = draft.providers[name];
  if (!entry) return [];
  const lift = (stop: Stop | null) => stop !== null && stop.fingerprint !== onlyIfNot;
  const cleared: Stop[] = [];
  if (entry.type === "dynamip") {
    if (lift(entry.stop)) {
      cleared.push(entry.stop!);
      entry.stop = null;
      entry.useAuto = false;
    }
  } else {
    for (const host of Object.values(entry.hosts)) {
      const stop = host.stop;
      if (stop === null || !lift(stop)) continue;
      if (!cleared.some((c) => c.code === stop.code && c.at === stop.at)) cleared.push(stop);
      host.stop = null;
    }
  }
  if (cleared.length > 0) entry.backoff = { failures: 0, until: null };
  return cleared;
}

/** At start-up: lifts every stop whose provider's config changed since. */
export async function liftChangedStops(
  store: StateStore,
  providers: readonly Provider[],
  log: Logger,
): Promise<void> {
  const changed = providers.filter((p) =>
    stopsOf(store.state, p.name).some(({ stop }) => stop.fingerprint !== p.fingerprint)
  );
  if (changed.length === 0) return;
  const lifted = new Map<string, Stop[]>();
  await store.update((draft) => {
    for (const p of changed) lifted.set(p.name, clearStops(draft, p.name, p.fingerprint));
  });
  for (const [name, stops] of lifted) {
    for (const stop of stops) {
      log.info(
        `Provider "${name}": its credentials, server or hostnames changed since the stop (${stop.code} at ${stop.at}); updates resume.`,
      );
    }
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
