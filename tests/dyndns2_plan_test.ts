/**
 * `dyndns2/plan.ts`, what a DynDNS2 round may send, tested directly. The oracle is No-IP's
 * integration rules (/work/shared/seeds/noip-update-status-codes.txt, PROTOCOLS.md "No-IP"):
 * after any error the client sends nothing until the user acts; `911` waits at least 30 minutes;
 * only a change is sent (repeated `nochg` counts as abuse); a request names several hostnames, all
 * set to the one address it carries. Times are measured on the monotonic clock, so the wall clock
 * below is set far off on purpose.
 */
import assert from "node:assert/strict";
import type { Clock } from "../lib/clock.ts";
import { parseConfig } from "../lib/config/mod.ts";
import type { Dyndns2Provider } from "../lib/config/types.ts";
import {
  changed,
  due,
  gate,
  hostAddresses,
  merge,
  requests,
} from "../lib/providers/dyndns2/plan.ts";
import { addressList } from "../lib/state/parts.ts";
import type { Addresses, Stop } from "../lib/state/mod.ts";
import { type Dyndns2State, emptyDyndns2, type HostState } from "../lib/providers/dyndns2/entry.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const T = 10 * DAY; // monotonic "now"
const WALL = Date.UTC(1970, 0, 2); // a wall clock NTP has not set yet
const A = "a.example.net";
const B = "b.example.net";
const C = "c.example.net";
const V4 = "81.2.69.142";
const V4_NEW = "81.2.69.160";
const V6 = "2001:db8:1:2::10";

/** A clock at monotonic `mono` (the wall clock far off). */
function at(mono = T): Clock {
  return { now: () => WALL, mono: () => mono, bootId: "boot", sleep: () => Promise.resolve() };
}

/** A moment `ago` ms before {@link T}. */
function ago(ms: number) {
  return { at: "2026-01-01T00:00:00.000Z", mono: T - ms };
}

async function provider(extra: Record<string, unknown> = {}): Promise<Dyndns2Provider> {
  const result = await parseConfig(
    {
      providers: [{
        type: "noip",
        name: "home",
        username: "me@example.com",
        password: "pw",
        hostnames: [A, B, C],
        ...extra,
      }],
    },
    "/etc/dnsbeat/config.json",
    { readSecretFile: () => ({ error: "none" }), env: () => undefined },
  );
  assert.ok(result.ok, result.ok ? "" : result.errors.join("; "));
  const p = result.config.providers[0];
  assert.ok(p?.kind === "dyndns2");
  return p;
}

function v4(ip: string | null = V4): Addresses {
  return { ipv4: ip, ipv6: null };
}

/** A host last sent and confirmed `sent`, `successAgo` ms ago. */
function host(sent: Addresses, successAgo = MINUTE): HostState {
  return {
    sent,
    confirmed: sent,
    reply: `good ${addressList(sent).join(",")}`,
    success: ago(successAgo),
  };
}

/** An account whose every host has `sent`. */
function upToDate(sent: Addresses = v4()): Dyndns2State {
  const e = emptyDyndns2("home");
  for (const h of [A, B, C]) e.hosts[h] = host(sent);
  return e;
}

const STOP: Stop = { code: "badauth", hosts: [], at: "2026-01-01T00:00:00.000Z", fingerprint: "f" };

Deno.test("gate: a stop holds the account, whatever waits are over and however long ago", () => {
  const e = { ...upToDate(), stop: STOP };
  assert.deepEqual(gate(e, at()), { kind: "stopped", stop: STOP });
  assert.deepEqual(gate(e, at(T + 365 * DAY)), { kind: "stopped", stop: STOP });
  const host = { ...STOP, code: "nohost", hosts: [A] };
  assert.deepEqual(gate({ ...upToDate(), stop: host }, at()).kind, "stopped", "a host's stop too");
});

