/**
 * Devices behind the router: a hostname whose AAAA record is the detected prefix plus its own
 * interface id. The config's shape and its errors, the address arithmetic, and the change rules
 * applied to what is sent (a new prefix: one update per address; nothing new: nothing).
 */
import assert from "node:assert/strict";
import { parseConfig } from "../lib/config/mod.ts";
import type { Dyndns2Provider } from "../lib/config/types.ts";
import { DAY, MINUTE } from "../lib/config/duration.ts";
import { hostAddresses, requests } from "../lib/providers/dyndns2/plan.ts";
import { NOIP } from "../lib/providers/dyndns2/profiles.ts";
import { dyndns2Round } from "../lib/providers/dyndns2/round.ts";
import type { HttpGetRequest, HttpResult } from "../lib/net/http.ts";
import { hostIdProblem, withHostId } from "../lib/net/ip.ts";
import { testContext } from "./helpers/context.ts";
import { noipProvider } from "./helpers/fixtures.ts";

const NAS = "::211:32ff:fe12:3456";
const deps = {
  readSecretFile: () => ({ error: "file not found" }),
  env: () => undefined,
};

async function parse(provider: Record<string, unknown>) {
  return await parseConfig(
    {
      providers: [noipProvider({ families: "both", ...provider })],
    },
    "/etc/dnsbeat/config.json",
    deps,
  );
}

Deno.test("withHostId and hostIdProblem: the prefix's bits, then the device's", () => {
  assert.equal(
    withHostId("2a02:8071:5e80:1a20:8c3e:9d1f:4b27:e611", 64, NAS),
    `2a02:8071:5e80:1a20:211:32ff:fe12:3456`,
  );
  assert.equal(withHostId("2a01:c23:7c4d:9e10::1", 56, "::10:0:0:0:2"), "2a01:c23:7c4d:9e10::2");
  assert.equal(withHostId("2a01:c23:7c4d:9eff::1", 56, "::10:0:0:0:2"), "2a01:c23:7c4d:9e10::2");
  assert.equal(withHostId("2a01:4f8::1", 64, "::1"), "2a01:4f8::1");
  assert.equal(hostIdProblem(NAS, 64), null);
  assert.equal(hostIdProblem("::1:0:0:0:1", 56), null);
  assert.match(hostIdProblem("::1:0:0:0:1", 64)!, /bits in the first 64/);
  assert.match(hostIdProblem("2a01::1", 64)!, /bits in the first 64/);
  assert.match(hostIdProblem("::", 64)!, /all zero/);
  assert.match(hostIdProblem("10.0.0.1", 64)!, /not an IPv6 interface id/);
  assert.match(hostIdProblem("::1%eth0", 64)!, /not an IPv6 interface id/);
});

Deno.test("config: a hostname as an object with an ipv6HostId; the string form still valid", async () => {
  const result = await parse({
    hostnames: [
      "home.ddns.net",
      { hostname: "nas.ddns.net", ipv6HostId: "::211:32FF:FE12:3456" },
      { hostname: "cam.ddns.net", ipv6HostId: "::10:0:0:0:2", ipv6PrefixLength: 56 },
    ],
  });
  assert.ok(result.ok, JSON.stringify(result));
  const p = result.config.providers[0] as Dyndns2Provider;
  assert.deepEqual(p.hostnames, ["home.ddns.net", "nas.ddns.net", "cam.ddns.net"]);
  assert.deepEqual(p.ipv6HostIds, {
    "nas.ddns.net": { id: NAS, prefixLength: 64 },
    "cam.ddns.net": { id: "::10:0:0:0:2", prefixLength: 56 },
  });
  // The provider's ipv6PrefixLength is its hosts' default.
  const wide = await parse({
    ipv6PrefixLength: 56,
    hostnames: [{ hostname: "nas.ddns.net", ipv6HostId: "::1:0:0:0:9" }],
  });
  assert.ok(wide.ok);
  assert.deepEqual((wide.config.providers[0] as Dyndns2Provider).ipv6HostIds, {
    "nas.ddns.net": { id: "::1:0:0:0:9", prefixLength: 56 },
  });
  const plain = await parse({ hostnames: ["home.ddns.net"] });
  assert.ok(plain.ok && !("ipv6HostIds" in plain.config.providers[0]!));
});

