/**
 * A process that rewrites a state file as fast as it can, for crash tests: state number `n`
 * (see {@link numberedState}) after state number `n - 1`, starting after the number the file
 * holds. It prints `ready` once it starts writing, then writes until killed (at most 1,000,000
 * states).
 *
 * Run: `deno run --allow-read --allow-write tests/helpers/state_writer.ts STATE_PATH`
 *
 * @module
 */
import { parseState, type State, STATE_VERSION } from "../../lib/state/mod.ts";
import { emptyDyndns2 } from "../../lib/providers/dyndns2/entry.ts";
import { writeStateAtomically } from "../../lib/state/store.ts";

/** State number `n`: grows and shrinks with `n` (1 to 120 hosts), its number in `backoff`. */
export function numberedState(n: number): State {
  const entry = emptyDyndns2("home");
  const at = (ms: number) => ({ at: new Date(1_800_000_000_000 + ms).toISOString(), mono: ms });
  entry.backoff = { failures: n, from: at(n * 1000), ms: 30_000 };
  const count = 1 + (n * 7) % 120;
  for (let i = 0; i < count; i++) {
    const ip = `81.2.${i % 256}.${n % 256}`;
    entry.hosts[`host-${i}.ddns.net`] = {
      sent: { ipv4: ip, ipv6: null },
      confirmed: { ipv4: ip, ipv6: null },
      reply: `good ${ip}`,
      success: at(n * 1000 + i),
    };
  }
  return {
    version: STATE_VERSION,
    boot: null,
    providers: { home: entry },
    notify: { outbox: [], sinks: {} },
  };
}

/** The number of a state made by {@link numberedState}. */
export function numberOf(state: State): number {
  return state.providers.home?.backoff?.failures ?? -1;
}

if (import.meta.main) {
  const path = Deno.args[0]!;
  const parsed = parseState(await Deno.readTextFile(path));
  let n = parsed.ok === true ? numberOf(parsed.state) : 0;
  await Deno.stdout.write(new TextEncoder().encode("ready\n"));
  for (let i = 0; i < 1_000_000; i++) await writeStateAtomically(path, numberedState(++n));
}
