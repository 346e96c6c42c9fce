/**
 * The provider table (`lib/providers/mod.ts`) and its state half (`lib/providers/entries.ts`):
 * each row does what it claims, for providers read by the real config reader.
 */
import assert from "node:assert/strict";
import { type ConfigDeps, parseConfig } from "../lib/config/mod.ts";
import type {
  CloudflareProvider,
  CustomProvider,
  DynamipProvider,
  Dyndns2Provider,
  Provider,
} from "../lib/config/types.ts";
import { entryKindOf } from "../lib/providers/entries.ts";
import { emptyDynamip } from "../lib/providers/dynamip/entry.ts";
import { emptyDyndns2, emptyHost } from "../lib/providers/dyndns2/entry.ts";
import { kindOf, PROVIDER_TYPES, readerOf } from "../lib/providers/mod.ts";
import { emptyState, parseState, type State } from "../lib/state/mod.ts";
import { FakeClock } from "./helpers/fake_clock.ts";

const PW = "Pr0vider-table-pw";
const deps: ConfigDeps = {
  readSecretFile: () => ({ error: "file not found" }),
  env: () => undefined,
  fileMode: () => 0o600,
};

async function read(...providers: Record<string, unknown>[]): Promise<Provider[]> {
  const result = await parseConfig(
    { userAgentContact: "ops@example.org", providers },
    "/etc/dnsbeat/config.json",
    deps,
  );
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.config.providers;
}

async function noip(): Promise<Dyndns2Provider> {
  const [p] = await read({
    type: "noip",
    name: "home",
    username: "me",
    password: PW,
    hostnames: ["a.ddns.net", "b.ddns.net"],
    families: "both",
  });
  return p as Dyndns2Provider;
}

/** A `custom` provider's entry: a token in the query, one request per hostname. */
const CUSTOM = {
  type: "custom",
  name: "own",
  url: "https://dyn.example.co.uk/update?host={{hostname}}&ip={{ip}}&token={{token}}",
  token: PW,
  success: "^OK",
  hostnames: ["a.example.co.uk", "b.example.co.uk"],
};

async function custom(): Promise<CustomProvider> {
  const [p] = await read(CUSTOM);
  return p as CustomProvider;
}

async function cloudflare(): Promise<CloudflareProvider> {
  const [p] = await read({
    type: "cloudflare",
    name: "cf",
    token: PW,
    hostnames: ["home.example.com", "nas.example.com"],
    families: "both",
  });
  return p as CloudflareProvider;
}

async function site(): Promise<DynamipProvider> {
  const [p] = await read({ type: "dynamip", name: "site", siteId: "George", password: PW });
  return p as DynamipProvider;
}

Deno.test("table: the config types are the services, any DynDNS2 server, DynamIP, custom and Cloudflare", () => {
  assert.deepEqual([...PROVIDER_TYPES].sort(), [
    "cloudflare",
    "custom",
    "ddnss",
    "desec",
    "duckdns",
    "dynamip",
    "dyndns2",
    "dynu",
    "dynv6",
    "freedns",
    "he",
    "noip",
  ]);
  assert.equal(readerOf("nope"), undefined);
  assert.equal(readerOf("toString"), undefined, "no type from Object's prototype");
});

Deno.test("table: each config type reads a provider that names that type", async () => {
  const dyndns2 = {
    username: "me",
    password: PW,
    hostnames: ["h.example.org"],
    server: "https://u.example.org",
  };
  const url = { token: PW, hostnames: ["h.example.org"] };
  const entries: Record<string, Record<string, unknown>> = {
    dynamip: { siteId: "George", password: PW },
    custom: CUSTOM,
    cloudflare: { token: PW, hostnames: ["h.example.org"] },
    duckdns: { token: PW, hostnames: ["h.duckdns.org"] },
    freedns: url,
    dynv6: url,
    ddnss: url,
  };
  for (const type of PROVIDER_TYPES) {
    const [p] = await read({ ...(entries[type] ?? dyndns2), type });
    assert.equal(kindOf(p!).configType(p!), type);
  }
});

