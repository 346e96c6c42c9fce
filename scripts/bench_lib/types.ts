/**
 * The benchmark's data: what each client sent in each scenario, what it cost, what it costs while
 * idle, how precise dnsbeat's DynamIP heartbeat is, how often it writes its state and how many
 * detections a round makes; and a target judged ({@link Verdict}). Produced by
 * `scripts/bench.ts`, rendered by `report.ts` and `timeline_svg.ts`. The fields added with issue
 * 13 are optional, so that older data files still render.
 *
 * @module
 */
import type { BeatSummary } from "./beats.ts";

/** The clients compared. */
export type ClientName = "dnsbeat" | "ddclient" | "inadyn";

/** The clients in the order of every table and of the timeline. */
export const CLIENTS: readonly ClientName[] = ["dnsbeat", "ddclient", "inadyn"];

/** The error replies of the scenarios, in order. */
export const ERROR_CODES: readonly string[] = ["badauth", "nohost", "abuse", "badagent", "911"];

/** One request the emulator saw from a client. */
export interface Hit {
  /** When it arrived (epoch ms). */
  at: number;
  /** An update (`/nic/update`) or an IP check (`/ip`). */
  kind: "update" | "ip";
  /** The first line of the reply. */
  reply: string;
  /** HTTP status of the reply (0: none). */
  status: number;
}

/** How a request is drawn and counted. */
export type HitClass = "good" | "nochg" | "error" | "ip";

/** The class of a request: IP check, success that changed something, needless, or refused. */
export function classify(hit: Hit): HitClass {
  if (hit.kind === "ip") return "ip";
  if (hit.status === 200 && hit.reply.startsWith("good")) return "good";
  if (hit.status === 200 && hit.reply.startsWith("nochg")) return "nochg";
  return "error";
}

/** One measured part of a scenario: a run, a series of restarts or a daemon period. */
export interface Phase {
  /** Stable key, e.g. `first`, `badauth-daemon`. */
  id: string;
  /** Row label of the table, e.g. `badauth → daemon 70 s`. */
  label: string;
  /** Column label of the timeline; phases without one are not drawn. */
  timeline?: string;
  /** When the phase began and ended (epoch ms). */
  start: number;
  /** End of the phase. */
  end: number;
  /** What the emulator saw during it. */
  hits: Hit[];
  /** One-shot runs that had not ended by themselves in time and were stopped. */
  stuck?: number;
  /** Set when a daemon ended by itself before the period was over. */
  exited?: { at: number; code: number };
}

/** Everything one client did in the scenarios. */
export interface ClientRun {
  /** The client. */
  client: ClientName;
  /** The phases, in order. */
  phases: Phase[];
  /** dnsbeat only: how long after the 911 reply its state file allows the next request (ms). */
  retryAfter911Ms?: number;
}

/** Costs of one client, or of the Deno runtime alone (`client` is then `deno`). */
export interface Costs {
  /** Whose costs. */
  client: ClientName | "deno";
  /** Median peak RSS of a one-shot run, KiB. */
  oneShotRssKb: number;
  /** Median user+system CPU time of a one-shot run (one check and one update), ms. */
  cpuMs: number;
  /** Median time from process start to the emulator's first request (or to exit), ms. */
  startMs: number;
  /** What {@link startMs} measured to: the first request, or the process's exit. */
  startTo: "first request" | "exit";
  /** Deno only: median time from start to the first request of a script that only fetches, ms. */
  fetchStartMs?: number;
  /** RSS of the idle daemon 10 s after its start, KiB. */
  idleRssKb: number;
  /** Deno only: RSS 10 s after the start of a script that fetches once, then idles, KiB. */
  fetchIdleRssKb?: number;
  /** Size on disk, bytes. */
  sizeBytes: number;
  /** What the size counts. */
  sizeNote: string;
}

/** Where the benchmark ran. */
export interface Machine {
  /** ISO date and time of the run. */
  date: string;
  /** CPU model. */
  cpu: string;
  /** Logical CPUs. */
  nproc: number;
  /** Memory, MiB. */
  memoryMb: number;
  /** Kernel release. */
  kernel: string;
  /** Operating system. */
  os: string;
  /** Versions: deno, ddclient, inadyn. */
  versions: Record<string, string>;
}

/** One DynamIP simulation. */
export interface DynamipFigures {
  /** Simulated days. */
  days: number;
  /** Virtual time each reply took, ms. */
  latencyMs: number;
  /** The beats. */
  summary: BeatSummary;
  /** Beats the emulator refused as too early. */
  violations: number;
  /** Times the emulator took the site offline. */
  offlineResets: number;
  /** State writes in each whole day from the start. */
  writesPerDay?: number[];
}

