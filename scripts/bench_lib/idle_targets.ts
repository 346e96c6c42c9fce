/**
 * The daemons of the idle measurement: the three clients with one check every
 * `intervalSeconds`, each against its own emulator; the Deno runtime with one `setInterval` of
 * that period, alone and after one fetch of its emulator's `/ip`; and, when it was built, dnsbeat
 * from a bundle, against its own emulator.
 *
 * @module
 */
import { type ClientSpec, dnsbeatSpec } from "./clients.ts";
import type { EmulatorProcess } from "./emulator_process.ts";
import type { IdleTarget } from "./idle.ts";
import type { ClientName } from "./types.ts";

/** Emulators of the targets that send requests. */
export interface IdleEmulators {
  /** Each client's. */
  clients: ReadonlyMap<ClientName, EmulatorProcess>;
  /** The fetching Deno baseline's. */
  deno: EmulatorProcess;
  /** The bundle's, with the bundle, if it was built. */
  bundle?: { path: string; emulator: EmulatorProcess };
}

/** The targets, in report order. */
export function idleTargets(
  specs: readonly ClientSpec[],
  emulators: IdleEmulators,
  intervalSeconds: number,
): IdleTarget[] {
  const client = (spec: ClientSpec, emulator: EmulatorProcess): IdleTarget => ({
    subject: spec.name,
    emulator,
    async prepare(dir) {
      const setup = await spec.setup(dir, emulator.url, intervalSeconds);
      return {
        argv: setup.daemon,
        log: `${dir}.log`,
        ...(setup.namespace ? { namespace: setup.namespace } : {}),
      };
    },
  });
  const deno = Deno.execPath();
  const timer = `setInterval(() => {}, ${intervalSeconds * 1000});\n`;
  const targets: IdleTarget[] = specs.map((spec) => {
    const emulator = emulators.clients.get(spec.name);
    if (!emulator) throw new Error(`idle: no emulator for ${spec.name}`);
    return client(spec, emulator);
  });
  targets.push({
    subject: "deno-timer",
    async prepare(dir) {
      await Deno.writeTextFile(`${dir}/timer.ts`, timer);
      return { argv: [deno, "run", "--quiet", `${dir}/timer.ts`], log: `${dir}.log` };
    },
  }, {
    subject: "deno-fetch",
    emulator: emulators.deno,
    firstRequest: "ip",
    async prepare(dir) {
      await Deno.writeTextFile(
        `${dir}/fetch_timer.ts`,
        `await (await fetch(Deno.args[0]!)).text();\n${timer}`,
      );
      return {
        argv: [
          deno,
          "run",
          "--quiet",
          "--allow-net=127.0.0.1",
          `${dir}/fetch_timer.ts`,
          `${emulators.deno.url}/ip`,
        ],
        log: `${dir}.log`,
      };
    },
  });
  if (emulators.bundle) {
    const { path, emulator } = emulators.bundle;
    targets.push({ ...client(dnsbeatSpec(path), emulator), subject: "dnsbeat-bundle" });
  }
  return targets;
}