Deno.test("cloudflare row: every record, its hostnames, Cloudflare's detection hosts off limits", async () => {
  const p = await cloudflare();
  const k = kindOf(p);
  assert.deepEqual(k.records(p), [
    { hostname: "home.example.com", family: "ipv4" },
    { hostname: "home.example.com", family: "ipv6" },
    { hostname: "nas.example.com", family: "ipv4" },
    { hostname: "nas.example.com", family: "ipv6" },
  ]);
  assert.deepEqual(k.hostnames(p), ["home.example.com", "nas.example.com"]);
  assert.equal(k.configType(p), "cloudflare");
  assert.equal(k.contact(p), "ops@example.org");
  assert.equal(k.schedule(p), "Cloudflare, every 5m");
  assert.deepEqual(k.secretSources(p), ["token inline in the config: 17 characters"]);
  // research/services.md §7: the hosts clients detect at (/cdn-cgi/trace, DNS over HTTPS).
  const off = k.detection(p);
  for (const host of ["cloudflare.com", "one.one.one.one", "cloudflare-dns.com", "1.1.1.1"]) {
    assert.ok(off.includes(host), host);
  }
  assert.ok(off.includes("api.cloudflare.com"), "its API's host");
  assert.ok(!k.describe(p).includes(PW), "no token in check");
  assert.ok(!p.key.includes(PW), "no token in the state's key");
});

Deno.test("dyndns2 row: every host's records, its hostnames, its User-Agent contact", async () => {
  const p = await noip();
  const k = kindOf(p);
  assert.deepEqual(k.records(p), [
    { hostname: "a.ddns.net", family: "ipv4" },
    { hostname: "a.ddns.net", family: "ipv6" },
    { hostname: "b.ddns.net", family: "ipv4" },
    { hostname: "b.ddns.net", family: "ipv6" },
  ]);
  assert.deepEqual(k.hostnames(p), ["a.ddns.net", "b.ddns.net"]);
  assert.equal(k.contact(p), "ops@example.org");
  assert.equal(k.schedule(p), "No-IP, every 5m", "the default interval");
  assert.match(k.describe(p), /a\.ddns\.net, b\.ddns\.net/);
  assert.ok(!k.describe(p).includes(PW), "no password in check");
});

Deno.test("dyndns2 row: a stopped No-IP account puts No-IP's detection hosts off limits", async () => {
  const p = await noip();
  const off = kindOf(p).detection(p);
  // PROTOCOLS.md: No-IP's detection service is ip1.dynupdate.no-ip.com; its server dynupdate.no-ip.com.
  assert.ok(off.includes("no-ip.com"));
  assert.ok(off.includes("dynupdate.no-ip.com"));
});

Deno.test("dyndns2 row: any DynDNS2 server puts its registrable domain off limits", async () => {
  const [p] = await read({
    type: "dyndns2",
    username: "me",
    password: PW,
    hostnames: ["h.example.org"],
    server: "https://members.example.co.uk",
  });
  assert.deepEqual(kindOf(p!).detection(p!), ["members.example.co.uk", "example.co.uk"]);
});

Deno.test("dynamip row: no hosts, no contact, its server off limits, a beat every 15 minutes", async () => {
  const p = await site();
  const k = kindOf(p);
  assert.deepEqual(k.records(p), []);
  assert.deepEqual(k.hostnames(p), []);
  assert.equal(k.contact(p), null);
  assert.equal(k.configType(p), "dynamip");
  assert.deepEqual(k.detection(p), [new URL(p.server).hostname]);
  // DynamIP disallows beats under 15 minutes apart: the period is 15 minutes and a margin.
  assert.match(k.schedule(p), /^DynamIP, every 15m( \d+s)?$/);
  assert.ok(!k.describe(p).includes(PW));
});

