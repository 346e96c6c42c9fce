/**
 * docs/BENCHMARKS.md from the benchmark's data: machine and versions, requests per scenario per
 * client, what happens after the bench period, costs, DynamIP precision, the idle cost and the
 * idle figures (`report_idle.ts`), and the targets with met or missed and by
 * how much. Pure: data in, Markdown out.
 *
 * @module
 */
import { BEAT_PERIOD_MS } from "../../lib/providers/dynamip/schedule.ts";
import {
  type BenchData,
  classify,
  type ClientRun,
  CLIENTS,
  type Costs,
  ERROR_CODES,
  type Phase,
  type Verdict,
} from "./types.ts";
import { clock, duration, mb, ms, range, signed, signedMs } from "./format.ts";
import { idleSections, idleVerdicts } from "./report_idle.ts";

const MINUTE = 60_000;
const STOP_CODES = ERROR_CODES.filter((code) => code !== "911");

/** What ddclient 3.10 and inadyn 2.10 do after each error reply, beyond the bench period. */
const AFTERWARDS: Record<string, Record<"dnsbeat" | "ddclient" | "inadyn", string>> = (() => {
  const stop = {
    dnsbeat: "stopped until the config changes or `dnsbeat resume`, across restarts: 0 a day",
    ddclient: "waits `min-error-interval` (5 min), but a check that skips writes the failure " +
      "time to its cache as 0, so the wait holds for one check only: every second check sends " +
      "(with `daemon=60`, as here, every 2 min) and so does every second restart; with " +
      "Debian's `daemon=5m` it sends every 5 min. Until the user acts",
    inadyn: "the daemon exits; nothing is written to its cache, so every restart sends again",
  };
  return {
    badauth: stop,
    nohost: {
      ...stop,
      inadyn: "not handled as an error at all: sent again at every check, every `period` " +
        "(30 s here; 120 s by default: 720 a day), and by every restart",
    },
    abuse: {
      ...stop,
      inadyn: `${stop.inadyn} (inadyn 2.10 reads \`abuse\` as a fatal error; later versions ` +
        "retry it after 600 s)",
    },
    badagent: stop,
    "911": {
      dnsbeat: "next request no sooner than 30 min after the reply, restarts included",
      ddclient: "as for the other errors: every second check or restart, sooner than No-IP's " +
        "30 min",
      inadyn: "retried after 600 s, sooner than No-IP's 30 min; `--once` does not exit but " +
        "keeps retrying until an update succeeds, and nothing is kept across restarts",
    },
  };
})();

