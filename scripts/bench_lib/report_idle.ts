/**
 * The report's sections on idle cost (what dnsbeat costs while it waits): idle system calls,
 * context switches and memory of each daemon, state writes, detections per round, the bundle
 * lever; and the idle targets, judged. Each section and verdict is left out when the data has
 * no figures for it (data saved by an older benchmark). Pure: data in, Markdown out.
 *
 * @module
 */
import { mb, ms, range, rate, signed, signedMs } from "./format.ts";
import type { BenchData, DynamipFigures, IdleCost, IdleSubject, Verdict } from "./types.ts";

const LABELS: Record<IdleSubject, string> = {
  dnsbeat: "dnsbeat",
  ddclient: "ddclient",
  inadyn: "inadyn",
  "deno-timer": "Deno alone: one timer",
  "deno-fetch": "Deno alone: one fetch, then one timer",
  "dnsbeat-bundle": "dnsbeat from a bundle",
};

/** The idle targets. */
const MAX_IDLE_SYSCALLS_PER_MIN = 5;
const MAX_IDLE_ANON_KB = 12 * 1024;
const MAX_START_OVER_FETCH_MS = 30;

/** The sections, after the DynamIP precision. */
export function idleSections(data: BenchData): string[] {
  return [
    ...idleSection(data),
    ...writesSection(data),
    ...detectionSection(data),
    ...bundleSection(data),
  ];
}

function idleSection(data: BenchData): string[] {
  const idle = data.idle;
  const how = data.settings.idle;
  if (!idle || !how) return [];
  const seconds = (value: number) => `${Math.round(value / 1000)} s`;
  const busy = idle.filter((c) => c.requestsWhileMeasured > 0);
  return [
    "## Idle cost",
    "",
    "What each daemon costs between two checks. dnsbeat, ddclient and inadyn check every " +
    `${how.intervalSeconds / 60} min (\`interval\`, \`daemon=${how.intervalSeconds}\`, ` +
    `\`period = ${how.intervalSeconds}\`), each against its own emulator; Deno alone runs one ` +
    `\`setInterval\` of the same period, alone and after one fetch of its emulator's \`/ip\`. ` +
    "They run side by side: each is started from fresh state after the one before has done its " +
    `first round; ${seconds(how.warmupMs)} after the last one's, the context switches of every ` +
    `thread are counted over ${seconds(how.switchesMs)} (\`/proc/PID/task/*/status\`, without ` +
    "strace: under strace every system call stops the thread twice), then " +
    `\`strace -f -c -p PID\` counts the system calls of every thread over ` +
    `${seconds(how.traceMs)}, then \`/proc\` gives the memory. ` +
    (how.repeats === 1 ? "One run." : `Medians of ${how.repeats} runs.`) + " " +
    (busy.length === 0
      ? "No request reached any emulator during the windows: every daemon was idle."
      : `Requests during the windows (not idle): ${
        busy.map((c) => `${LABELS[c.subject]} ${c.requestsWhileMeasured}`).join(", ")
      }.`),
    "",
    "| | System calls a minute | Context switches a minute | Anonymous (`RssAnon`) | " +
    "`Private_Dirty` | `VmRSS` | Threads |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...idle.map((c) =>
      `| ${LABELS[c.subject]} | ${rate(c.syscallsPerMin)} | ${rate(c.switchesPerMin)} | ${
        mb(c.rssAnonKb)
      } | ${mb(c.privateDirtyKb)} | ${mb(c.vmRssKb)} | ${c.threads} |`
    ),
    "",
    "System calls a minute by name (strace), the most frequent first:",
    "",
    ...idle.map((c) => `- ${LABELS[c.subject]}: ${topCalls(c)}.`),
    "- `VmRSS` counts the clean pages of the program's file (most of Deno's), which the kernel " +
    "can drop and read again; `RssAnon` is what a router without swap has to keep.",
    "",
  ];
}