Deno.test("gate: 911 holds for its 30 minutes of monotonic time, then opens", () => {
  const e = { ...upToDate(), wait: { code: "911", from: ago(10 * MINUTE), ms: 30 * MINUTE } };
  assert.deepEqual(gate(e, at()), { kind: "waiting", leftMs: 20 * MINUTE, code: "911" });
  assert.deepEqual(gate(e, at(T + 20 * MINUTE - 1)).kind, "waiting");
  assert.deepEqual(gate(e, at(T + 20 * MINUTE)), { kind: "open" });
});

Deno.test("gate: the longer of a wait and a back-off holds; a back-off has no code", () => {
  const wait = { code: "911", from: ago(0), ms: 30 * MINUTE };
  const backoff = { failures: 3, from: ago(0), ms: 40 * MINUTE };
  assert.deepEqual(gate({ ...upToDate(), wait, backoff }, at()), {
    kind: "waiting",
    leftMs: 40 * MINUTE,
    code: null,
  });
  assert.deepEqual(gate({ ...upToDate(), wait, backoff: { ...backoff, ms: MINUTE } }, at()), {
    kind: "waiting",
    leftMs: 30 * MINUTE,
    code: "911",
  });
  assert.deepEqual(gate(upToDate(), at()), { kind: "open" });
});

Deno.test("due: hosts without a record are new; hosts that have the address send nothing", async () => {
  const p = await provider();
  const first = due(p, emptyDyndns2("home"), v4(), at());
  assert.deepEqual(first?.hosts, [A, B, C]);
  assert.deepEqual(first?.reasons, { [A]: "new", [B]: "new", [C]: "new" });
  assert.deepEqual(first?.addresses[B], v4());
  // Sending the same address again would be a `nochg`: nothing is due.
  assert.equal(due(p, upToDate(), v4(), at()), null);
});

Deno.test("due: only the hosts whose address changed are sent", async () => {
  const p = await provider();
  const e = upToDate();
  e.hosts[B] = host(v4("81.2.69.1"));
  const send = due(p, e, v4(), at());
  assert.deepEqual(send?.hosts, [B]);
  assert.deepEqual(send?.reasons, { [B]: "changed" });
  const all = due(p, upToDate(), v4(V4_NEW), at());
  assert.deepEqual(all?.hosts, [A, B, C]);
  assert.deepEqual(all?.addresses[A], v4(V4_NEW));
});

Deno.test("due: a family not detected, or not kept by the provider, is no change", async () => {
  const p = await provider();
  assert.equal(due(p, upToDate(), v4(null), at()), null, "nothing detected");
  assert.equal(due(p, upToDate(), { ipv4: V4, ipv6: V6 }, at()), null, "IPv6 not kept");
  const both = await provider({ families: "both" });
  const e = upToDate({ ipv4: V4, ipv6: V6 });
  assert.equal(due(both, e, { ipv4: V4, ipv6: null }, at()), null, "IPv6 not detected");
  assert.deepEqual(due(both, e, { ipv4: V4, ipv6: "2001:db8:1:2::11" }, at())?.hosts, [A, B, C]);
});

Deno.test("due: forceRefresh sends an unchanged host once it has passed since its success; never when 0", async () => {
  const p = await provider({ forceRefresh: "7d" });
  const e = upToDate();
  e.hosts[C] = host(v4(), 7 * DAY);
  e.hosts[B] = host(v4(), 7 * DAY - 1);
  const send = due(p, e, v4(), at());
  assert.deepEqual(send?.hosts, [C]);
  assert.deepEqual(send?.reasons, { [C]: "refresh" });
  const never = await provider({ forceRefresh: "never" });
  assert.equal(never.forceRefreshMs, 0);
  assert.equal(
    due(never, { ...e, hosts: { ...e.hosts, [A]: host(v4(), 400 * DAY) } }, v4(), at()),
    null,
  );
});

