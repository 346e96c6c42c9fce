/**
 * The benchmark's pure parts: the timeline SVG, the report and its verdicts, beat figures.
 */
import assert from "node:assert/strict";
import { BEAT_PERIOD_MS } from "../lib/providers/dynamip/schedule.ts";
import { summarizeBeats } from "../scripts/bench_lib/beats.ts";
import { judge, renderReport } from "../scripts/bench_lib/report.ts";
import { COLORS, renderTimeline, timelineOf } from "../scripts/bench_lib/timeline_svg.ts";
import {
  type BenchData,
  classify,
  type ClientName,
  type ClientRun,
  type Costs,
  ERROR_CODES,
  type Hit,
  type Phase,
} from "../scripts/bench_lib/types.ts";
import { median } from "../scripts/bench_lib/util.ts";

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 10, 23, 12, 0, 0);

const ip = (at: number): Hit => ({ at, kind: "ip", reply: "81.2.69.142", status: 200 });
const update = (at: number, reply: string, status = 200): Hit => ({
  at,
  kind: "update",
  reply,
  status,
});

/** A run whose phases hold the given updates; every update follows an IP check. */
function run(client: ClientName, updates: Record<string, string[]>, extra = {}): ClientRun {
  const ids = [
    "first",
    "restart",
    "burst",
    "change",
    ...ERROR_CODES.flatMap((c) => [`${c}-daemon`, `${c}-restarts`]),
  ];
  const phases = ids.map((id, i): Phase => {
    const start = T0 + i * 200_000;
    const hits = (updates[id] ?? []).flatMap((reply, k) => [
      ip(start + 1000 * k),
      update(start + 1000 * k + 5, reply),
    ]);
    const timeline = id === "burst" || id.includes("-") ? { timeline: `${id}: x` } : {};
    return { id, label: id, start, end: start + 125_000, hits, ...timeline };
  });
  return { client, phases, ...extra };
}

function costs(client: Costs["client"], idleRssKb: number, startMs: number): Costs {
  return {
    client,
    oneShotRssKb: idleRssKb,
    cpuMs: 10,
    startMs,
    startTo: client === "deno" ? "exit" : "first request",
    idleRssKb,
    sizeBytes: 1024,
    sizeNote: "test",
  };
}

const errorsOnce = Object.fromEntries(ERROR_CODES.map((c) => [`${c}-daemon`, [c]]));

function data(overrides: Partial<BenchData> = {}): BenchData {
  const beats = Array.from({ length: 2880 }, (_, i) => T0 + i * BEAT_PERIOD_MS);
  return {
    machine: {
      date: "2026-11-23T12:00:00Z",
      cpu: "Test CPU",
      nproc: 2,
      memoryMb: 24000,
      kernel: "6.1.0",
      os: "Debian GNU/Linux 12 (bookworm)",
      versions: { deno: "2.9.6", ddclient: "3.10.0-2", inadyn: "2.10.0-1" },
    },
    settings: {
      daemonSeconds: 125,
      daemonInterval: { dnsbeat: "1 min", ddclient: "60 s", inadyn: "30 s" },
      changeAfterSeconds: 35,
      oneShotLimitSeconds: 5,
      samples: 5,
    },
    runs: [
      run("dnsbeat", { first: ["good 81.2.69.142"], change: ["good 81.2.69.160"], ...errorsOnce }, {
        retryAfter911Ms: 30 * MINUTE + 2,
      }),
      run("ddclient", {
        first: ["good 81.2.69.142"],
        change: ["good 81.2.69.160"],
        ...errorsOnce,
        "badauth-restarts": ["badauth", "badauth"],
      }),
      run("inadyn", { first: ["good 81.2.69.142"], restart: ["nochg 81.2.69.142"] }),
    ],
    costs: [
      costs("dnsbeat", 60 * 1024, 180),
      costs("ddclient", 20 * 1024, 80),
      costs("inadyn", 3 * 1024, 5),
      costs("deno", 45 * 1024, 60),
    ],
    dynamip: [{
      days: 30,
      latencyMs: 0,
      summary: summarizeBeats(beats, T0, BEAT_PERIOD_MS, 30),
      violations: 0,
      offlineResets: 0,
    }],
    ...overrides,
  };
}

