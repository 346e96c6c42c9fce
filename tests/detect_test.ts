import assert from "node:assert/strict";
import {
  describeSource,
  type DetectDeps,
  type Detection,
  DETECTION_SHARE_MS,
  detectIp,
  type IpSource,
  isServiceOf,
  parseIpSource,
  serverDomains,
  shareDetections,
} from "../lib/net/detect.ts";
import { NOIP } from "../lib/providers/dyndns2/profiles.ts";
import { type HttpGetRequest, httpRequest, type HttpResult } from "../lib/net/http.ts";
import { NO_DNS } from "./helpers/context.ts";

const http = (url: string): IpSource => ({ kind: "http", url });
const reply = (body: string, status = 200, truncated = false): HttpResult => ({
  kind: "reply",
  status,
  body,
  truncated,
});

/** Fake dependencies: HTTP answers by URL, a fixed interface list; records the requests. */
function fakeDeps(
  answers: Record<string, HttpResult>,
  interfaces: Deno.NetworkInterfaceInfo[] = [],
): DetectDeps & { requests: HttpGetRequest[] } {
  const requests: HttpGetRequest[] = [];
  return {
    requests,
    httpGet: (req) => {
      requests.push(req);
      const answer = answers[req.url];
      assert.ok(answer, `unexpected request to ${req.url}`);
      return Promise.resolve(answer);
    },
    networkInterfaces: () => interfaces,
    dns: NO_DNS,
  };
}

function nic(name: string, address: string): Deno.NetworkInterfaceInfo {
  const v6 = address.includes(":");
  return {
    name,
    family: v6 ? "IPv6" : "IPv4",
    address,
    netmask: v6 ? "ffff:ffff:ffff:ffff::" : "255.255.255.0",
    scopeid: v6 ? 0 : null,
    cidr: `${address}/${v6 ? 64 : 24}`,
    mac: "00:11:22:33:44:55",
  };
}

Deno.test("parseIpSource: URLs and interfaces", () => {
  assert.deepEqual(parseIpSource("https://api.ipify.org"), http("https://api.ipify.org"));
  assert.deepEqual(
    parseIpSource("http://ip1.dynupdate.no-ip.com:8245/"),
    http("http://ip1.dynupdate.no-ip.com:8245/"),
  );
  assert.deepEqual(parseIpSource("interface:eth0"), { kind: "interface", name: "eth0" });
  assert.deepEqual(parseIpSource("interface:eth0:1"), { kind: "interface", name: "eth0:1" });
});

Deno.test("parseIpSource: anything else says what was expected", () => {
  const cases: [string, RegExp][] = [
    ["interface:", /interface name after "interface:"/],
    ["interface:eth 0", /interface name after "interface:"/],
    ["eth0", /expected an http:\/\/ or https:\/\/ URL, "interface:NAME" or "dns:…", found "eth0"/],
    ["api.ipify.org", /expected an http:\/\/ or https:\/\/ URL.*found "api.ipify.org"/],
    ["ftp://example.test/ip", /expected an http:\/\/ or https:\/\/ URL.*"ftp:"/],
    ["", /expected an http:\/\/ or https:\/\/ URL/],
  ];
  for (const [text, pattern] of cases) {
    const parsed = parseIpSource(text);
    assert.ok("error" in parsed, text);
    assert.match(parsed.error, pattern);
  }
});

Deno.test("describeSource: no userinfo, query or fragment", () => {
  assert.equal(
    describeSource(http("https://user:pw@ip.example:8443/v4?token=secret#x")),
    "https://ip.example:8443/v4",
  );
  assert.equal(
    describeSource(http("http://ip1.dynupdate.no-ip.com/")),
    "http://ip1.dynupdate.no-ip.com/",
  );
  assert.equal(describeSource({ kind: "interface", name: "eth0" }), "interface eth0");
});

