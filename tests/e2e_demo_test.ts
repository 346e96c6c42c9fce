/**
 * Black-box: `dnsbeat demo`, the README's first command, as a child process with the shipped
 * permissions: every step's request counts are what it narrates, and no demo password is printed.
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { dnsbeat } from "./helpers/sandbox.ts";

Deno.test("demo: each step sends what it says, and nothing more", async () => {
  const r = await dnsbeat(["demo"]);
  assert.equal(r.code, ExitCode.Ok, r.stderr);
  const sent = [
    ...r.stdout.matchAll(/the emulator received (\d+) No-IP, (\d+) deSEC and (\d+) DynamIP/g),
  ].map((m) => [Number(m[1]), Number(m[2]), Number(m[3])]);
  assert.deepEqual(sent, [
    [1, 0, 1], // 1. first start: both hosts in one request, and the first beat
    [0, 0, 0], // 2. a restart, same address
    [1, 0, 0], // 3. the address changes
    [0, 0, 1], // 4. 15:05 later
    [1, 0, 0], // 5. 911
    [0, 0, 1], // 6. inside the 30-minute wait; DynamIP's beat is due
    [1, 0, 0], // 7. the wait is over
    [1, 0, 0], // 8. nohost stops No-IP
    [0, 0, 0], // 9. a restart while stopped
    [1, 0, 0], // 11. after resume
    [0, 0, 1], // 13. the state lost: DNS already answers, No-IP gets nothing
    [0, 1, 0], // 14. a deSEC domain added: its first update
    [0, 0, 0], // 15. a restart: deSEC's `good` never says nochg, the state does
  ]);
  assert.match(r.stdout, /Done: 6 No-IP, 1 deSEC and 4 DynamIP requests in all/);
  const notes = [...r.stdout.matchAll(/✉ your phone would show: (.*)/g)].map((m) => m[1]);
  assert.deepEqual(notes, [
    "home: updates stopped, dnsbeat needs you (nohost)",
    "home: updates resumed",
  ], "the stop is told once, at the stop; restarts tell nothing");
  assert.match(r.stdout, /DNS already answers 81\.2\.69\.180 for home\.ddns\.net, nas\.ddns\.net/);
  assert.doesNotMatch(
    r.stdout + r.stderr,
    /demo-noip-password|demo-dynamip-password|demo-desec-token/,
  );
});