Deno.test("config: every mistake of the object form, named with its field", async () => {
  const errors = async (provider: Record<string, unknown>) => {
    const result = await parse(provider);
    assert.ok(!result.ok);
    return result.errors;
  };
  assert.deepEqual(
    await errors({ hostnames: [{ hostname: "nas.ddns.net", ipv6HostId: "2a01:4f8::1" }] }),
    [
      'providers[0].hostnames[0].ipv6HostId: "2a01:4f8::1" has bits in the first 64 (the prefix\'s part); write only the device\'s own part, like "::211:32ff:fe12:3456" (the prefix length is 64)',
    ],
  );
  assert.deepEqual(await errors({ hostnames: [{ hostname: "nas.ddns.net" }] }), [
    'providers[0].hostnames[0].ipv6HostId: expected the device\'s IPv6 interface id, like "::211:32ff:fe12:3456", found nothing',
  ]);
  assert.deepEqual(await errors({ hostnames: [{ ipv6HostId: NAS }] }), [
    'providers[0].hostnames[0].hostname: expected a hostname or group name like "myhome.ddns.net", found nothing',
  ]);
  assert.deepEqual(
    await errors({
      hostnames: [{ hostname: "nas.ddns.net", ipv6HostId: NAS, ipv6prefixlength: 64 }],
    }),
    [
      'providers[0].hostnames[0].ipv6prefixlength: unknown field (did you mean "ipv6PrefixLength"?); known: hostname, ipv6HostId, ipv6PrefixLength',
    ],
  );
  assert.deepEqual(
    await errors({
      hostnames: [{ hostname: "nas.ddns.net", ipv6HostId: NAS, ipv6PrefixLength: 128 }],
    }),
    [
      "providers[0].hostnames[0].ipv6PrefixLength: expected the length of the detected IPv6 prefix in bits, a whole number from 1 to 127 (64 for a LAN), found 128",
    ],
  );
  assert.deepEqual(
    await errors({
      families: "ipv4",
      hostnames: [{ hostname: "nas.ddns.net", ipv6HostId: NAS }],
    }),
    [
      'providers[0].hostnames[0].ipv6HostId: gives an IPv6 address, but the provider\'s "families" leaves IPv6 out; set "families": "both" (or "ipv6")',
    ],
  );
  assert.deepEqual(await errors({ ipv6PrefixLength: 56, hostnames: ["home.ddns.net"] }), [
    'providers[0].ipv6PrefixLength: applies to hostnames given with an "ipv6HostId", and none is; give one like {"hostname": "nas.ddns.net", "ipv6HostId": "::211:32ff:fe12:3456"}, or remove it',
  ]);
  assert.deepEqual(
    await errors({
      hostnames: ["nas.ddns.net", { hostname: "NAS.ddns.net", ipv6HostId: NAS }],
    }),
    ['providers[0].hostnames[1].hostname: "NAS.ddns.net" is listed twice'],
  );
});

function provider(overrides: Partial<Dyndns2Provider> = {}): Dyndns2Provider {
  return {
    kind: "dyndns2",
    profile: NOIP,
    key: "dyndns2 http://127.0.0.1:9 me@example.com",
    name: "home",
    username: "me@example.com",
    password: "Pw-for-host-ids!",
    passwordSource: "password inline in the config",
    userAgentContact: "dnsbeat@users.noreply.github.com",
    hostnames: ["home.ddns.net", "nas.ddns.net", "cam.ddns.net"],
    ipv6HostIds: {
      "nas.ddns.net": { id: NAS, prefixLength: 64 },
      "cam.ddns.net": { id: "::2", prefixLength: 64 },
    },
    server: "http://127.0.0.1:9",
    serverAsWritten: "http://127.0.0.1:9",
    families: ["ipv4", "ipv6"],
    intervalMs: 5 * MINUTE,
    forceRefreshMs: 25 * DAY,
    fingerprint: "fp-1",
    ...overrides,
  };
}

Deno.test("hostAddresses and requests: the prefix plus the id; one request per address", () => {
  const p = provider();
  const detected = { ipv4: "81.2.69.142", ipv6: "2a02:8071:5e80:1a20:5054:ff:fe3a:7b1c" };
  assert.deepEqual(hostAddresses(p, "home.ddns.net", detected), detected);
  assert.deepEqual(hostAddresses(p, "nas.ddns.net", detected), {
    ipv4: "81.2.69.142",
    ipv6: "2a02:8071:5e80:1a20:211:32ff:fe12:3456",
  });
  assert.deepEqual(hostAddresses(p, "nas.ddns.net", { ipv4: "81.2.69.142", ipv6: null }), {
    ipv4: "81.2.69.142",
    ipv6: null,
  });
  const v4only = provider({ families: ["ipv4"] });
  assert.deepEqual(hostAddresses(v4only, "home.ddns.net", detected), {
    ipv4: "81.2.69.142",
    ipv6: null,
  });
  const same = { ipv4: "81.2.69.142", ipv6: null };
  const other = { ipv4: "81.2.69.142", ipv6: "2a01:4f8::2" };
  assert.deepEqual(requests(["a", "b", "c", "d"], { a: same, b: other, c: same, d: same }, 2), [
    { hosts: ["a", "c"], addresses: same },
    { hosts: ["d"], addresses: same },
    { hosts: ["b"], addresses: other },
  ]);
});