function topCalls(c: IdleCost): string {
  const entries = Object.entries(c.syscallsByName);
  if (entries.length === 0) return "none";
  const top = entries.slice(0, 6).map(([name, n]) => `\`${name}\` ${rate(n)}`);
  return entries.length > 6 ? `${top.join(", ")}, others ${rate(rest(entries.slice(6)))}` : top
    .join(", ");
}

function rest(entries: readonly [string, number][]): number {
  return entries.reduce((sum, [, n]) => sum + n, 0);
}

function writesSection(data: BenchData): string[] {
  const sims = data.dynamip.filter((s) => s.writesPerDay !== undefined);
  const quiet = data.quietDay;
  if (sims.length === 0 && !quiet) return [];
  return [
    "## State writes",
    "",
    "Counted by the in-memory state store of the simulations (`StateStore.writes`): every write " +
    "is a temporary file, an fsync, a rename and an fsync of the directory on a router's flash.",
    "",
    "| Simulation | State writes | Requests |",
    "|---|---|---|",
    ...sims.map((s) => {
      const steady = steadyDays(s);
      return `| DynamIP, ${latency(s)}: a steady day (days 2–${s.days}) | ${
        range(steady.map((d) => d.writes))
      } a day, ${perBeat(steady)} a beat | ${range(steady.map((d) => d.beats))} beats a day |`;
    }),
    ...(quiet
      ? [
        `| No-IP, a quiet day: ${quiet.hours} h of unchanged address after the first update, a ` +
        `check every ${quiet.intervalMs / 60_000} min | ${quiet.writes} | ${quiet.updates} ` +
        `updates, ${quiet.checks} checks |`,
      ]
      : []),
    "",
  ];
}

/** The days after the first, each with its beats and writes. */
function steadyDays(s: DynamipFigures): { beats: number; writes: number }[] {
  return (s.writesPerDay ?? []).slice(1).map((writes, i) => ({
    writes,
    beats: s.summary.perDay[i + 1] ?? 0,
  }));
}

function perBeat(days: readonly { beats: number; writes: number }[]): string {
  const ratios = days.map((d) => d.beats === 0 ? Infinity : d.writes / d.beats);
  const low = Math.min(...ratios).toFixed(2);
  const high = Math.max(...ratios).toFixed(2);
  return low === high ? low : `${low}–${high}`;
}

function latency(s: DynamipFigures): string {
  return s.latencyMs === 0 ? "instant replies" : `replies taking ${s.latencyMs} ms`;
}

function detectionSection(data: BenchData): string[] {
  const rounds = data.detection;
  if (!rounds) return [];
  return [
    "## Detections per round",
    "",
    "`dnsbeat once` from fresh state with 1, 5 and 20 No-IP providers (each its own account " +
    "with one host), one IPv4 source: the emulator's `/ip`. The emulator counts the requests.",
    "",
    "| Providers | `/ip` requests | Updates | Replies | Exit code |",
    "|---:|---:|---:|---|---:|",
    ...rounds.map((r) =>
      `| ${r.providers} | ${r.ipRequests} | ${r.updates} | ${
        Object.entries(r.replies).map(([word, n]) => `${word} ×${n}`).join(", ") || "–"
      } | ${r.exitCode ?? "stopped after its time limit"} |`
    ),
    "",
  ];
}

