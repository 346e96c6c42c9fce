/**
 * Lifting stops: by the user's `dnsbeat resume`, or because the provider's credentials, server or
 * hostnames changed since the stop (a stop is tied to the config that caused it). Only the stop
 * is lifted: a wait the server asked for (`911`) and a back-off still hold. A running daemon holds
 * the state's lock, so `resume` leaves it a request file that it picks up.
 *
 * @module
 */
import type { Provider } from "../config/types.ts";
import { withdrawRequest } from "./fs.ts";
import type { Context } from "../context.ts";
import { iso } from "./moment.ts";
import { entryKindOf } from "../providers/entries.ts";
import { kindOf } from "../providers/mod.ts";
import { isObject, type State, type Stop } from "./mod.ts";

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
  entryKindOf(entry).lift(entry);
  return stop;
}

/**
 * Lifts the stops of `providers` in one write and reports each as a `resumed` event (`why`: what
 * lifted them). Returns what was lifted, each with its sentence, or null when the state could not
 * be saved (then nothing was lifted).
 */
export async function lift(
  ctx: Pick<Context, "store" | "log" | "notify" | "clock">,
  providers: readonly Provider[],
  why: string,
): Promise<{ p: Provider; stop: Stop; message: string }[] | null> {
  const at = iso(ctx.clock.now());
  const said: { p: Provider; stop: Stop; message: string }[] = [];
  const events: ReturnType<typeof ctx.notify.stage>[] = [];
  // The lifts and their `resumed` events are one write.
  const saved = await ctx.store.record((draft) => {
    for (const p of providers) {
      const stop = clearStop(draft, p);
      if (!stop) continue;
      const message =
        `Provider "${p.name}": ${why} (stopped by ${stop.code} at ${stop.at}); updates resume.`;
      said.push({ p, stop, message });
      events.push(ctx.notify.stage(draft, {
        kind: "resumed",
        provider: p.name,
        providerType: kindOf(p).configType(p),
        reply: stop.code,
        message,
        time: at,
      }));
    }
  });
  if (!saved) return null;
  ctx.notify.send(events);
  return said;
}

/** Lifts every stop whose provider's credentials, server or hostnames changed since. */
export async function liftChangedStops(
  ctx: Pick<Context, "store" | "log" | "notify" | "clock">,
  providers: readonly Provider[],
): Promise<void> {
  const changed = providers.filter((p) => {
    const stop = stopOf(ctx.store.state, p);
    return stop !== null && stop.fingerprint !== p.fingerprint;
  });
  if (changed.length === 0) return;
  const lifted = await lift(ctx, changed, "its credentials or hostnames changed since the stop");
  for (const { message } of lifted ?? []) ctx.log.info(message);
}

/** Path of the file by which `resume` asks a running daemon to lift stops. */
export function resumeRequestPath(statePath: string): string {
  return `${statePath}.resume`;
}

/** A stop as `dnsbeat resume` saw it: the provider, the reply code and when. */
export interface StopRef {
  /** The provider's identity ({@link Provider.key}): a renamed provider is the same one. */
  key: string;
  /** The provider's name, for messages. */
  name: string;
  /** The stop's reply code. */
  code: string;
  /** When it stopped (ISO 8601), as the state file records it. */
  at: string;
}

/** Whether `stop` is the stop `ref` names (and no later one). */
export function isStop(stop: Stop | null, ref: StopRef): boolean {
  return stop !== null && stop.code === ref.code && stop.at === ref.at;
}

/**
 * A request to a running daemon to lift stops: exactly the stops named, each by its provider,
 * code and moment, so that it lifts nothing that happened after the user looked; and the config
 * file `dnsbeat resume` read with its modification time (null when it could not tell).
 */
export interface ResumeRequest {
  /** The stops to lift. */
  stops: StopRef[];
  /** The config `dnsbeat resume` read, and when it was last changed (epoch ms). */
  edited: { path: string; modified: number } | null;
}

/** Leaves a resume request for the running daemon. */
export async function requestResume(statePath: string, request: ResumeRequest): Promise<void> {
  const path = resumeRequestPath(statePath);
  const temp = `${path}.tmp-${Deno.pid}`;
  // Readable by all (it holds only provider names, reply codes and a path): `resume` may run as
  // root while the daemon runs as its own user (systemd's DynamicUser), which must read it.
  await Deno.writeTextFile(
    temp,
    JSON.stringify({ stops: request.stops, edited: request.edited }) + "\n",
    { mode: 0o644 },
  );
  await Deno.rename(temp, path);
}

/**
 * Takes back a request no daemon took. True when it was withdrawn; false when a daemon took it
 * first (taking and withdrawing are both a rename: only one of them succeeds).
 */
export function withdrawResume(statePath: string): Promise<boolean> {
  return withdrawRequest(resumeRequestPath(statePath));
}

/**
 * Takes (moves aside, reads and removes) a pending resume request; null when there is none. A
 * request written by an older dnsbeat names no stop, and so lifts none.
 */
export async function takeResumeRequest(statePath: string): Promise<ResumeRequest | null> {
  const path = resumeRequestPath(statePath);
  const taken = `${path}.taken-${Deno.pid}`;
  try {
    await Deno.rename(path, taken);
  } catch {
    return null;
  }
  let text: string;
  try {
    text = await Deno.readTextFile(taken);
  } catch {
    return null;
  } finally {
    await Deno.remove(taken).catch(() => {});
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { stops: [], edited: null };
  }
  const stops = isObject(data) && Array.isArray(data.stops)
    ? data.stops.filter((r: unknown): r is StopRef =>
      isObject(r) && typeof r.key === "string" && typeof r.name === "string" &&
      typeof r.code === "string" && typeof r.at === "string"
    ).map((r: StopRef) => ({ key: r.key, name: r.name, code: r.code, at: r.at }))
    : [];
  const edited = isObject(data) && isObject(data.edited) &&
      typeof data.edited.path === "string" && typeof data.edited.modified === "number"
    ? { path: data.edited.path, modified: data.edited.modified }
    : null;
  return { stops, edited };
}
