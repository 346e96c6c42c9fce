/**
 * How a provider's round writes down what came of it, the same for every kind: the outcome and
 * the events telling of it in one state write (no kill can leave one without the other), then
 * the log, then the notification sinks. A stop is {@link recordStop}'s, in one place for every
 * kind; a state that could not be saved is said by {@link notSaved}.
 *
 * @module
 */
import type { Provider } from "../config/types.ts";
import type { Context } from "../context.ts";
import type { Level } from "../log/mod.ts";
import { resumeHint, stateNotSaved } from "../messages.ts";
import type { EventInput } from "../notify/events.ts";
import type { State, Stop } from "../state/mod.ts";

/** A line for the log, at its level. */
export interface Said {
  /** The level it is logged at. */
  level: Level;
  /** The line. */
  text: string;
}

/** What a change of the state tells: events, staged in its write, and lines to log after it. */
export interface Told {
  /** The events, written in the same write as the change they tell of. */
  events?: readonly EventInput[];
  /** Lines for the log. */
  said?: readonly Said[];
}

/**
 * Logs that the state could not be saved for provider `name`: why (the store's last failure), and
 * that nothing is sent until it can be.
 */
export function notSaved(ctx: Pick<Context, "log" | "store">, name: string): void {
  ctx.log.error(stateNotSaved(name, ctx.store.failing ?? "unknown error"));
}

/**
 * Writes what came of a round of `p` now: `change` makes it in the state, and the events it tells
 * of are staged in the same write. Then logs what it said (and that the state could not be saved,
 * if so) and hands the events to the sinks. Resolves whether the state was saved.
 */
export async function recordOutcome(
  ctx: Pick<Context, "store" | "log" | "notify">,
  p: Pick<Provider, "name">,
  change: (draft: State) => Told,
): Promise<boolean> {
  let told: Told = {};
  const events: ReturnType<Context["notify"]["stage"]>[] = [];
  const saved = await ctx.store.record((s) => {
    told = change(s);
    for (const input of told.events ?? []) events.push(ctx.notify.stage(s, input));
  });
  for (const line of told.said ?? []) ctx.log[line.level](line.text);
  if (!saved) notSaved(ctx, p.name);
  ctx.notify.send(events);
  return saved;
}

/** A stop as a reply gave it, and what its event names and says (the log says it too). */
export interface StopOf extends Omit<Stop, "fingerprint"> {
  /** The provider's type and the hosts, for the event. */
  event: { providerType: string; hosts: readonly string[] };
  /** The cause, and what to do. */
  message: string;
}

/**
 * Stops provider `p` until the user acts: writes the stop (tied by its fingerprint to the config
 * that caused it) and its `stopped` event in one write, with what `change` makes of the rest of
 * the reply; then logs what that said and the stop's message, and sends the events.
 */
export async function recordStop(
  ctx: Pick<Context, "store" | "log" | "notify" | "configPath">,
  p: Pick<Provider, "name" | "key" | "fingerprint">,
  { event, message, ...of }: StopOf,
  change: (draft: State) => Told = () => ({}),
): Promise<void> {
  const stop: Stop = { code: of.code, hosts: of.hosts, at: of.at, fingerprint: p.fingerprint };
  await recordOutcome(ctx, p, (s) => {
    const { events = [], said = [] } = change(s);
    s.providers[p.key]!.stop = stop;
    return {
      events: [...events, {
        kind: "stopped",
        provider: p.name,
        ...event,
        reply: stop.code,
        message,
        action: `Fix the cause named above, ${resumeHint(p.name, ctx.configPath)}`,
        time: stop.at,
      }],
      said: [...said, { level: "error", text: message }],
    };
  });
}