function bundleSection(data: BenchData): string[] {
  const lever = data.bundle;
  if (!lever) return [];
  const head = [
    "## Memory levers",
    "",
    "Measured, not shipped: dnsbeat run with the shipped flags from one JavaScript file made by " +
    "`deno bundle --platform deno` (built in the benchmark's temporary directory) instead of " +
    "from main.ts and its modules.",
    "",
  ];
  if (!lever.built) return [...head, `Not measured: ${lever.reason}.`, ""];
  const of = (s: IdleSubject) => data.idle?.find((c) => c.subject === s);
  const main = of("dnsbeat");
  const bundle = of("dnsbeat-bundle");
  const row = (label: string, a: number, b: number, show: (v: number) => string, diff: string) =>
    `| ${label} | ${show(a)} | ${show(b)} | ${diff} |`;
  const idleRows = main && bundle
    ? [
      row(
        "Idle anonymous (`RssAnon`)",
        main.rssAnonKb,
        bundle.rssAnonKb,
        mb,
        signed(
          bundle.rssAnonKb - main.rssAnonKb,
        ),
      ),
      row(
        "Idle `Private_Dirty`",
        main.privateDirtyKb,
        bundle.privateDirtyKb,
        mb,
        signed(
          bundle.privateDirtyKb - main.privateDirtyKb,
        ),
      ),
      row("Idle `VmRSS`", main.vmRssKb, bundle.vmRssKb, mb, signed(bundle.vmRssKb - main.vmRssKb)),
      row(
        "Idle system calls a minute",
        main.syscallsPerMin,
        bundle.syscallsPerMin,
        rate,
        signedRate(bundle.syscallsPerMin - main.syscallsPerMin),
      ),
      ...(main.firstRequestMs !== undefined && bundle.firstRequestMs !== undefined
        ? [
          row(
            "Daemon: start to first request (one run)",
            main.firstRequestMs,
            bundle.firstRequestMs,
            ms,
            signedMs(bundle.firstRequestMs - main.firstRequestMs),
          ),
        ]
        : []),
    ]
    : [];
  return [
    ...head,
    "| | main.ts | Bundle | Bundle − main.ts |",
    "|---|---:|---:|---:|",
    ...idleRows,
    row(
      `\`once\`: start to first request (median of ${lever.samples})`,
      lever.mainStartMs,
      lever.bundleStartMs,
      ms,
      signedMs(lever.bundleStartMs - lever.mainStartMs),
    ),
    "",
    `Built with \`${lever.command}\`: ${(lever.bytes / 1024).toFixed(1)} KiB. The idle figures ` +
    "are those of the section above; the `once` runs alternate between the two.",
    "",
  ];
}

/** A difference of rates: `+1.5`, `−3.0`, `0` when too small to show. */
function signedRate(value: number): string {
  const shown = rate(Math.abs(value));
  return Number(shown) === 0 ? "0" : `${value > 0 ? "+" : "−"}${shown}`;
}

/** The idle targets that `data` has figures for, judged. */
export function idleVerdicts(data: BenchData): Verdict[] {
  return [
    ...syscallVerdict(data),
    ...anonVerdict(data),
    ...startVerdict(data),
    ...dynamipWritesVerdict(data),
    ...quietVerdict(data),
    ...detectionVerdict(data),
  ];
}

function idleOf(data: BenchData, subject: IdleSubject): IdleCost | undefined {
  return data.idle?.find((c) => c.subject === subject);
}

function syscallVerdict(data: BenchData): Verdict[] {
  const own = idleOf(data, "dnsbeat");
  const peers = [idleOf(data, "ddclient"), idleOf(data, "inadyn")].flatMap((c) => c ? [c] : []);
  if (!own) return [];
  const under = own.syscallsPerMin <= MAX_IDLE_SYSCALLS_PER_MIN;
  const below = peers.every((p) => own.syscallsPerMin < p.syscallsPerMin);
  const top = Object.entries(own.syscallsByName).slice(0, 3).map(([n, v]) => `${n} ${rate(v)}`);
  return [{
    target: `Idle: at most ${MAX_IDLE_SYSCALLS_PER_MIN} system calls a minute, below both peers`,
    figure: `${rate(own.syscallsPerMin)} a minute against ${
      peers.map((p) => `${rate(p.syscallsPerMin)} for ${p.subject}`).join(" and ")
    }`,
    met: under && below,
    ...(under && below ? {} : {
      miss:
        `${
          under ? "" : `missed by ${rate(own.syscallsPerMin - MAX_IDLE_SYSCALLS_PER_MIN)} a minute`
        }${under || below ? "" : "; "}${below ? "" : "not below both peers"}` +
        (top.length > 0 ? `; most are ${top.join(", ")} a minute` : ""),
    }),
  }];
}