Deno.test("isServiceOf: No-IP's domains and below them, any case, nothing else", () => {
  const cases: [IpSource, boolean][] = [
    [http("http://ip1.dynupdate.no-ip.com/"), true],
    [http("http://ip1.dynupdate6.no-ip.com:8245/"), true],
    [http("https://no-ip.com/"), true],
    [http("https://NO-IP.COM./ip"), true],
    [http("http://ip1.dynupdate.noip.com/"), true],
    [http("http://IP1.DynUpdate.NoIP.com./"), true],
    [http("https://api.ipify.org"), false],
    [http("https://notno-ip.com/"), false],
    [http("https://no-ip.com.evil.example/"), false],
    [http("https://evil.example/?no-ip.com"), false],
    [{ kind: "interface", name: "no-ip.com" }, false],
  ];
  for (const [source, expected] of cases) {
    assert.equal(isServiceOf(NOIP.detection, source), expected, JSON.stringify(source));
  }
});

Deno.test("serverDomains: the server's host, its registrable domain, an address with its port", () => {
  assert.deepEqual(serverDomains("https://members.example.com/", true), [
    "members.example.com",
    "example.com",
  ]);
  assert.deepEqual(serverDomains("https://ddns.example.co.uk", true), [
    "ddns.example.co.uk",
    "example.co.uk",
  ]);
  assert.deepEqual(serverDomains("https://Example.COM.", true), ["example.com"]);
  assert.deepEqual(serverDomains("https://dynupdate.no-ip.com", false), ["dynupdate.no-ip.com"]);
  assert.deepEqual(serverDomains("http://127.0.0.1:8245", true), ["127.0.0.1:8245"]);
  assert.deepEqual(serverDomains("http://[::1]:80/", true), ["[::1]"]);
  assert.deepEqual(serverDomains("not a url", true), []);
  const cases: [string, boolean][] = [
    ["http://ip.example.com:8245/", true],
    ["http://example.com/", true],
    ["http://members.example.com/ip", true],
    ["http://example.net/", false],
    ["http://127.0.0.1:8245/ip", true],
    ["http://127.0.0.1:9/ip", false],
  ];
  const domains = [
    ...serverDomains("https://members.example.com", true),
    ...serverDomains("http://127.0.0.1:8245", true),
  ];
  for (const [url, expected] of cases) assert.equal(isServiceOf(domains, http(url)), expected, url);
});

Deno.test("detectIp: reply formats (plain, JSON, checkip.dyndns.org)", async () => {
  const bodies: [string, string][] = [
    ["81.2.69.160", "81.2.69.160"],
    ["  81.2.69.160\r\n", "81.2.69.160"],
    ['{"ip":"81.2.69.160"}', "81.2.69.160"],
    ['{ "ip": "81.2.69.160", "country": "GB" }\n', "81.2.69.160"],
    [
      "<html><head><title>Current IP Check</title></head><body>Current IP Address: 81.2.69.160</body></html>\r\n",
      "81.2.69.160",
    ],
  ];
  for (const [body, ip] of bodies) {
    const deps = fakeDeps({ "https://ip.example/": reply(body) });
    assert.deepEqual(
      await detectIp({ family: "ipv4", sources: [http("https://ip.example/")] }, deps),
      { kind: "found", ip, source: "https://ip.example/" },
      body,
    );
  }
  const v6 = fakeDeps({ "https://ip6.example/": reply("2A01:04F8:0:0::1\n") });
  assert.deepEqual(
    await detectIp({ family: "ipv6", sources: [http("https://ip6.example/")] }, v6),
    { kind: "found", ip: "2a01:4f8::1", source: "https://ip6.example/" },
  );
});

Deno.test("detectIp: replies that are not an address", async () => {
  for (
    const body of [
      "",
      "hello",
      '{"ip": 5}',
      '{"address":"81.2.69.160"}',
      "{not json",
      "81.2.69.160 extra",
    ]
  ) {
    const deps = fakeDeps({ "https://ip.example/": reply(body) });
    assert.deepEqual(
      await detectIp({ family: "ipv4", sources: [http("https://ip.example/")] }, deps),
      {
        kind: "none",
        problems: ["https://ip.example/: answered something that is not an IP address"],
      },
      body,
    );
  }
});