/** Checks that every tag is closed in order; returns the element names in document order. */
function elements(svg: string): string[] {
  const stack: string[] = [];
  const names: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)((?:\s+[a-zA-Z-:]+="[^"<>]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = m;
    if (closing) {
      assert.equal(stack.pop(), name, `</${name}> closes the wrong element`);
    } else {
      names.push(name!);
      if (!selfClosing) stack.push(name!);
    }
  }
  assert.deepEqual(stack, [], "unclosed elements");
  const stripped = svg.replace(/<[^>]*>/g, "");
  assert.ok(!/[<>]/.test(stripped), "a raw < or > outside a tag");
  assert.ok(!/&(?!#\d+;|amp;|lt;|gt;|quot;)/.test(stripped), "a raw & outside a tag");
  return names;
}

Deno.test("summarizeBeats: an exact 15-minute series is 96 a day, gaps 15:00, no drift", () => {
  const times = Array.from({ length: 2880 }, (_, i) => T0 + i * 15 * MINUTE);
  const s = summarizeBeats(times, T0, 15 * MINUTE, 30);
  assert.equal(s.beats, 2880);
  assert.deepEqual(s.perDay, Array(30).fill(96));
  assert.equal(s.minGapMs, 15 * MINUTE);
  assert.equal(s.maxGapMs, 15 * MINUTE);
  assert.equal(s.maxDriftMs, 0);
});

Deno.test("summarizeBeats: late and missing beats show in gaps, drift and days", () => {
  const times = [T0, T0 + 15 * MINUTE + 700, T0 + 45 * MINUTE + 700, T0 + 24 * 60 * MINUTE];
  const s = summarizeBeats(times, T0, 15 * MINUTE, 2);
  assert.deepEqual(s.perDay, [3, 1]);
  assert.equal(s.minGapMs, 15 * MINUTE + 700);
  assert.equal(s.maxGapMs, 24 * 60 * MINUTE - 45 * MINUTE - 700);
  assert.equal(s.maxDriftMs, 24 * 60 * MINUTE - 45 * MINUTE);
  assert.equal(summarizeBeats([T0], T0, 15 * MINUTE, 1).minGapMs, 0);
});

Deno.test("classify and median", () => {
  assert.equal(classify(ip(T0)), "ip");
  assert.equal(classify(update(T0, "good 1.2.3.4")), "good");
  assert.equal(classify(update(T0, "nochg 1.2.3.4")), "nochg");
  assert.equal(classify(update(T0, "badauth")), "error");
  assert.equal(classify(update(T0, "", 401)), "error");
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]));
});

Deno.test("timelineOf: one column per timeline phase, marks at their offsets", () => {
  const runs = data().runs;
  runs[0]!.phases.find((p) => p.id === "badauth-daemon")!.exited = {
    at: T0 + 4 * 200_000 + 300,
    code: 3,
  };
  const { columns, rows } = timelineOf(runs);
  assert.equal(columns.length, 1 + 2 * ERROR_CODES.length);
  assert.equal(columns[0]!.label, "burst: x");
  assert.deepEqual(rows.map((r) => r.label), ["dnsbeat", "ddclient", "inadyn"]);
  const cell = rows[0]!.cells[1]!;
  assert.deepEqual(cell.marks.map((m) => [m.offsetMs, m.cls]), [[0, "ip"], [5, "error"]]);
  assert.equal(cell.exitedMs, 300);
  assert.equal(rows[1]!.cells[2]!.marks.filter((m) => m.cls === "error").length, 2);
});

