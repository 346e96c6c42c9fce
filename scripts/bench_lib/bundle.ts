/**
 * A memory lever, measured and not shipped: dnsbeat run from one JavaScript file made
 * by `deno bundle --platform deno` (esbuild inside Deno) instead of from main.ts and its modules.
 * The bundle is built in the benchmark's temporary directory. `deno bundle` runs esbuild from
 * Deno's npm cache; the npm registry is pointed at a closed port on 127.0.0.1, so that a cache
 * without it fails here instead of downloading it.
 *
 * @module
 */
import { dnsbeatSpec } from "./clients.ts";
import type { EmulatorProcess } from "./emulator_process.ts";
import { type Children, readStamp } from "./process.ts";
import { median, subdir } from "./util.ts";

/** A built bundle, or why there is none. */
export type Bundle =
  | { path: string; command: string; bytes: number }
  | { reason: string };

/** Bundles `repo/main.ts` into `dir`. */
export async function buildBundle(repo: string, dir: string): Promise<Bundle> {
  const path = `${dir}/dnsbeat.bundle.js`;
  const args = ["bundle", "--quiet", "--platform", "deno", "--output", path, `${repo}/main.ts`];
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: repo,
    env: { NPM_CONFIG_REGISTRY: "http://127.0.0.1:9/" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const command = `deno ${args.join(" ").replaceAll(`${dir}/`, "").replaceAll(`${repo}/`, "")}`;
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim().split("\n")[0] ?? "";
    return { reason: `\`${command}\` failed: ${text}` };
  }
  return { path, command, bytes: (await Deno.stat(path)).size };
}

/**
 * Median time from start to the first request of `dnsbeat once` (fresh state) from main.ts and
 * from the bundle, `samples` runs each, alternating, after one unmeasured run of each.
 */
export async function measureBundleStart(
  bundle: string,
  emulator: EmulatorProcess,
  children: Children,
  dir: string,
  samples: number,
): Promise<{ mainStartMs: number; bundleStartMs: number }> {
  const specs = { main: dnsbeatSpec(), bundle: dnsbeatSpec(bundle) };
  const times: Record<keyof typeof specs, number[]> = { main: [], bundle: [] };
  let n = 0;
  const once = async (which: keyof typeof specs) => {
    await emulator.reset();
    const setup = await specs[which].setup(await subdir(dir, `${which}-${n}`), emulator.url);
    const stamp = `${dir}/${which}-${n++}.stamp`;
    await children.run({ argv: setup.oneShot, log: `${dir}/${which}.log`, stamp });
    const first = (await emulator.hits())[0];
    if (!first) throw new Error(`bundle lever: a run of ${which} sent no request`);
    return first.at - await readStamp(stamp);
  };
  await once("main");
  await once("bundle");
  for (let i = 0; i < samples; i++) {
    times.main.push(await once("main"));
    times.bundle.push(await once("bundle"));
  }
  return { mainStartMs: median(times.main), bundleStartMs: median(times.bundle) };
}