Deno.test("due: a request without reply is sent again when it may have changed the host", async () => {
  const p = await provider();
  const e = upToDate();
  // It carried another address than the one the host had: the server may hold either.
  e.attempt = { at: ago(MINUTE), hosts: [A, B], sent: v4(V4_NEW) };
  const send = due(p, e, v4(), at());
  assert.deepEqual(send?.hosts, [A, B]);
  assert.deepEqual(send?.reasons, { [A]: "retry", [B]: "retry" });
  // It carried the address the host has and still has: resending it would be a needless nochg.
  e.attempt = { at: ago(MINUTE), hosts: [A], sent: v4() };
  assert.equal(due(p, e, v4(), at()), null);
});

Deno.test("hostAddresses: a device behind the router gets the detected prefix plus its own id", async () => {
  const p = await provider({
    families: "both",
    hostnames: [A, { hostname: B, ipv6HostId: "::211:32ff:fe12:3456" }],
  });
  const detected = { ipv4: V4, ipv6: "2001:db8:1:2::10" };
  assert.deepEqual(hostAddresses(p, A, detected), detected);
  assert.deepEqual(hostAddresses(p, B, detected), {
    ipv4: V4,
    ipv6: "2001:db8:1:2:211:32ff:fe12:3456",
  });
  // A new prefix changes it; the same prefix with another router address does not.
  const e = emptyDyndns2("home");
  e.hosts[A] = host(detected);
  e.hosts[B] = host(hostAddresses(p, B, detected));
  assert.deepEqual(due(p, e, { ipv4: V4, ipv6: "2001:db8:1:2::99" }, at())?.hosts, [A]);
  assert.deepEqual(due(p, e, { ipv4: V4, ipv6: "2001:db8:9:9::10" }, at())?.hosts, [A, B]);
  const v4only = await provider();
  assert.deepEqual(hostAddresses(v4only, A, detected), v4(), "only the provider's families");
});

Deno.test("requests: hosts with the same addresses share a request, at most max each, in order", () => {
  const addresses = { [A]: v4(), [B]: v4(V4_NEW), [C]: v4() };
  assert.deepEqual(requests([A, B, C], addresses, 20), [
    { hosts: [A, C], addresses: v4() },
    { hosts: [B], addresses: v4(V4_NEW) },
  ]);
  assert.deepEqual(requests([A, B, C], addresses, 1), [
    { hosts: [A], addresses: v4() },
    { hosts: [C], addresses: v4() },
    { hosts: [B], addresses: v4(V4_NEW) },
  ]);
  assert.deepEqual(requests([], addresses, 20), []);
  // Both families must agree for two hosts to share a request.
  const dual = { [A]: { ipv4: V4, ipv6: V6 }, [B]: { ipv4: V4, ipv6: "2001:db8:1:2::11" } };
  assert.deepEqual(requests([A, B], dual, 20).map((r) => r.hosts), [[A], [B]]);
});

Deno.test("changed, merge, listOf: the small rules", () => {
  assert.equal(changed(null, v4(), ["ipv4"]), true, "no record: changed");
  assert.equal(changed(v4(), v4(), ["ipv4"]), false);
  assert.equal(changed(v4(), { ipv4: V4, ipv6: V6 }, ["ipv4"]), false, "a family not kept");
  assert.equal(changed(v4(), { ipv4: null, ipv6: V6 }, ["ipv4", "ipv6"]), true);
  assert.equal(changed(v4(), v4(null), ["ipv4"]), false, "not detected");
  assert.deepEqual(merge(null, v4()), v4());
  assert.deepEqual(merge({ ipv4: V4, ipv6: V6 }, v4(V4_NEW)), { ipv4: V4_NEW, ipv6: V6 });
  assert.deepEqual(merge({ ipv4: V4, ipv6: null }, { ipv4: null, ipv6: V6 }), {
    ipv4: V4,
    ipv6: V6,
  });
  assert.deepEqual(addressList({ ipv4: V4, ipv6: V6 }), [V4, V6]);
  assert.deepEqual(addressList({ ipv4: null, ipv6: V6 }), [V6]);
});
