/**
 * The live part of the idle measurements, after the costs: the idle daemons side by side
 * (`idle.ts`), the bundle lever (`bundle.ts`) and the detections per round (`detection.ts`).
 * Starts the emulators it needs besides the clients' own (one for the fetching Deno baseline, one
 * for the bundle, one with an account per provider for the detections) and stops them at the end.
 *
 * @module
 */
import { buildBundle, measureBundleStart } from "./bundle.ts";
import type { ClientSpec } from "./clients.ts";
import { detectionAccountsJson, measureDetection } from "./detection.ts";
import { type EmulatorProcess, startEmulatorProcess } from "./emulator_process.ts";
import { measureIdle } from "./idle.ts";
import { idleTargets } from "./idle_targets.ts";
import type { Children } from "./process.ts";
import type { BundleLever, ClientName, DetectionRound, IdleCost, IdleTiming } from "./types.ts";
import { subdir } from "./util.ts";

/** What the part measures. */
export interface IdlePartSettings {
  /** The clients. */
  specs: readonly ClientSpec[];
  /** Their emulators, running. */
  emulators: ReadonlyMap<ClientName, EmulatorProcess>;
  /** The accounts file of the clients' emulators. */
  accountsFile: string;
  /** The repository (its main.ts is bundled). */
  repo: string;
  /** The clients' check interval while idle, s. */
  intervalSeconds: number;
  /** The idle windows. */
  timing: IdleTiming;
  /** Runs of the idle measurement. */
  repeats: number;
  /** Runs per start-up figure of the bundle lever. */
  samples: number;
  /** Provider counts of the detection rounds. */
  providerCounts: readonly number[];
}

/** The part's figures. */
export interface IdlePartFigures {
  /** The idle daemons. */
  idle: IdleCost[];
  /** The bundle lever. */
  bundle: BundleLever;
  /** The detection rounds. */
  detection: DetectionRound[];
}

/** Runs the part in `dir`; `say` reports progress. */
export async function measureIdlePart(
  s: IdlePartSettings,
  children: Children,
  dir: string,
  say: (line: string) => void,
): Promise<IdlePartFigures> {
  const own: EmulatorProcess[] = [];
  const emulator = async (name: string, accountsFile = s.accountsFile) => {
    const e = await startEmulatorProcess(children, accountsFile, 0, `${dir}/emulator-${name}.log`);
    own.push(e);
    return e;
  };
  try {
    const built = await buildBundle(s.repo, await subdir(dir, "bundle"));
    if ("reason" in built) say(`bundle: ${built.reason}`);
    const bundleEmulator = await emulator("bundle");
    const targets = idleTargets(s.specs, {
      clients: s.emulators,
      deno: await emulator("deno"),
      ...("path" in built ? { bundle: { path: built.path, emulator: bundleEmulator } } : {}),
    }, s.intervalSeconds);
    const idle = await measureIdle(targets, children, dir, s.timing, s.repeats, say);

    if ("path" in built) say("bundle: start to first request of once, from main.ts and the bundle");
    const lever: BundleLever = "reason" in built ? { built: false, reason: built.reason } : {
      built: true,
      command: built.command,
      bytes: built.bytes,
      samples: s.samples,
      ...await measureBundleStart(
        built.path,
        bundleEmulator,
        children,
        await subdir(dir, "bundle-once"),
        s.samples,
      ),
    };

    say(`detections per round: once with ${s.providerCounts.join(", ")} providers`);
    const accounts = `${dir}/accounts-detection.json`;
    await Deno.writeTextFile(accounts, detectionAccountsJson(Math.max(...s.providerCounts)), {
      mode: 0o600,
    });
    const detection = await measureDetection(
      s.providerCounts,
      await emulator("detection", accounts),
      children,
      await subdir(dir, "detection"),
    );
    return { idle, bundle: lever, detection };
  } finally {
    for (const e of own) await e.close();
  }
}
