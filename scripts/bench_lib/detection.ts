/**
 * Detections per round: `dnsbeat once` (the shipped flags, fresh state) with 1, 5 and 20 No-IP
 * providers, each its own account with one host, all at one emulator process whose `/ip` is the
 * only IP source. The emulator counts the requests to `/ip` and the updates.
 *
 * @module
 */
import { dnsbeatArgs } from "../dnsbeat.ts";
import type { EmulatorProcess } from "./emulator_process.ts";
import type { Children } from "./process.ts";
import type { DetectionRound } from "./types.ts";
import { subdir } from "./util.ts";

/** The account of provider `i` (from 0). */
function account(i: number): { username: string; password: string; host: string } {
  return {
    username: `bench-${i + 1}@example.com`,
    password: `bench-N0ip-Secret-${i + 1}`,
    host: `bench-${i + 1}.ddns.net`,
  };
}

/** The emulator's accounts file for `n` providers. */
export function detectionAccountsJson(n: number): string {
  const noip = Array.from({ length: n }, (_, i) => {
    const a = account(i);
    return { username: a.username, password: a.password, hosts: [a.host] };
  });
  return JSON.stringify({ noip, echoIp: { ipv4: "81.2.69.142" } });
}

/** Runs `dnsbeat once` with each count of providers in `counts` (at most the accounts'). */
export async function measureDetection(
  counts: readonly number[],
  emulator: EmulatorProcess,
  children: Children,
  dir: string,
): Promise<DetectionRound[]> {
  const rounds: DetectionRound[] = [];
  for (const n of counts) {
    await emulator.reset();
    const where = await subdir(dir, `providers-${n}`);
    const config = `${where}/config.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        state: `${where}/state.json`,
        ipSources: [`${emulator.url}/ip`],
        providers: Array.from({ length: n }, (_, i) => {
          const a = account(i);
          return {
            type: "noip",
            name: `bench-${i + 1}`,
            username: a.username,
            password: a.password,
            hostnames: [a.host],
            server: emulator.url,
          };
        }),
      }),
      { mode: 0o600 },
    );
    const argv = [Deno.execPath(), ...dnsbeatArgs(["once", "--config", config])];
    const exitCode = await children.run({ argv, log: `${dir}/once-${n}.log` });
    const hits = await emulator.hits();
    const updates = hits.filter((h) => h.kind === "update");
    const replies: Record<string, number> = {};
    for (const h of updates) {
      const word = h.reply.split(" ")[0] || `HTTP ${h.status}`;
      replies[word] = (replies[word] ?? 0) + 1;
    }
    rounds.push({
      providers: n,
      ipRequests: hits.filter((h) => h.kind === "ip").length,
      updates: updates.length,
      replies,
      exitCode,
    });
  }
  return rounds;
}