Deno.test("detectIp: tries sources in order, one problem line per failing source", async () => {
  const deps = fakeDeps({
    "https://a.example/": { kind: "unreached", reason: "DNS lookup failed" },
    "https://b.example/": { kind: "failed", reason: "no complete reply within 15s" },
    "https://c.example/": reply("oops", 503),
    "https://d.example/": reply("81.2.69.160", 200, true),
    "https://e.example/": {
      kind: "redirect-refused",
      status: 302,
      location: "https://other.example/ip",
      reason: "the server redirected to another server, which would receive the credentials",
    },
    "https://f.example/?key=secret": reply("192.168.1.20"),
    "https://g.example/": reply("2a01:4f8::1"),
    "https://h.example/": reply("81.2.69.160"),
    "https://never.example/": reply("81.2.69.161"),
  });
  const urls = [
    "https://a.example/",
    "https://b.example/",
    "https://c.example/",
    "https://d.example/",
    "https://e.example/",
    "https://f.example/?key=secret",
    "https://g.example/",
    "https://h.example/",
    "https://never.example/",
  ];
  const sources = urls.map(http);
  const signal = new AbortController().signal;
  const found = await detectIp({ family: "ipv4", sources, timeoutMs: 1234, signal }, deps);
  assert.deepEqual(found, { kind: "found", ip: "81.2.69.160", source: "https://h.example/" });
  assert.deepEqual(deps.requests.map((r) => r.url), urls.slice(0, 8));
  for (const request of deps.requests) {
    assert.equal(request.timeoutMs, 1234);
    assert.equal(request.signal, signal);
  }

  const none = await detectIp({ family: "ipv4", sources: sources.slice(0, 7) }, deps);
  assert.ok(none.kind === "none");
  assert.deepEqual(none.problems, [
    "https://a.example/: DNS lookup failed",
    "https://b.example/: no complete reply within 15s",
    "https://c.example/: answered with HTTP status 503",
    "https://d.example/: answered far more than an IP address",
    "https://e.example/: redirect to https://other.example/ip not followed: the server redirected to another server, which would receive the credentials",
    "https://f.example/: answered 192.168.1.20, which is in 192.168.0.0/16: a private address inside the local network, not the public one — a router or VPN sits between this machine and the Internet; detect the address with a web service instead.",
    "https://g.example/: answered 2a01:4f8::1, an IPv6 address, but an IPv4 address is wanted",
  ]);
});

Deno.test("detectIp: carrier-grade NAT is explained", async () => {
  const deps = fakeDeps({ "https://ip.example/": reply("100.70.1.2") });
  const result = await detectIp({ family: "ipv4", sources: [http("https://ip.example/")] }, deps);
  assert.ok(result.kind === "none");
  assert.match(
    result.problems[0]!,
    /^https:\/\/ip\.example\/: answered 100\.70\.1\.2, which is in 100\.64\.0\.0\/10: carrier-grade NAT/,
  );
});

Deno.test("detectIp: skipped sources are not asked and say why", async () => {
  const deps = fakeDeps({ "https://api.ipify.org": reply("81.2.69.160") });
  const result = await detectIp({
    family: "ipv4",
    sources: [http("http://ip1.dynupdate.no-ip.com/"), http("https://api.ipify.org")],
    skip: (s) => isServiceOf(NOIP.detection, s) ? "skipped: No-IP updates are stopped" : null,
  }, deps);
  assert.deepEqual(result, { kind: "found", ip: "81.2.69.160", source: "https://api.ipify.org/" });
  assert.deepEqual(deps.requests.map((r) => r.url), ["https://api.ipify.org"]);

  const alone = await detectIp({
    family: "ipv4",
    sources: [http("http://ip1.dynupdate.no-ip.com/")],
    skip: () => "skipped: No-IP updates are stopped",
  }, deps);
  assert.deepEqual(alone, {
    kind: "none",
    problems: ["http://ip1.dynupdate.no-ip.com/: skipped: No-IP updates are stopped"],
  });
});

