/**
 * The emulator's generic one-URL endpoint (`lib/emulator/custom.ts`), in process: the account by
 * Basic auth, a token parameter or a bearer token; parameters from the query, a form or a JSON
 * body; `OK`, `NOCHANGE`, `KO badauth`, `KO nohost`; every request recorded without a secret.
 */
import assert from "node:assert/strict";
import { createEmulator } from "../lib/emulator/mod.ts";
import { FakeClock } from "./helpers/fake_clock.ts";

const PW = "emu-Cust0m-pw";

function emulator() {
  return createEmulator({
    clock: new FakeClock(Date.UTC(2026, 0, 1)),
    accounts: {
      noip: [{
        username: "me",
        password: PW,
        hosts: ["a.example.org", "b.example.org"],
        groups: {},
        donator: false,
      }],
      dynamip: [],
      echoIp: { ipv4: "81.2.69.142", ipv6: null },
    },
  });
}

async function send(e: ReturnType<typeof emulator>, path: string, init: RequestInit = {}) {
  const r = await e.handle(new Request(`http://127.0.0.1:1${path}`, init), "127.0.0.1");
  return `${r.status} ${await r.text()}`;
}

Deno.test("custom endpoint: a token in the query; OK, then NOCHANGE for the same address", async () => {
  const e = emulator();
  const path = `/custom/update?hostname=a.example.org&ip=81.2.69.160&token=${PW}`;
  assert.equal(await send(e, path), "200 OK");
  assert.equal(await send(e, path), "200 NOCHANGE");
  assert.deepEqual(e.customHost("a.example.org"), { ipv4: "81.2.69.160", ipv6: null });
  assert.equal(e.requests[0]!.provider, "custom");
  assert.equal(e.requests[0]!.user, "me");
  assert.deepEqual(e.requests[0]!.hosts, ["a.example.org"]);
  assert.ok(!e.requests[0]!.path.includes(PW), "the token is not recorded");
});

Deno.test("custom endpoint: Basic auth on a form POST, a bearer token on a JSON PUT-like POST", async () => {
  const e = emulator();
  const form = await send(e, "/custom/update", {
    method: "POST",
    headers: {
      authorization: `Basic ${btoa(`me:${PW}`)}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "hostname=a.example.org,b.example.org&ipv6=2001:db8::7",
  });
  assert.equal(form, "200 OK");
  assert.equal(e.customHost("b.example.org").ipv6, "2001:db8::7");
  const json = await send(e, "/custom/update", {
    method: "POST",
    headers: { authorization: `Bearer ${PW}`, "content-type": "application/json" },
    body: JSON.stringify({ hostname: "a.example.org" }),
  });
  assert.equal(json, "200 OK", "no address given: the request's source (the echo address)");
  assert.equal(e.customHost("a.example.org").ipv4, "81.2.69.142");
});

Deno.test("custom endpoint: wrong credentials, a host of no account, another method", async () => {
  const e = emulator();
  assert.equal(await send(e, "/custom/update?hostname=a.example.org&token=nope"), "200 KO badauth");
  assert.equal(await send(e, `/custom/update?hostname=c.example.org&token=${PW}`), "200 KO nohost");
  assert.equal(await send(e, `/custom/update?token=${PW}`), "200 KO nohost");
  assert.match(await send(e, "/custom/update", { method: "DELETE" }), /^405 /);
  assert.deepEqual(e.customHost("c.example.org"), { ipv4: null, ipv6: null });
});

Deno.test("custom endpoint: faults aimed at custom updates, and a reset forgets its hosts", async () => {
  const e = emulator();
  e.pushFault({ kind: "status", status: 503, target: "custom" });
  const path = `/custom/update?hostname=a.example.org&token=${PW}`;
  assert.equal(await send(e, path), "503 ");
  assert.equal(await send(e, path), "200 OK");
  e.reset();
  assert.deepEqual(e.customHost("a.example.org"), { ipv4: null, ipv6: null });
  assert.equal(e.requests.length, 0);
});