Deno.test("renderTimeline: well-formed, a mark per request, errors in their colour", () => {
  const { columns, rows } = timelineOf(data().runs);
  const svg = renderTimeline('Requests <&> "quoted"', columns, rows);
  assert.ok(svg.startsWith("<svg "));
  const names = elements(svg);
  const hits = data().runs.flatMap((r) =>
    r.phases.filter((p) => p.timeline !== undefined).flatMap((p) => p.hits)
  );
  const ipChecks = hits.filter((h) => h.kind === "ip").length;
  assert.equal(names.filter((n) => n === "circle").length, ipChecks + 1, "+1: the legend");
  const errorMarks = svg.match(new RegExp(`height="\\d+" fill="${COLORS.error}"><title>`, "g"));
  assert.equal(errorMarks?.length, hits.filter((h) => classify(h) === "error").length);
  assert.ok(svg.includes("Requests &#60;&#38;&#62; &#34;quoted&#34;"));
  assert.ok(svg.includes("badauth-daemon"));
});

Deno.test("judge: dnsbeat at the protocol minimum meets the behaviour targets", () => {
  const verdicts = judge(data());
  const by = (prefix: string) => verdicts.find((v) => v.target.startsWith(prefix))!;
  assert.equal(by("1 request per IP change").met, true);
  assert.equal(by("0 on restart").met, true);
  assert.equal(by("0 after a stop").met, true);
  assert.equal(by("none within 30 minutes").met, true);
  assert.match(by("none within 30 minutes").figure, /30:00\.002 after the reply/);
  assert.equal(by("DynamIP").met, true);
  assert.equal(by("Idle daemon RSS within").met, false);
  assert.match(by("Idle daemon RSS within").miss!, /missed by 5\.0 MiB/);
  assert.equal(by("Idle daemon RSS below").met, false);
  assert.match(by("Idle daemon RSS below").miss!, /missed by 40\.0 MiB: the Deno runtime alone/);
  assert.equal(by("Start to first request").met, true);
  assert.match(by("Start to first request").figure, /\+120 ms/);
});

Deno.test("judge: a needless request, a send after a stop and a slow start are missed", () => {
  const d = data();
  d.runs[0] = run("dnsbeat", {
    restart: ["nochg 81.2.69.142"],
    change: ["good 81.2.69.160", "nochg 81.2.69.160"],
    ...errorsOnce,
    "nohost-restarts": ["nohost"],
  });
  d.costs[0] = costs("dnsbeat", 50 * 1024, 300);
  const verdicts = judge(d);
  const by = (prefix: string) => verdicts.find((v) => v.target.startsWith(prefix))!;
  assert.equal(by("1 request per IP change").met, false);
  assert.equal(by("0 on restart").met, false);
  assert.equal(by("0 after a stop").met, false);
  assert.match(by("0 after a stop").figure, /nohost: 1/);
  assert.equal(by("none within 30 minutes").met, false, "no 911 retry time recorded");
  assert.equal(by("Idle daemon RSS within").met, true);
  assert.equal(by("Start to first request").met, false);
  assert.match(by("Start to first request").miss!, /missed by 90 ms/);
});

Deno.test("renderReport: every section, a row per phase, the verdicts", () => {
  const md = renderReport(data());
  for (
    const heading of [
      "# Benchmarks",
      "## Requests the emulator saw",
      "## After the bench period",
      "## Costs",
      "## DynamIP precision",
      "## Targets",
    ]
  ) {
    assert.ok(md.includes(`\n${heading}`) || md.startsWith(heading), heading);
  }
  assert.ok(md.includes("| badauth-restarts | 0 (0) | 2 (2) | 0 (0) |"));
  assert.ok(md.includes("| restart | 0 (0) | 0 (0) | 1 (1), 1 nochg |"));
  assert.ok(md.includes("| **All scenarios** | **7** (7) | **9** (9) | **2** (2) |"));
  assert.ok(md.includes("![Timeline of the error and restart scenarios](timeline.svg)"));
  assert.ok(md.includes("| Idle daemon RSS, 10 s after start | 60.0 MiB | 20.0 MiB |"));
  assert.match(md, /\| 0 after a stop \| .* \| met \|/);
  assert.match(md, /\*\*missed\*\*: missed by 40\.0 MiB/);
  for (const line of md.split("\n").filter((l) => l.startsWith("|"))) {
    assert.ok(line.endsWith("|"), `table line not closed: ${line}`);
  }
});
