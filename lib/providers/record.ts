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

/**
 * Logs that the state could not be saved for provider `name`: why (the store's last failure), and
 * that nothing is sent until it can be.
 */
export function notSaved(ctx: Pick<Context, "log" | "store">, name: string): void {
  ctx.log.error(stateNotSaved(name, ctx.store.failing ?? "unknown error"));
}

/**
 * Writes what came of a round of `p` now: `change` makes it in the state and returns the events
 * telling of it, staged in the same write. Then logs `said` (and that the state could not be
 * saved, if so) and hands the events to the sinks. Resolves whether the state was saved.
 */
export async function recordOutcome(
  ctx: Context,
  p: Provider,
  change: (draft: State) => EventInput[],
  said: readonly Said[] = [],
): Promise<boolean> {
  const events: ReturnType<Context["notify"]["stage"]>[] = [];
  const saved = await ctx.store.record((s) => {
    for (const input of change(s)) events.push(ctx.notify.stage(s, input));
  });
  for (const line of said) ctx.log[line.level](line.text);
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
 * the reply (and its events); then logs `said` and the stop's message, and sends the events.
 */
export async function recordStop(
  ctx: Context,
  p: Provider,
  { event, message, ...of }: StopOf,
  change: (draft: State) => EventInput[] = () => [],
  said: readonly Said[] = [],
): Promise<void> {
  const stop: Stop = { code: of.code, hosts: of.hosts, at: of.at, fingerprint: p.fingerprint };
  const stopped: EventInput = {
    kind: "stopped",
    provider: p.name,
    ...event,
    reply: stop.code,
    message,
    action: `Fix the cause named above, ${resumeHint(p.name, ctx.configPath)}`,
    time: stop.at,
  };
  await recordOutcome(ctx, p, (s) => {
    const events = change(s);
    s.providers[p.key]!.stop = stop;
    return [...events, stopped];
  }, [...said, { level: "error", text: message }]);
}