Deno.test("detectIp: a relayed or ambiguous DNS answer is refused, the next source used, and said why", async () => {
  const answers: Record<string, string[] | string[][]> = {
    "o-o.myaddr.l.google.com": [["81.2.69.1"], ["edns0-client-subnet 81.2.69.0/24"]],
    "myip.opendns.com": ["81.2.69.2", "81.2.69.3"],
  };
  const deps: DetectDeps = {
    ...fakeDeps({ "https://api.ipify.org": reply("81.2.69.160") }),
    dns: {
      resolveDns: ((name: string) => Promise.resolve(answers[name]!)) as DetectDeps["dns"][
        "resolveDns"
      ],
    },
  };
  const passed: string[] = [];
  const sources = ["dns:google", "dns:opendns", "https://api.ipify.org"].map((text) => {
    const source = parseIpSource(text);
    assert.ok(!("error" in source));
    return source;
  });
  const found = await detectIp({
    family: "ipv4",
    sources,
    passedOver: (source, problem) => passed.push(`${source} | ${problem}`),
  }, deps);
  assert.deepEqual(found, { kind: "found", ip: "81.2.69.160", source: "https://api.ipify.org/" });
  assert.deepEqual(passed, [
    "dns:google (asks 216.239.32.10 for IPv4, [2001:4860:4802:32::a] for IPv6) | the resolver 216.239.32.10 answered TXT data for o-o.myaddr.l.google.com that carries an edns0-client-subnet string: a recursive resolver passed the query on (often a router that intercepts DNS), so the address in it is that resolver's, not this machine's",
    "dns:opendns (asks 208.67.222.222 for IPv4, [2620:119:35::35] for IPv6) | the resolver 208.67.222.222 answered 2 different IPv4 addresses for myip.opendns.com (81.2.69.2, 81.2.69.3): an echo of this machine's address answers exactly one, so none is taken",
  ]);

  // When no source gives an address, the problems are in the result, not told one by one.
  passed.length = 0;
  const none = await detectIp({
    family: "ipv4",
    sources: sources.slice(0, 2),
    passedOver: (source) => passed.push(source),
  }, deps);
  assert.equal(none.kind, "none");
  assert.equal(none.kind === "none" && none.problems.length, 2);
  assert.deepEqual(passed, []);
});

Deno.test("detectIp: an abort stops trying further sources", async () => {
  const controller = new AbortController();
  const deps = fakeDeps({
    "https://a.example/": { kind: "aborted" },
    "https://b.example/": reply("81.2.69.160"),
  });
  const origGet = deps.httpGet;
  deps.httpGet = (req) => {
    controller.abort();
    return origGet(req);
  };
  const result = await detectIp({
    family: "ipv4",
    sources: [http("https://a.example/"), http("https://b.example/")],
    signal: controller.signal,
  }, deps);
  assert.deepEqual(result, {
    kind: "none",
    problems: ["https://a.example/: not finished: dnsbeat is stopping"],
  });
  assert.deepEqual(deps.requests.map((r) => r.url), ["https://a.example/"]);
});

const INTERFACES = [
  nic("lo", "127.0.0.1"),
  nic("lo", "::1"),
  nic("eth0", "192.168.1.5"),
  nic("eth0", "fe80::1"),
  nic("eth0", "fd00::5"),
  nic("eth0", "2a01:4f8::5"),
  nic("wan0", "10.0.0.1"),
  nic("wan0", "81.2.69.160"),
  nic("ppp0", "100.64.3.4"),
];