/** The targets, judged against `data`. */
export function judge(data: BenchData): Verdict[] {
  const dnsbeat = runOf(data, "dnsbeat");
  const updates = (id: string) => count(phase(dnsbeat, id), "update");
  const verdicts: Verdict[] = [];

  const change = updates("change");
  verdicts.push({
    target: "1 request per IP change",
    figure: `${change} update for one IP change`,
    met: change === 1,
    ...(change === 1 ? {} : { miss: `${change - 1} more than the protocol minimum` }),
  });

  const restart = updates("restart");
  const burst = updates("burst");
  verdicts.push({
    target: "0 on restart with the same IP",
    figure: `${restart} after one restart, ${burst} after 10 restarts in a row`,
    met: restart + burst === 0,
    ...(restart + burst === 0 ? {} : { miss: `${restart + burst} needless updates` }),
  });

  const afterStop = STOP_CODES.map((code) => afterFirst(dnsbeat, code));
  const stopTotal = afterStop.reduce((a, b) => a + b, 0);
  verdicts.push({
    target: "0 after a stop",
    figure: STOP_CODES.map((code, i) => `${code}: ${afterStop[i]}`).join(", ") +
      " updates after the first error reply (daemon period and 5 restarts)",
    met: stopTotal === 0,
    ...(stopTotal === 0 ? {} : { miss: `${stopTotal} updates after a stop` }),
  });

  const after911 = afterFirst(dnsbeat, "911");
  const retry = dnsbeat.retryAfter911Ms;
  const floorHeld = retry !== undefined && retry >= 30 * MINUTE;
  verdicts.push({
    target: "none within 30 minutes after 911",
    figure: `${after911} updates in the ${data.settings.daemonSeconds} s daemon period and 5 ` +
      `restarts after 911; the state file allows the next one ${
        retry === undefined ? "(not found)" : `${clock(retry)} after the reply`
      }`,
    met: after911 === 0 && floorHeld,
    ...(after911 === 0 && floorHeld
      ? {}
      : { miss: `${after911} updates after 911; next allowed ${retry ?? "?"} ms after it` }),
  });

  const sims = data.dynamip;
  // DynamIP must never see two beats less than 15:00 apart: dnsbeat beats on fixed 15:05 marks.
  const exact = sims.every((s) =>
    s.summary.minGapMs === BEAT_PERIOD_MS && s.summary.maxGapMs === BEAT_PERIOD_MS
  );
  verdicts.push({
    target: `DynamIP: every gap ${
      clock(BEAT_PERIOD_MS)
    } on fixed marks (never under 15:00), no drift`,
    figure: sims.map((s) =>
      `${s.latencyMs === 0 ? "instant replies" : `replies taking ${s.latencyMs} ms`}: ` +
      `${range(s.summary.perDay)} a day, gaps ${clock(s.summary.minGapMs)}–${
        clock(s.summary.maxGapMs)
      }`
    ).join("; "),
    met: exact,
    ...(exact ? {} : { miss: "see the DynamIP table" }),
  });

  const own = costOf(data, "dnsbeat");
  const deno = costOf(data, "deno");
  const ddclient = costOf(data, "ddclient");
  const overhead = own.idleRssKb - deno.idleRssKb;
  verdicts.push({
    target: "Idle daemon RSS within 10 MB of Deno's own baseline",
    figure: `${mb(own.idleRssKb)} against ${mb(deno.idleRssKb)} for a Deno script with one ` +
      `timer: ${signed(overhead)} (10 MB read as 10 MiB)`,
    met: overhead <= 10 * 1024,
    ...(overhead <= 10 * 1024
      ? {}
      : { miss: `missed by ${mb(overhead - 10 * 1024)}: ${rssWhy(own, deno)}` }),
  });
  const belowDdclient = own.idleRssKb < ddclient.idleRssKb;
  verdicts.push({
    target: "Idle daemon RSS below ddclient's",
    figure: `${mb(own.idleRssKb)} against ${mb(ddclient.idleRssKb)} for ddclient`,
    met: belowDdclient,
    ...(belowDdclient ? {} : {
      miss: `missed by ${mb(own.idleRssKb - ddclient.idleRssKb)}: ` +
        (deno.idleRssKb >= ddclient.idleRssKb
          ? `the Deno runtime alone (V8 and its Rust core: ${mb(deno.idleRssKb)} with one ` +
            "timer) takes more than ddclient's whole Perl process, so no change to dnsbeat's " +
            "own code can bring it below ddclient while it runs on Deno"
          : `the Deno runtime alone takes ${mb(deno.idleRssKb)}, less than ddclient; ` +
            `dnsbeat's own ${signed(overhead)} on top of it makes the difference`),
    }),
  });

  const startGap = own.startMs - deno.startMs;
  verdicts.push({
    target: "Start to first request within 150 ms of the runtime's own start-up",
    figure: `${ms(own.startMs)} to the first request against ${
      ms(deno.startMs)
    } for \`deno run\` of an empty script: ${signedMs(startGap)}`,
    met: startGap <= 150,
    ...(startGap <= 150 ? {} : {
      miss: `missed by ${ms(startGap - 150)}: loading main.ts and its modules, reading the ` +
        "config and state, and taking the state lock come before the first request",
    }),
  });
  return [...verdicts, ...idleVerdicts(data)];
}