function anonVerdict(data: BenchData): Verdict[] {
  const own = idleOf(data, "dnsbeat");
  if (!own) return [];
  const deno = idleOf(data, "deno-timer");
  const met = own.rssAnonKb <= MAX_IDLE_ANON_KB;
  return [{
    target: `Idle anonymous memory at most ${mb(MAX_IDLE_ANON_KB)}`,
    figure: `${mb(own.rssAnonKb)} \`RssAnon\` (\`Private_Dirty\` ${mb(own.privateDirtyKb)})` +
      (deno ? `; Deno alone with one timer: ${mb(deno.rssAnonKb)}` : ""),
    met,
    ...(met ? {} : {
      miss: `missed by ${mb(own.rssAnonKb - MAX_IDLE_ANON_KB)}` +
        (deno
          ? `: Deno alone takes ${mb(deno.rssAnonKb)}, dnsbeat's modules, data and HTTP use ` +
            signed(own.rssAnonKb - deno.rssAnonKb)
          : ""),
    }),
  }];
}

function startVerdict(data: BenchData): Verdict[] {
  const own = data.costs.find((c) => c.client === "dnsbeat");
  const fetchMs = data.costs.find((c) => c.client === "deno")?.fetchStartMs;
  if (!own || fetchMs === undefined) return [];
  const gap = own.startMs - fetchMs;
  const met = gap <= MAX_START_OVER_FETCH_MS;
  return [{
    target: `First request within ${MAX_START_OVER_FETCH_MS} ms of a Deno script that only ` +
      "fetches once",
    figure: `${ms(own.startMs)} against ${ms(fetchMs)}: ${signedMs(gap)}`,
    met,
    ...(met ? {} : {
      miss: `missed by ${ms(gap - MAX_START_OVER_FETCH_MS)}: loading main.ts and its modules, ` +
        "reading the config and state, and taking the state lock come first",
    }),
  }];
}

function dynamipWritesVerdict(data: BenchData): Verdict[] {
  const sims = data.dynamip.filter((s) => s.writesPerDay !== undefined);
  if (sims.length === 0) return [];
  const over = sims.flatMap((s) => steadyDays(s).filter((d) => d.writes > d.beats));
  return [{
    target: "At most one state write per DynamIP beat in a steady day",
    figure: sims.map((s) => {
      const steady = steadyDays(s);
      return `${latency(s)}: ${range(steady.map((d) => d.writes))} writes for ${
        range(steady.map((d) => d.beats))
      } beats a day`;
    }).join("; "),
    met: over.length === 0,
    ...(over.length === 0 ? {} : { miss: `${over.length} days with more writes than beats` }),
  }];
}

function quietVerdict(data: BenchData): Verdict[] {
  const quiet = data.quietDay;
  if (!quiet) return [];
  return [{
    target: "No state write on a quiet No-IP day",
    figure: `${quiet.writes} writes in ${quiet.hours} h of unchanged address (${quiet.checks} ` +
      "checks)",
    met: quiet.writes === 0,
    ...(quiet.writes === 0 ? {} : { miss: `${quiet.writes} writes with nothing to record` }),
  }];
}

function detectionVerdict(data: BenchData): Verdict[] {
  const rounds = data.detection;
  if (!rounds || rounds.length === 0) return [];
  const most = rounds.reduce((a, b) => (b.providers > a.providers ? b : a));
  const met = most.ipRequests <= 1;
  return [{
    target: `A \`once\` over ${most.providers} providers: about one detection per family`,
    figure: rounds.map((r) => `${r.providers}: ${r.ipRequests}`).join(", ") +
      " `/ip` requests (providers: requests; one family, one source)",
    met,
    ...(met ? {} : {
      miss: `${most.ipRequests - 1} more than one: each provider detects the address itself`,
    }),
  }];
}