Deno.test("detectIp: an interface's first public address of the family", async () => {
  const deps = fakeDeps({}, INTERFACES);
  const detect = (family: "ipv4" | "ipv6", name: string) =>
    detectIp({ family, sources: [{ kind: "interface", name }] }, deps);
  const { note, ...v6 } = await detect("ipv6", "eth0") as Detection & { note?: string };
  assert.deepEqual(v6, { kind: "found", ip: "2a01:4f8::5", source: "interface eth0" });
  // Without `ip`, no flags: the choice says so, and what to do.
  assert.equal(
    note,
    'interface eth0 (read with the system\'s interface list): 2a01:4f8::5, the first public address; passed over fe80::1 (in fe80::/10), fd00::5 (in fc00::/7); the address flags could not be read (no "ip" command), so it may be a temporary address that changes daily: install iproute2\'s "ip", or list a web source first',
  );
  assert.deepEqual(await detect("ipv4", "wan0"), {
    kind: "found",
    ip: "81.2.69.160",
    source: "interface wan0",
  });
  const private4 = await detect("ipv4", "eth0");
  assert.ok(private4.kind === "none");
  assert.match(
    private4.problems[0]!,
    /^interface eth0: has only non-public addresses, like 192\.168\.1\.5, which is in 192\.168\.0\.0\/16: /,
  );
  assert.deepEqual(await detect("ipv6", "ppp0"), {
    kind: "none",
    problems: ["interface ppp0: has no IPv6 address"],
  });
  assert.deepEqual(await detect("ipv4", "wlan0"), {
    kind: "none",
    problems: [
      'interface wlan0: no network interface named "wlan0" (there are: lo, eth0, wan0, ppp0)',
    ],
  });
  assert.deepEqual(deps.requests, []);
});

Deno.test("detectIp: interface addresses with a zone, and listing failures", async () => {
  const zoned = fakeDeps({}, [nic("eth0", "fe80::1%eth0"), nic("eth0", "2a01:4f8::9")]);
  const zonedFound = await detectIp(
    { family: "ipv6", sources: [{ kind: "interface", name: "eth0" }] },
    zoned,
  );
  assert.ok(zonedFound.kind === "found" && zonedFound.ip === "2a01:4f8::9");
  const failing: DetectDeps = {
    httpGet: () => Promise.reject(new Error("not used")),
    dns: NO_DNS,
    networkInterfaces: () => {
      throw new Deno.errors.NotCapable("Requires sys access");
    },
  };
  assert.deepEqual(
    await detectIp({ family: "ipv4", sources: [{ kind: "interface", name: "eth0" }] }, failing),
    { kind: "none", problems: ["interface eth0: cannot list the network interfaces"] },
  );
});

Deno.test("detectIp: with the real httpGet against a 127.0.0.1 echo server", async () => {
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (req, info) => {
    const path = new URL(req.url).pathname;
    if (path === "/echo") return new Response(`${info.remoteAddr.hostname}\n`);
    if (path === "/json") return Response.json({ ip: "81.2.69.160" });
    return new Response("not here", { status: 404 });
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const deps: DetectDeps = { httpGet: httpRequest, networkInterfaces: () => [], dns: NO_DNS };
    const result = await detectIp({
      family: "ipv4",
      sources: [http(`${base}/missing`), http(`${base}/echo`), http(`${base}/json`)],
      timeoutMs: 2000,
    }, deps);
    assert.deepEqual(result, { kind: "found", ip: "81.2.69.160", source: `${base}/json` });

    const echoOnly = await detectIp({ family: "ipv4", sources: [http(`${base}/echo`)] }, deps);
    assert.ok(echoOnly.kind === "none");
    assert.match(
      echoOnly.problems[0]!,
      /answered 127\.0\.0\.1, which is in 127\.0\.0\.0\/8: loopback/,
    );
  } finally {
    await server.shutdown();
  }
});

Deno.test("shareDetections: one detection per family a round, whoever asks; a new one after the window, on a new key, or when the first was cut short", async () => {
  let now = 0;
  const calls: string[] = [];
  let key = "";
  const detect = shareDetections(
    (family) => {
      calls.push(family);
      return Promise.resolve({ kind: "found", ip: `ip-${calls.length}`, source: "test" });
    },
    () => key,
    () => now,
  );
  const results = await Promise.all([
    detect("ipv4"),
    detect("ipv4"),
    detect("ipv6"),
    detect("ipv4"),
  ]);
  assert.deepEqual(calls, ["ipv4", "ipv6"], "20 providers, 1 request per family");
  assert.deepEqual(results.map((r) => r.kind === "found" && r.ip), [
    "ip-1",
    "ip-1",
    "ip-2",
    "ip-1",
  ]);
  now = DETECTION_SHARE_MS - 1;
  await detect("ipv4");
  assert.equal(calls.length, 2, "still the same round");
  now = DETECTION_SHARE_MS;
  await detect("ipv4");
  assert.equal(calls.length, 3, "the next round detects again");
  key = "no-ip.com noip.com";
  await detect("ipv4");
  assert.equal(calls.length, 4, "a stop changes what may be asked: detected again");
  const cut = new AbortController();
  cut.abort();
  await detect("ipv6", cut.signal);
  await detect("ipv6");
  assert.deepEqual(calls.slice(4), ["ipv6", "ipv6"], "a detection cut short serves nobody else");
});