/** Splits dnsbeat's idle RSS above Deno's into Deno's HTTP client and dnsbeat's own part. */
function rssWhy(own: Costs, deno: Costs): string {
  if (deno.fetchIdleRssKb === undefined) return "what dnsbeat's modules and data add";
  const http = deno.fetchIdleRssKb - deno.idleRssKb;
  return `a Deno script that fetches once and then idles takes ${mb(deno.fetchIdleRssKb)}, so ` +
    `${signed(http)} is Deno's own HTTP client once used, and ${
      signed(own.idleRssKb - deno.fetchIdleRssKb)
    } is dnsbeat's modules and data`;
}

/** Renders docs/BENCHMARKS.md. */
export function renderReport(data: BenchData): string {
  const { machine, settings } = data;
  const out: string[] = [
    "# Benchmarks: dnsbeat, ddclient and inadyn",
    "",
    `Generated by \`scripts/bench\` on ${machine.date}. Every figure comes from that run, ` +
    "except the section *After the bench period*, which reads the clients' sources.",
    "",
    "| | |",
    "|---|---|",
    `| Machine | ${machine.cpu}, ${machine.nproc} CPUs, ${machine.memoryMb} MiB |`,
    `| System | ${machine.os}, Linux ${machine.kernel} |`,
    ...Object.entries(machine.versions).map(([name, version]) => `| ${name} | ${version} |`),
    "",
    "## How it runs",
    "",
    "- Each client talks to its own `dnsbeat emulator` on 127.0.0.1 over plain HTTP, with one " +
    "No-IP account and one host; the three run side by side, and their costs are measured " +
    "afterwards one at a time. The emulator runs with `--lenient-agent` because neither " +
    "ddclient's nor inadyn's User-Agent has the shape No-IP asks for.",
    "- **dnsbeat** runs as `deno run` of `main.ts` with exactly the shipped permission flags " +
    "(`lib/permissions.ts`): the compiled binary cannot be built here, because `deno compile` " +
    `downloads a runtime. Daemon interval: ${settings.daemonInterval.dnsbeat}.`,
    "- **ddclient** uses `protocol=dyndns2` with `server=` and `ssl=no` (its `noip` protocol " +
    "always uses https), `use=web` with the emulator's `/ip`, and its own cache file. Daemon " +
    `interval: ${settings.daemonInterval.ddclient}.`,
    "- **inadyn** uses its own No-IP plugin (`provider default@no-ip.com`, what a No-IP user " +
    "writes) with `ssl = false` and `checkip-server` set to the emulator. The plugin's server " +
    "name is built in, so inadyn runs in a private mount namespace whose `/etc/hosts` maps " +
    "`dynupdate.no-ip.com` and the updated host name to 127.0.0.1 (checked before it starts); " +
    "its emulator listens on port 80. A `custom` provider would use inadyn's generic plugin, " +
    `which reads every error reply alike. Daemon interval: ${settings.daemonInterval.inadyn}.`,
    "- Each error scenario starts from fresh client state; the emulator answers every update " +
    `with the error. The daemon runs for ${settings.daemonSeconds} s of real time, then the ` +
    "client is started 5 times in one-shot mode (`dnsbeat once`, `ddclient -daemon=0`, " +
    "`inadyn --once`); a one-shot run still running after " +
    `${settings.oneShotLimitSeconds} s is stopped with SIGTERM. A daemon that exits by itself ` +
    "ends its period early: dnsbeat exits with 3 once every provider is stopped, inadyn exits " +
    "on the replies it takes as fatal.",
    `- The IP changes ${settings.changeAfterSeconds} s after the first run: ddclient ignores a ` +
    "change within 30 s (`min-interval`) of its last update.",
    "",
    "## Requests the emulator saw",
    "",
    "Updates, then IP checks in parentheses. The error replies are the emulator's, on every " +
    "update of the scenario.",
    "",
    `| Scenario | ${CLIENTS.join(" | ")} |`,
    `|---|${CLIENTS.map(() => "---:").join("|")}|`,
    ...phaseRows(data.runs),
    "",
    "## After the bench period",
    "",
    `The daemon periods last ${settings.daemonSeconds} s; the clients' retry intervals are ` +
    "longer. What each does next, from the sources of the versions above (dnsbeat's 911 " +
    "figure is measured):",
    "",
    `| Reply | ${CLIENTS.join(" | ")} |`,
    "|---|---|---|---|",
    ...ERROR_CODES.map((code) => {
      const facts = AFTERWARDS[code]!;
      const own = code === "911" && runOf(data, "dnsbeat").retryAfter911Ms !== undefined
        ? `next request allowed ${
          clock(runOf(data, "dnsbeat").retryAfter911Ms!)
        } after the reply (state file), restarts included`
        : facts.dnsbeat;
      return `| ${code} | ${own} | ${facts.ddclient} | ${facts.inadyn} |`;
    }),
    "",
    "## Timeline",
    "",
    "Error and restart scenarios, one row per client, a mark per request:",
    "",
    "![Timeline of the error and restart scenarios](timeline.svg)",
    "",
    "## Costs",
    "",
    `Medians of ${settings.samples} runs. A one-shot run starts from fresh state: one IP check ` +
    "and one update.",
    "",
    ...costTable(data.costs),
    "",
    "## DynamIP precision",
    "",
    "dnsbeat's heartbeat (`runHeartbeat`) over simulated days on the injected clock, each beat " +
    "answered by the in-process emulator through dnsbeat's own HTTP code.",
    "",
    ...dynamipTable(data),
    "",
    ...idleSections(data),
    "## Targets",
    "",
    "| Target | Figure | Verdict |",
    "|---|---|---|",
    ...judge(data).map((v) =>
      `| ${v.target} | ${v.figure} | ${v.met ? "met" : `**missed**: ${v.miss}`} |`
    ),
    "",
  ];
  return out.join("\n");
}

