/**
 * The state file's half of the provider table (`mod.ts`): each kind of provider entry, by its
 * discriminant in the file. The state file reads, checks and carries entries across reboots
 * through it, never by testing an entry's type itself; it holds no more than what the state
 * needs, so the state may use it without reaching the rounds.
 *
 * @module
 */
import type { IpFamily } from "../net/ip.ts";
import type { Moment } from "../state/moment.ts";
import { type EntryKind, isObject, type Problem, wrong } from "../state/parts.ts";
import { DYNAMIP_ENTRY, type DynamipState } from "./dynamip/entry.ts";
import { DYNDNS2_ENTRY, type Dyndns2State } from "./dyndns2/entry.ts";

/** One provider's entry. */
export type ProviderState = Dyndns2State | DynamipState;

const ENTRIES: { [T in ProviderState["type"]]: EntryKind<Extract<ProviderState, { type: T }>> } = {
  dyndns2: DYNDNS2_ENTRY,
  dynamip: DYNAMIP_ENTRY,
};

/** The kind of entry `e`, typed for it. */
export function entryKindOf(e: ProviderState): EntryKind<ProviderState> {
  return ENTRIES[e.type] as EntryKind<ProviderState>;
}

/** The schema of any provider entry: its kind's, by its `type`. */
export function checkEntry(v: unknown): Problem | null {
  if (!isObject(v)) return wrong("is not an object");
  const kind = typeof v.type === "string" && Object.hasOwn(ENTRIES, v.type)
    ? ENTRIES[v.type as ProviderState["type"]]
    : undefined;
  return kind ? kind.check(v) : wrong(`has an unknown provider type ${JSON.stringify(v.type)}`);
}

/** The moments of `e` that start a wait the rules impose (see {@link EntryKind.floors}). */
export function floorsOf(e: ProviderState): Moment[] {
  return present(entryKindOf(e).floors(e));
}

/** The moments of `e` that make something due (see {@link EntryKind.dues}). */
export function duesOf(e: ProviderState): Moment[] {
  return present(entryKindOf(e).dues(e));
}

/** The addresses of `family` that `e` last sent and its server accepted. */
export function sentOf(e: ProviderState, family: IpFamily): (string | null)[] {
  return entryKindOf(e).sent(e, family);
}

function present(all: (Moment | null | undefined)[]): Moment[] {
  return all.filter((m): m is Moment => m !== null && m !== undefined);
}
