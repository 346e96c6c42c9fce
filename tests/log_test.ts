import assert from "node:assert/strict";
import { createLogger, type Level, LEVELS, type LoggerOptions, writeAll } from "../lib/log/mod.ts";
import { FakeClock } from "./helpers/fake_clock.ts";

const START = Date.UTC(2026, 2, 4, 5, 6, 7, 890);

function capture(options: Partial<LoggerOptions> = {}) {
  const lines: { line: string; level: Level }[] = [];
  const log = createLogger({
    level: "debug",
    write: (line, level) => lines.push({ line, level }),
    timestamps: false,
    color: false,
    clock: new FakeClock(START),
    ...options,
  });
  const all = (message: string) => {
    log.error(`${message} e`);
    log.warn(`${message} w`);
    log.info(`${message} i`);
    log.debug(`${message} d`);
  };
  return { log, lines, all };
}

Deno.test("log: levels, most severe first", () => {
  assert.deepEqual([...LEVELS], ["error", "warn", "info", "debug"]);
});

Deno.test("log: each level lets through itself and the more severe ones", () => {
  const expected: Record<Level, string[]> = {
    error: ["error: m e"],
    warn: ["error: m e", "warn: m w"],
    info: ["error: m e", "warn: m w", "info: m i"],
    debug: ["error: m e", "warn: m w", "info: m i", "debug: m d"],
  };
  for (const level of LEVELS) {
    const { lines, all } = capture({ level });
    all("m");
    assert.deepEqual(lines.map((l) => l.line), expected[level], level);
    assert.deepEqual(
      lines.map((l) => l.level),
      expected[level].map((l) => l.split(":")[0]),
    );
  }
});

Deno.test("log: timestamps from the clock when enabled", () => {
  const clock = new FakeClock(START);
  const { log, lines } = capture({ timestamps: true, clock });
  log.info("first");
  clock.shift(1500);
  log.warn("second");
  assert.deepEqual(lines.map((l) => l.line), [
    "2026-03-04T05:06:07.890Z info: first",
    "2026-03-04T05:06:09.390Z warn: second",
  ]);
});

Deno.test("log: no timestamp when disabled", () => {
  const { log, lines } = capture({ timestamps: false });
  log.info("plain");
  assert.deepEqual(lines.map((l) => l.line), ["info: plain"]);
});

Deno.test("log: no ANSI escapes when color is false, coloured tag when true", () => {
  const plain = capture({ color: false });
  plain.all("x");
  for (const { line } of plain.lines) assert.ok(!line.includes("\x1b"), JSON.stringify(line));

  const coloured = capture({ color: true });
  coloured.all("x");
  assert.equal(coloured.lines.length, 4);
  assert.equal(coloured.lines[0]?.line, "\x1b[31merror\x1b[0m: x e");
  for (const { line, level } of coloured.lines) {
    assert.ok(line.startsWith("\x1b["), JSON.stringify(line));
    assert.ok(line.includes(`${level}\x1b[0m: `), JSON.stringify(line));
  }
});

Deno.test("log: lines are written as dnsbeat said them; masking is for outside text only", () => {
  // A password that is an ordinary word must not show itself by where stars land: the logger
  // never masks, dnsbeat's sentences never hold a secret (see tests/secrets_test.ts).
  const { lines, all } = capture({ timestamps: true });
  all("No-IP says badauth: wrong username or password");
  assert.equal(lines.length, 4);
  for (const { line } of lines) {
    assert.match(line, /: No-IP says badauth: wrong username or password [ewid]$/);
  }
});

Deno.test("writeAll: keeps writing until everything is out", () => {
  const received: number[] = [];
  const stream = {
    writeSync(p: Uint8Array): number {
      const n = Math.min(3, p.length);
      received.push(...p.subarray(0, n));
      return n;
    },
  };
  writeAll(stream, "héllo wörld\n");
  assert.equal(new TextDecoder().decode(new Uint8Array(received)), "héllo wörld\n");
});