function phaseRows(runs: readonly ClientRun[]): string[] {
  const ids = (runs[0]?.phases ?? []).map((p) => p.id);
  const rows = ids.map((id) => {
    const label = runs[0]!.phases.find((p) => p.id === id)!.label;
    const cells = CLIENTS.map((client) => {
      const p = runs.find((r) => r.client === client)?.phases.find((q) => q.id === id);
      return p ? cell(p) : "–";
    });
    return `| ${label} | ${cells.join(" | ")} |`;
  });
  const totals = CLIENTS.map((client) => {
    const phases = runs.find((r) => r.client === client)?.phases ?? [];
    return `**${phases.reduce((sum, p) => sum + count(p, "update"), 0)}** (${
      phases.reduce((sum, p) => sum + count(p, "ip"), 0)
    })`;
  });
  return [...rows, `| **All scenarios** | ${totals.join(" | ")} |`];
}

/** A table cell: updates, IP checks, needless updates, and a daemon that ended by itself. */
function cell(p: Phase): string {
  const nochg = p.hits.filter((h) => classify(h) === "nochg").length;
  const parts = [`${count(p, "update")} (${count(p, "ip")})`];
  if (nochg > 0) parts.push(`${nochg} nochg`);
  if (p.stuck) parts.push(`${p.stuck} of the runs kept running and were stopped`);
  if (p.exited) {
    parts.push(`daemon exited (${p.exited.code}) after ${duration(p.exited.at - p.start)}`);
  }
  return parts.join(", ");
}