/** A scripted No-IP: `good` with the `myip` it got, per host; the requests are recorded. */
function server() {
  const requests: { hosts: string[]; myip: string }[] = [];
  const httpGet = (r: HttpGetRequest): Promise<HttpResult> => {
    const url = new URL(r.url);
    const hosts = url.searchParams.get("hostname")!.split(",");
    const myip = url.searchParams.get("myip") ?? "";
    requests.push({ hosts, myip });
    return Promise.resolve({
      kind: "reply",
      status: 200,
      body: hosts.map(() => `good ${myip}`).join("\n"),
      truncated: false,
    });
  };
  return { requests, httpGet };
}

Deno.test("rounds: each address its request; a new prefix one update each; nothing new, nothing", async () => {
  const current = { ipv4: "81.2.69.142", ipv6: "2a02:8071:5e80:1a20:5054:ff:fe3a:7b1c" };
  const detect = (family: "ipv4" | "ipv6") =>
    Promise.resolve({ kind: "found" as const, ip: current[family], source: "test" });
  const s = server();
  const t = testContext({ httpGet: s.httpGet, detect });
  const never = new AbortController().signal;
  assert.deepEqual(await dyndns2Round(t.ctx, provider(), never), { kind: "ok" });
  assert.deepEqual(s.requests, [
    { hosts: ["home.ddns.net"], myip: "81.2.69.142,2a02:8071:5e80:1a20:5054:ff:fe3a:7b1c" },
    { hosts: ["nas.ddns.net"], myip: "81.2.69.142,2a02:8071:5e80:1a20:211:32ff:fe12:3456" },
    { hosts: ["cam.ddns.net"], myip: "81.2.69.142,2a02:8071:5e80:1a20::2" },
  ]);
  // The interface id of this machine changes (a new stable-privacy address), the prefix does
  // not: only this machine's own name is sent.
  current.ipv6 = "2a02:8071:5e80:1a20:9a6c:5e21:c04d:73b2";
  for (let i = 0; i < 5; i++) await dyndns2Round(t.ctx, provider(), never);
  assert.equal(s.requests.length, 4);
  assert.deepEqual(s.requests[3]!.hosts, ["home.ddns.net"]);
  // A new prefix: one update for each host, then nothing more.
  current.ipv6 = "2a02:8071:5e80:7c00:9a6c:5e21:c04d:73b2";
  for (let i = 0; i < 5; i++) await dyndns2Round(t.ctx, provider(), never);
  assert.deepEqual(s.requests.slice(4), [
    { hosts: ["home.ddns.net"], myip: "81.2.69.142,2a02:8071:5e80:7c00:9a6c:5e21:c04d:73b2" },
    { hosts: ["nas.ddns.net"], myip: "81.2.69.142,2a02:8071:5e80:7c00:211:32ff:fe12:3456" },
    { hosts: ["cam.ddns.net"], myip: "81.2.69.142,2a02:8071:5e80:7c00::2" },
  ]);
  // A new IPv4 address: every host needs it, each with its own IPv6 address.
  current.ipv4 = "81.2.69.160";
  await dyndns2Round(t.ctx, provider(), never);
  assert.equal(s.requests.length, 10);
  await dyndns2Round(t.ctx, provider(), never);
  assert.equal(s.requests.length, 10);
});

Deno.test("a lost state: each host is recorded as up to date when DNS answers its own address", async () => {
  const detected = { ipv4: "81.2.69.142", ipv6: "2a02:8071:5e80:1a20:5054:ff:fe3a:7b1c" };
  const dns: Record<string, string> = {
    "home.ddns.net ipv4": "81.2.69.142",
    "home.ddns.net ipv6": detected.ipv6,
    "nas.ddns.net ipv4": "81.2.69.142",
    "nas.ddns.net ipv6": "2a02:8071:5e80:1a20:211:32ff:fe12:3456",
    "cam.ddns.net ipv4": "81.2.69.142",
    // The camera's record is the router's address, not its own: it is sent.
    "cam.ddns.net ipv6": detected.ipv6,
  };
  const s = server();
  const t = testContext({
    httpGet: s.httpGet,
    detect: (family) => Promise.resolve({ kind: "found", ip: detected[family], source: "test" }),
    lookup: (host, family) => Promise.resolve([dns[`${host} ${family}`]!]),
  });
  await dyndns2Round(t.ctx, provider(), new AbortController().signal);
  assert.deepEqual(s.requests, [
    { hosts: ["cam.ddns.net"], myip: "81.2.69.142,2a02:8071:5e80:1a20::2" },
  ]);
  assert.ok(
    t.logs.some((l) =>
      l.includes(
        "DNS already answers 81.2.69.142, 2a02:8071:5e80:1a20:211:32ff:fe12:3456 for nas.ddns.net",
      )
    ),
    t.logs.join("\n"),
  );
});