/** What the idle measurement ran: the clients, two Deno baselines, and dnsbeat from a bundle. */
export type IdleSubject = ClientName | "deno-timer" | "deno-fetch" | "dnsbeat-bundle";

/** The idle cost of one daemon between two checks (medians over the repeats). */
export interface IdleCost {
  /** Whose. */
  subject: IdleSubject;
  /** System calls a minute, every thread (`strace -f -c`). */
  syscallsPerMin: number;
  /** System calls a minute by name, over every traced window, most first. */
  syscallsByName: Record<string, number>;
  /** Context switches a minute, voluntary and involuntary, every thread, without strace. */
  switchesPerMin: number;
  /** `RssAnon` at the end, KiB. */
  rssAnonKb: number;
  /** `Private_Dirty` of `smaps_rollup` at the end, KiB. */
  privateDirtyKb: number;
  /** `VmRSS` at the end, KiB. */
  vmRssKb: number;
  /** Threads at the end. */
  threads: number;
  /** Requests its emulator saw during the windows, all repeats (0: it was idle throughout). */
  requestsWhileMeasured: number;
  /** Time from the daemon's start to its first request (of any kind), ms. */
  firstRequestMs?: number;
}

/** The windows of the idle measurement. */
export interface IdleTiming {
  /** Idle time after the last daemon's first round before anything is counted, ms. */
  warmupMs: number;
  /** The window of the context switches, ms. */
  switchesMs: number;
  /** The window of strace, ms. */
  traceMs: number;
}

/** A day of unchanged address for a No-IP provider after its first update, simulated. */
export interface QuietDayFigures {
  /** Simulated hours after the first update. */
  hours: number;
  /** The provider's check interval, ms. */
  intervalMs: number;
  /** Detections (checks) in that time. */
  checks: number;
  /** Update requests in that time. */
  updates: number;
  /** State writes in that time. */
  writes: number;
}

/** One `dnsbeat once` with `providers` No-IP providers of one IPv4 source. */
export interface DetectionRound {
  /** How many providers (each its own account with one host). */
  providers: number;
  /** Requests to the IP source. */
  ipRequests: number;
  /** Update requests. */
  updates: number;
  /** The updates' replies by their first word (`good`, `badauth`, …). */
  replies: Record<string, number>;
  /** Its exit code. */
  exitCode: number | null;
}

/** dnsbeat run from a `deno bundle` of main.ts, against main.ts itself (a lever, not shipped). */
export type BundleLever =
  | {
    /** The bundle was built and measured. */
    built: true;
    /** The command that built it. */
    command: string;
    /** Its size, bytes. */
    bytes: number;
    /** Runs per start-up figure. */
    samples: number;
    /** Median start to first request of `once` from main.ts, ms. */
    mainStartMs: number;
    /** The same from the bundle, ms. */
    bundleStartMs: number;
  }
  | {
    /** It could not be built. */
    built: false;
    /** Why. */
    reason: string;
  };

/** Settings of the run that the report states. */
export interface Settings {
  /** Real time of each daemon period, s. */
  daemonSeconds: number;
  /** The daemon interval each client ran with. */
  daemonInterval: Record<ClientName, string>;
  /** Delay between the first run and the IP change, s. */
  changeAfterSeconds: number;
  /** A one-shot run still running after this long was stopped, s. */
  oneShotLimitSeconds: number;
  /** Samples per cost figure. */
  samples: number;
  /** The idle measurement: interval of every client, windows, repeats. */
  idle?: IdleTiming & { intervalSeconds: number; repeats: number };
}

/** The whole benchmark. */
export interface BenchData {
  /** Machine and versions. */
  machine: Machine;
  /** Settings. */
  settings: Settings;
  /** Per client, the scenarios. */
  runs: ClientRun[];
  /** Costs of the clients and of the Deno runtime. */
  costs: Costs[];
  /** DynamIP simulations. */
  dynamip: DynamipFigures[];
  /** The idle daemons and baselines. */
  idle?: IdleCost[];
  /** A quiet No-IP day. */
  quietDay?: QuietDayFigures;
  /** `dnsbeat once` with 1, 5 and 20 providers. */
  detection?: DetectionRound[];
  /** The bundle lever. */
  bundle?: BundleLever;
}

/** One target of the issue, judged. */
export interface Verdict {
  /** The target, as the issue words it. */
  target: string;
  /** The measured figure. */
  figure: string;
  /** Whether it is met. */
  met: boolean;
  /** When missed: by how much and why. */
  miss?: string;
}