Deno.test("custom row: its hosts, its server's registrable domain off limits, secrets hidden", async () => {
  const p = await custom();
  const k = kindOf(p);
  assert.deepEqual(k.hostnames(p), ["a.example.co.uk", "b.example.co.uk"]);
  assert.deepEqual(k.records(p).map((r) => r.family), ["ipv4", "ipv4"]);
  assert.equal(k.configType(p), "custom");
  assert.equal(k.contact(p), "ops@example.org");
  assert.deepEqual(k.detection(p), ["dyn.example.co.uk", "example.co.uk"]);
  assert.equal(k.schedule(p), "dyn.example.co.uk, every 5m");
  assert.ok(k.describe(p).includes("token={{token}}"), k.describe(p));
  assert.ok(!k.describe(p).includes(PW));
  assert.deepEqual(k.secretSources(p), [p.tokenSource]);
  assert.match(p.tokenSource, /^token/);
  assert.match(p.key, /^custom https:\/\/dyn\.example\.co\.uk secret [0-9a-f]{12}$/);
  assert.ok(!p.key.includes(PW), "the state file's key holds no secret");
});

Deno.test("rows: a second provider for one account is refused with the row's reason", async () => {
  const twice = async (entry: Record<string, unknown>) => {
    const result = await parseConfig(
      { providers: [{ ...entry, name: "one" }, { ...entry, name: "two" }] },
      "/etc/dnsbeat/config.json",
      deps,
    );
    assert.equal(result.ok, false);
    return result.ok ? [] : result.errors;
  };
  const account = await twice({
    type: "noip",
    username: "me",
    password: PW,
    hostnames: ["a.ddns.net"],
  });
  assert.ok(
    account.some((e) => /^providers\[1\]: the same account .*providers\[0\]/.test(e)),
    account.join("\n"),
  );
  const own = await twice(CUSTOM);
  assert.ok(
    own.some((e) => /^providers\[1\]: the same account .*providers\[0\]/.test(e)),
    own.join("\n"),
  );
  const token = await twice({ type: "cloudflare", token: PW, hostnames: ["a.example.com"] });
  assert.ok(
    token.some((e) => /^providers\[1\]: the same Cloudflare API token .*providers\[0\]/.test(e)),
    token.join("\n"),
  );
  const beat = await twice({ type: "dynamip", siteId: "George", password: PW });
  assert.ok(
    beat.some((e) => /^providers\[1\]: the same DynamIP site .*beat twice/.test(e)),
    beat.join("\n"),
  );
});

Deno.test("rows: a host updated by two providers at one server is refused", async () => {
  const result = await parseConfig(
    {
      providers: [
        { type: "noip", name: "one", username: "me", password: PW, hostnames: ["a.ddns.net"] },
        { type: "noip", name: "two", username: "you", password: PW, hostnames: ["A.ddns.net"] },
      ],
    },
    "/etc/dnsbeat/config.json",
    deps,
  );
  assert.ok(
    !result.ok &&
      result.errors.some((e) => e.includes('"A.ddns.net" is also updated by provider "one"')),
  );
});

Deno.test("rows: status reads only an entry of the provider's own kind, and renders it", async () => {
  const clock = new FakeClock(Date.UTC(2026, 0, 2), { manual: true });
  const p = await noip();
  const s = await site();
  const state: State = emptyState();
  // An entry of the other kind under each key reads as "never run".
  state.providers[p.key] = { ...emptyDynamip(p.name), stop: stopNamed("x") };
  state.providers[s.key] = { ...emptyDyndns2(s.name), stop: stopNamed("y") };
  for (const q of [p, s]) {
    const status = kindOf(q).status(q, state, "/c.json", 15_000, clock, new Map());
    assert.equal(status.health, "ok");
    assert.equal(status.stop, null);
  }
  state.providers[p.key] = { ...emptyDyndns2(p.name), stop: stopNamed("badauth") };
  state.providers[s.key] = { ...emptyDynamip(s.name), stop: stopNamed("Invalid Login") };
  for (const q of [p, s]) {
    const status = kindOf(q).status(q, state, "/c.json", 15_000, clock, new Map());
    assert.equal(status.health, "stopped");
    const text = kindOf(q).render(status).join("\n");
    assert.ok(text.includes(q.name), text);
    assert.match(text, /STOPPED since 2026-01-01T00:00:00.000Z/);
  }
});

function stopNamed(code: string) {
  return { code, hosts: [], at: "2026-01-01T00:00:00.000Z", fingerprint: "fp" };
}