function costTable(costs: readonly Costs[]): string[] {
  const order = [...CLIENTS, "deno"] as const;
  const of = (name: string) => costs.find((c) => c.client === name);
  const row = (label: string, value: (c: Costs) => string) =>
    `| ${label} | ${order.map((name) => of(name)).map((c) => (c ? value(c) : "–")).join(" | ")} |`;
  return [
    `| | ${CLIENTS.join(" | ")} | Deno alone |`,
    "|---|---:|---:|---:|---:|",
    row("Peak RSS, one-shot run", (c) => mb(c.oneShotRssKb)),
    row("CPU time of a one-shot run (user + system)", (c) => ms(c.cpuMs)),
    row(
      "Start to first request",
      (c) =>
        c.startTo === "exit"
          ? `${ms(c.startMs)} to exit (empty script); ${
            c.fetchStartMs === undefined ? "" : `${ms(c.fetchStartMs)} to a lone fetch`
          }`
          : ms(c.startMs),
    ),
    row(
      "Idle daemon RSS, 10 s after start",
      (c) =>
        c.fetchIdleRssKb === undefined
          ? mb(c.idleRssKb)
          : `${mb(c.idleRssKb)} (one timer); ${mb(c.fetchIdleRssKb)} after one fetch`,
    ),
    row("Size on disk", (c) => mb(c.sizeBytes / 1024)),
    "",
    ...order.flatMap((name) => {
      const c = of(name);
      return c ? [`- Size of ${name === "deno" ? "Deno alone" : name}: ${c.sizeNote}.`] : [];
    }),
    "- Deno alone: the one-shot and start-up figures are `deno run` of an empty script, and of " +
    "a script that only fetches the emulator's `/ip`; the idle figures are a script with one " +
    "`setInterval`, and one that fetches once before it.",
    "- Start to first request: from a time stamp taken just before the client's program is " +
    "executed to the emulator's record of its first request (both on this machine's clock).",
    "- dnsbeat's figures are those of `deno run main.ts`, which loads its modules from Deno's " +
    "cache on each start; a compiled binary's were not measured.",
  ];
}

function dynamipTable(data: BenchData): string[] {
  const sims = data.dynamip;
  const row = (label: string, value: (i: number) => string) =>
    `| ${label} | ${sims.map((_, i) => value(i)).join(" | ")} |`;
  return [
    `| | ${
      sims.map((s) => s.latencyMs === 0 ? "instant replies" : `each reply takes ${s.latencyMs} ms`)
        .join(" | ")
    } |`,
    `|---|${sims.map(() => "---:").join("|")}|`,
    row("Simulated days", (i) => String(sims[i]!.days)),
    row("Beats", (i) => String(sims[i]!.summary.beats)),
    row("Beats a day (least–most)", (i) => range(sims[i]!.summary.perDay)),
    row("Shortest gap", (i) => clock(sims[i]!.summary.minGapMs)),
    row("Longest gap", (i) => clock(sims[i]!.summary.maxGapMs)),
    row("Largest drift from the 15-minute marks", (i) => ms(sims[i]!.summary.maxDriftMs)),
    row("Beats refused as too early", (i) => String(sims[i]!.violations)),
    row("Times taken offline (gap over 20 min)", (i) => String(sims[i]!.offlineResets)),
  ];
}

/** Updates of `client` in the error scenario `code` after the first one (which got the error). */
function afterFirst(run: ClientRun, code: string): number {
  const sent = count(phase(run, `${code}-daemon`), "update") +
    count(phase(run, `${code}-restarts`), "update");
  return Math.max(0, sent - 1);
}

function runOf(data: BenchData, client: string): ClientRun {
  const run = data.runs.find((r) => r.client === client);
  if (!run) throw new Error(`no run of ${client}`);
  return run;
}

function costOf(data: BenchData, client: string): Costs {
  const costs = data.costs.find((c) => c.client === client);
  if (!costs) throw new Error(`no costs of ${client}`);
  return costs;
}

function phase(run: ClientRun, id: string): Phase {
  const p = run.phases.find((q) => q.id === id);
  if (!p) throw new Error(`${run.client}: no phase ${id}`);
  return p;
}

function count(p: Phase, kind: "update" | "ip"): number {
  return p.hits.filter((h) => h.kind === kind).length;
}
