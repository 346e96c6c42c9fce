import assert from "node:assert/strict";
import { epochMs, linuxBoot, parseBoot, TEST_BOOT, testBoot } from "../lib/clock.ts";

Deno.test("parseBoot: the boot id and the uptime, to the millisecond", () => {
  const boot = parseBoot("a0c11c67-af60-4d19-8ba5-bda6fbfddad3\n11287.82 22484.21\n", 42);
  assert.deepEqual(boot, {
    id: "a0c11c67-af60-4d19-8ba5-bda6fbfddad3",
    uptimeMs: 11_287_820,
    readAt: 42,
  });
  for (const bad of ["", "\n12.5 1", "cat: /proc/uptime: No such file", "a0c11c67-af60\nsoon 1"]) {
    assert.equal(parseBoot(bad, 0), null, bad);
  }
});

Deno.test({
  name: "linuxBoot: read with `cat` under the test's permissions, as the binary reads it",
  ignore: Deno.build.os !== "linux",
  fn: () => {
    const boot = linuxBoot();
    assert.ok(typeof boot !== "string", String(boot));
    assert.match(boot.id, /^[0-9a-f-]{36}$/);
    assert.ok(boot.uptimeMs > 0);
  },
});

Deno.test("testBoot: a pretended machine's monotonic clock is the time since its boot", () => {
  const now = Date.parse("2026-06-01T12:00:00Z");
  const fresh = testBoot(now, undefined);
  assert.ok(typeof fresh !== "string");
  assert.equal(fresh.bootId, TEST_BOOT);
  assert.ok(Math.abs(fresh.mono() - now) < 1000, "booted at the epoch");
  assert.ok(Math.abs(fresh.now() - now) < 1000);
  const rebooted = testBoot(now, "b2@2026-06-01T11:55:00Z");
  assert.ok(typeof rebooted !== "string");
  assert.equal(rebooted.bootId, "b2");
  assert.ok(Math.abs(rebooted.mono() - 5 * 60_000) < 1000);
  for (const bad of ["@1", "x@never", `x@${now + 1}`]) {
    assert.match(String(testBoot(now, bad)), /DNSBEAT_BOOT must be/, bad);
  }
});

Deno.test("epochMs: ISO 8601 or signed epoch milliseconds", () => {
  assert.equal(epochMs("1000"), 1000);
  assert.equal(epochMs("-1000"), -1000);
  assert.equal(epochMs("1970-01-01T00:00:01Z"), 1000);
  assert.ok(Number.isNaN(epochMs("soon")));
});