Deno.test("entries: each kind's new entry fits the schema; an unknown kind does not", () => {
  const text = (providers: Record<string, unknown>) =>
    JSON.stringify({ ...emptyState(), providers });
  const ok = parseState(text({ a: emptyDyndns2("a"), b: emptyDynamip("b") }));
  assert.equal(ok.ok, true);
  const other = parseState(text({ a: { ...emptyDyndns2("a"), type: "carrier-pigeon" } }));
  assert.deepEqual(other, {
    ok: false,
    problem: 'providers: "a" has an unknown provider type "carrier-pigeon"',
  });
  const mixed = parseState(text({ a: { ...emptyDynamip("a"), type: "dyndns2" } }));
  assert.equal(mixed.ok, false, "a DynamIP entry labelled dyndns2 is checked as DynDNS2");
});

Deno.test("entries: the addresses each kind last sent, by family", () => {
  const d = emptyDyndns2("a");
  d.hosts["x"] = { ...emptyHost(), sent: { ipv4: "192.0.2.1", ipv6: "2001:db8::1" } };
  d.hosts["y"] = emptyHost();
  assert.deepEqual(entryKindOf(d).sent(d, "ipv4"), ["192.0.2.1", null]);
  assert.deepEqual(entryKindOf(d).sent(d, "ipv6"), ["2001:db8::1", null]);
  const b = { ...emptyDynamip("b"), lastIp: "198.51.100.7" };
  assert.deepEqual(entryKindOf(b).sent(b, "ipv4"), ["198.51.100.7"]);
});

Deno.test("entries: the waits each kind holds across a reboot, and what is only due", () => {
  const m = (n: number) => ({ at: new Date(n).toISOString(), mono: n });
  const d = {
    ...emptyDyndns2("a"),
    wait: { code: "911", from: m(1), ms: 1 },
    backoff: { failures: 1, from: m(2), ms: 1 },
    attempt: { at: m(3), hosts: [], sent: { ipv4: null, ipv6: null } },
    hosts: { x: { ...emptyHost(), success: m(4) } },
  };
  assert.deepEqual(entryKindOf(d).floors(d).map((x) => x?.mono).sort(), [1, 2, 3]);
  assert.deepEqual(entryKindOf(d).dues(d).map((x) => x?.mono), [4]);
  const b = {
    ...emptyDynamip("b"),
    backoff: { failures: 1, from: m(5), ms: 1 },
    lastRequest: { at: m(6), rttMs: null },
    lastBeat: m(7),
    expiryWarned: m(8),
  };
  assert.deepEqual(entryKindOf(b).floors(b).map((x) => x?.mono).sort(), [5, 6, 7]);
  assert.deepEqual(entryKindOf(b).dues(b).map((x) => x?.mono), [8]);
});

Deno.test("entries: a lifted DynamIP stop ends its switch to AUTO; DynDNS2 keeps its wait", () => {
  const b = { ...emptyDynamip("b"), useAuto: true };
  entryKindOf(b).lift(b);
  assert.equal(b.useAuto, false);
  const d = {
    ...emptyDyndns2("a"),
    wait: { code: "911", from: { at: "2026-01-01T00:00:00Z", mono: 0 }, ms: 1 },
  };
  entryKindOf(d).lift(d);
  assert.notEqual(d.wait, null);
});

Deno.test("custom row: a built-in service's stop puts its own detection domains and its server off limits", async () => {
  // The services' detection hosts (README, "Supported services"): FreeDNS's check.php at
  // freedns.afraid.org, ddnss.de's meineip.php; DuckDNS and dynv6 name none but their own domain.
  const cases: [string, string, string[]][] = [
    ["duckdns", "h.duckdns.org", ["duckdns.org", "www.duckdns.org"]],
    ["freedns", "h.mooo.com", ["afraid.org", "sync.afraid.org"]],
    ["dynv6", "h.dynv6.net", ["dynv6.com"]],
    ["ddnss", "h.ddnss.de", ["ddnss.de"]],
  ];
  for (const [type, host, domains] of cases) {
    const [p] = await read({ type, token: PW, hostnames: [host] });
    const off = kindOf(p!).detection(p!);
    for (const domain of domains) assert.ok(off.includes(domain), `${type}: ${domain} in ${off}`);
  }
});