Deno.test("detectIp: an interface's IPv6 address from ip's flags, the one sent last time kept", async () => {
  const fixture = (name: string) =>
    Deno.readTextFileSync(new URL(`./fixtures/ip/${name}`, import.meta.url));
  const deps: DetectDeps = {
    ...fakeDeps({}),
    ip: (args) =>
      Promise.resolve(
        args.join(" ") === "-j -6 addr show dev wlan0"
          ? { ok: true, stdout: fixture("raspios-dhcpcd-wlan0.json") }
          : { ok: false, problem: '"ip" failed' },
      ),
  };
  const source: IpSource = { kind: "interface", name: "wlan0" };
  const fresh = await detectIp({ family: "ipv6", sources: [source] }, deps);
  assert.ok(fresh.kind === "found");
  assert.equal(fresh.ip, "2003:e6:df17:4c00:9a6c:5e21:c04d:73b2");
  assert.match(
    fresh.note!,
    /^interface wlan0 \(read with ip -j\): 2003:e6:df17:4c00:9a6c:5e21:c04d:73b2, the stable SLAAC address; passed over 2003:e6:df17:4c00:b1e4:62a0:9d3c:1f58 \(temporary: /,
  );
  const kept = await detectIp({
    family: "ipv6",
    sources: [source],
    previous: ["2003:e6:df17:4c00::1c7"],
  }, deps);
  assert.ok(kept.kind === "found" && kept.ip === "2003:e6:df17:4c00::1c7");
  assert.match(kept.note!, /, the address sent last time, still there;/);
});

Deno.test("detectIp: a WAN interface behind carrier-grade NAT, the public address from the web", async () => {
  const cgnat = (name: string) =>
    Promise.resolve(
      name === "-j -4 addr show dev pppoe-wan"
        ? { ok: false as const, problem: '"ip" failed: BusyBox v1.36.1' }
        : name === "-4 addr show dev pppoe-wan"
        ? {
          ok: true as const,
          stdout: Deno.readTextFileSync(
            new URL("./fixtures/ip/openwrt-busybox-pppoe-wan-4.txt", import.meta.url),
          ),
        }
        : { ok: false as const, problem: '"ip" failed' },
    );
  const base = fakeDeps({ "https://ip.example/": reply("81.2.69.160") });
  const deps: DetectDeps = { ...base, ip: (args) => cgnat(args.join(" ")) };
  const wan: IpSource = { kind: "interface", name: "pppoe-wan" };
  const sight = {
    iface: "pppoe-wan",
    local: "100.72.18.44",
    range: "100.64.0.0/10",
    public: "81.2.69.160",
  };
  // The interface first: it gives no public address, the web does, and the NAT is seen.
  assert.deepEqual(
    await detectIp({ family: "ipv4", sources: [wan, http("https://ip.example/")] }, deps),
    { kind: "found", ip: "81.2.69.160", source: "https://ip.example/", nat: sight },
  );
  // The web first: the interface is read all the same (no request), and the NAT is seen.
  assert.deepEqual(
    await detectIp({ family: "ipv4", sources: [http("https://ip.example/"), wan] }, deps),
    { kind: "found", ip: "81.2.69.160", source: "https://ip.example/", nat: sight },
  );
  // No interface source: nothing to say.
  assert.deepEqual(
    await detectIp({ family: "ipv4", sources: [http("https://ip.example/")] }, deps),
    { kind: "found", ip: "81.2.69.160", source: "https://ip.example/" },
  );
  assert.equal(base.requests.length, 3);
});
