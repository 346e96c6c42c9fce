import assert from "node:assert/strict";
import { systemClock } from "../lib/clock.ts";
import { HOUR, MINUTE, SECOND } from "../lib/config/duration.ts";
import {
  type Accounts,
  createEmulator,
  type Emulator,
  type EmulatorOptions,
  formatExpiry,
  loadAccounts,
  parseAccounts,
  parseFault,
  startEmulator,
} from "../lib/emulator/mod.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import { tempDir } from "./helpers/temp_dir.ts";

const START = Date.UTC(2026, 0, 1, 0, 0, 0);
const AGENT = "dnsbeat dnsbeat/linux-x86_64-0.1.0 dnsbeat@users.noreply.github.com";
const ECHO = "81.2.69.142";
const ECHO6 = "2a02:1810::1";
const INVALID_LOGIN = "{{{Invalid UserID/Password|The User ID or password you have specified " +
  "is invalid. If you are having problems, please email info@dynamip.com.}}}";
const EXPIRED = "{{{Account Expired|Your DynamIP.com account has expired. Please visit " +
  "DynamIP.com to sign up or renew your account. If you have questions, please email " +
  "info@dynamip.com}}}";
const INVALID_IP = "{{{Invalid IP Address|The IP Address you have specified, is invalid. If " +
  "you are having problems, please email info@dynamip.com.}}}";
const TOO_OFTEN = "{{{Update Refused|Updates more often than every 15 minutes are not allowed.}}}";

const ACCOUNTS_JSON = {
  noip: [
    {
      username: "demo@example.com",
      password: "demo-secret",
      hosts: ["home.ddns.net", "NAS.ddns.net"],
      groups: { mygroup: ["home.ddns.net"] },
      donator: false,
    },
    { username: "rich", password: "rich-secret", hosts: ["shop.ddns.net"], donator: true },
    { username: "odd:name", password: "odd-secret", hosts: ["odd.ddns.net"] },
  ],
  dynamip: [
    { siteId: "George", password: "Test", expiry: "2027-04-02T17:24:41Z" },
    { siteId: "Old", password: "old-secret", expiry: "2025-06-01T00:00:00Z" },
  ],
  echoIp: { ipv4: ECHO, ipv6: ECHO6 },
};

function accounts(): Accounts {
  const parsed = parseAccounts(structuredClone(ACCOUNTS_JSON));
  if ("error" in parsed) throw new Error(parsed.error);
  return parsed;
}

interface Setup {
  emulator: Emulator;
  clock: FakeClock;
  lines: string[];
  get(path: string, init?: GetInit): Promise<{ status: number; body: string; headers: Headers }>;
}

interface GetInit {
  auth?: string | null;
  agent?: string | null;
  remote?: string;
  method?: string;
  signal?: AbortSignal;
}

function basic(user: string, password: string): string {
  return `Basic ${btoa(`${user}:${password}`)}`;
}

const DEMO = basic("demo@example.com", "demo-secret");

function setup(options: Partial<EmulatorOptions> = {}): Setup {
  const clock = new FakeClock(START);
  const lines: string[] = [];
  const emulator = createEmulator({
    accounts: accounts(),
    clock,
    onRequest: (line) => lines.push(line),
    ...options,
  });
  return {
    emulator,
    clock,
    lines,
    async get(path, init = {}) {
      const headers = new Headers();
      const auth = init.auth === undefined ? DEMO : init.auth;
      const agent = init.agent === undefined ? AGENT : init.agent;
      if (auth !== null) headers.set("authorization", auth);
      if (agent !== null) headers.set("user-agent", agent);
      const req = new Request(`http://127.0.0.1:8245${path}`, {
        method: init.method ?? "GET",
        headers,
        ...(init.signal ? { signal: init.signal } : {}),
      });
      const res = await emulator.handle(req, init.remote ?? "127.0.0.1");
      return { status: res.status, body: await res.text(), headers: res.headers };
    },
  };
}

function beat(siteId: string, password: string, ip: string): string {
  const q = new URLSearchParams({ SiteID: siteId, Password: password, IPAddr: ip, ProgVer: "1.0" });
  return `/Login/updateip.asp?${q}`;
}

// --- accounts ---------------------------------------------------------------------------------

Deno.test("parseAccounts reads the documented example", () => {
  const a = accounts();
  assert.deepEqual(a.noip[0], {
    username: "demo@example.com",
    password: "demo-secret",
    hosts: ["home.ddns.net", "nas.ddns.net"],
    groups: { mygroup: ["home.ddns.net"] },
    donator: false,
  });
  assert.equal(a.noip[2]!.donator, false);
  assert.deepEqual(a.noip[2]!.groups, {});
  assert.deepEqual(a.dynamip[0], {
    siteId: "George",
    password: "Test",
    expiry: Date.UTC(2027, 3, 2, 17, 24, 41),
  });
  assert.deepEqual(a.echoIp, { ipv4: ECHO, ipv6: ECHO6 });
  assert.deepEqual(parseAccounts({}), {
    noip: [],
    dynamip: [],
    echoIp: { ipv4: ECHO, ipv6: null },
  });
});

Deno.test("parseAccounts names the faulty field", () => {
  const noip = (over: Record<string, unknown>) => ({
    noip: [{ username: "u", password: "p", hosts: ["a.ddns.net"], ...over }],
  });
  const cases: [unknown, string][] = [
    [[], "the accounts file: expected an object"],
    [
      { nope: 1 },
      'the accounts file: unknown field "nope" (known: noip, dynamip, cloudflare, echoIp)',
    ],
    [{ noip: {} }, "noip: expected a list of accounts"],
    [{ dynamip: "x" }, "dynamip: expected a list of sites"],
    [noip({ username: "" }), "noip[0].username: expected a non-empty string"],
    [noip({ password: 5 }), "noip[0].password: expected a non-empty string"],
    [noip({ password: "a\nb" }), "noip[0].password: control characters are not allowed"],
    [noip({ hosts: "a" }), "noip[0].hosts: expected a list of hostnames"],
    [
      noip({ hosts: ["ok.net", "bad host"] }),
      'noip[0].hosts[1]: expected a hostname such as "home.ddns.net"',
    ],
    [
      noip({ hosts: ["a.net", "A.net"] }),
      'noip[0].hosts[1]: "a.net" is already listed at noip[0].hosts[0]',
    ],
    [noip({ donator: "yes" }), "noip[0].donator: expected true or false"],
    [noip({ groups: [] }), "noip[0].groups: expected an object"],
    [noip({ groups: { g: [] } }), "noip[0].groups.g: expected a non-empty list of hostnames"],
    [
      noip({ groups: { g: ["x.net"] } }),
      'noip[0].groups.g[0]: "x.net" is not one of this account\'s hosts',
    ],
    [
      noip({ groups: { "a.ddns.net": ["a.ddns.net"] } }),
      "noip[0].groups.a.ddns.net: a group name must be non-empty and differ from hosts and groups",
    ],
    [
      noip({ extra: 1 }),
      'noip[0]: unknown field "extra" (known: username, password, hosts, groups, donator)',
    ],
    [
      { noip: [...noip({}).noip, { username: "u", password: "q", hosts: [] }] },
      'noip[1].username: "u" is listed twice',
    ],
    [
      { dynamip: [{ siteId: "S", password: "p" }] },
      'dynamip[0].expiry: expected an ISO 8601 time with a zone, e.g. "2027-04-02T17:24:41Z"',
    ],
    [
      { dynamip: [{ siteId: "S", password: "p", expiry: "2027-04-02 17:24" }] },
      'dynamip[0].expiry: expected an ISO 8601 time with a zone, e.g. "2027-04-02T17:24:41Z"',
    ],
    [
      {
        dynamip: [{ siteId: "S", password: "p", expiry: "2027-04-02T17:24:41Z" }, {
          siteId: "S",
          password: "q",
          expiry: "2027-04-02T17:24:41Z",
        }],
      },
      'dynamip[1].siteId: "S" is listed twice',
    ],
    [{ echoIp: { ipv4: "1.2.3" } }, "echoIp.ipv4: expected an IPv4 address"],
    [{ echoIp: { ipv4: ECHO, ipv6: "1.2.3.4" } }, "echoIp.ipv6: expected an IPv6 address or null"],
  ];
  for (const [json, error] of cases) assert.deepEqual(parseAccounts(json), { error }, error);
});

Deno.test("loadAccounts reads a file and reports the path on failure", async () => {
  await using tmp = await tempDir("test");
  const dir = tmp.path;
  const good = `${dir}/accounts.json`;
  await Deno.writeTextFile(good, JSON.stringify(ACCOUNTS_JSON));
  assert.deepEqual(await loadAccounts(good), accounts());
  const bad = `${dir}/bad.json`;
  await Deno.writeTextFile(bad, '{"noip": [{"password": "leaky-secret" x}]}');
  const parseError = await loadAccounts(bad);
  assert.ok("error" in parseError && parseError.error.startsWith(`${bad}: not valid JSON`));
  assert.ok(!parseError.error.includes("leaky-secret"));
  await Deno.writeTextFile(bad, '{"noip": 1}');
  assert.deepEqual(await loadAccounts(bad), {
    error: `${bad}: noip: expected a list of accounts`,
  });
  assert.deepEqual(await loadAccounts(`${dir}/missing.json`), {
    error: `${dir}/missing.json: cannot read the accounts file (NotFound)`,
  });
});

// --- No-IP --------------------------------------------------------------------------------------

Deno.test("noip: good, then nochg; no myip means the source, loopback means the echo IP", async () => {
  const { emulator, get } = setup();
  const first = await get("/nic/update?hostname=home.ddns.net");
  assert.deepEqual([first.status, first.body], [200, `good ${ECHO}`]);
  assert.equal(first.headers.get("content-type"), "text/plain; charset=utf-8");
  assert.equal((await get("/nic/update?hostname=home.ddns.net")).body, `nochg ${ECHO}`);
  assert.deepEqual(emulator.noipHost("HOME.ddns.net"), {
    ip: ECHO,
    ipv4: ECHO,
    ipv6: null,
    nochgStreak: 1,
    offline: false,
  });
  const remote = await get("/nic/update?hostname=home.ddns.net", { remote: "198.51.100.7" });
  assert.equal(remote.body, "good 198.51.100.7");
  const mapped = await get("/nic/update?hostname=home.ddns.net", { remote: "::ffff:127.0.0.1" });
  assert.equal(mapped.body, `good ${ECHO}`);
  assert.equal(emulator.noipHost("home.ddns.net").nochgStreak, 0);
  assert.deepEqual(emulator.noipHost("unknown.ddns.net"), {
    ip: null,
    ipv4: null,
    ipv6: null,
    nochgStreak: 0,
    offline: false,
  });
});

Deno.test("noip: one line per host or group, in order; unknown names get nohost", async () => {
  const { emulator, get } = setup();
  const r = await get(
    "/nic/update?hostname=nas.ddns.net,MyGroup,other.ddns.net,shop.ddns.net&myip=81.2.69.160",
  );
  assert.equal(
    r.body,
    "good 81.2.69.160\ngood 81.2.69.160\nnohost\nnohost",
  );
  assert.equal(emulator.noipHost("home.ddns.net").ip, "81.2.69.160");
  const again = await get("/nic/update?hostname=mygroup,home.ddns.net&myip=81.2.69.160");
  assert.equal(again.body, "nochg 81.2.69.160\nnochg 81.2.69.160");
  assert.equal(emulator.noipHost("home.ddns.net").nochgStreak, 2);
  assert.deepEqual(emulator.requests.at(-1)!.hosts, ["mygroup", "home.ddns.net"]);
});

Deno.test("noip: myip v4,v6 sets both records; a malformed myip falls back to the source", async () => {
  const { emulator, get } = setup();
  const dual = await get("/nic/update?hostname=home.ddns.net&myip=81.2.69.142,2A02:1810:0::1");
  assert.equal(dual.body, "good 81.2.69.142,2a02:1810::1");
  assert.deepEqual(emulator.noipHost("home.ddns.net"), {
    ip: "81.2.69.142,2a02:1810::1",
    ipv4: "81.2.69.142",
    ipv6: "2a02:1810::1",
    nochgStreak: 0,
    offline: false,
  });
  assert.equal(
    (await get("/nic/update?hostname=home.ddns.net&myip=81.2.69.142")).body,
    "nochg 81.2.69.142",
  );
  assert.equal(
    (await get("/nic/update?hostname=home.ddns.net&myip=2a02:1810::2")).body,
    "good 2a02:1810::2",
  );
  for (const bad of ["1.2.3.4,5.6.7.8", "300.1.1.1", "1.2.3.4,::1,::2", "v4"]) {
    const r = await get(`/nic/update?hostname=nas.ddns.net&myip=${bad}`, { remote: "81.2.69.1" });
    assert.match(r.body, /^(good|nochg) 81\.2\.69\.1$/, bad);
  }
});

Deno.test("noip: DynDNS2 extras that ddclient sends are ignored; agent check can be relaxed", async () => {
  const strict = setup();
  const path =
    "/nic/update?system=dyndns&hostname=home.ddns.net&myip=81.2.69.142&wildcard=OFF&mx=&backmx=NO";
  assert.equal((await strict.get(path, { agent: "ddclient/3.11.2" })).body, "badagent");
  const relaxed = setup({ strictAgent: false });
  assert.equal((await relaxed.get(path, { agent: "ddclient/3.11.2" })).body, "good 81.2.69.142");
  assert.equal((await relaxed.get(path, { agent: "inadyn/2.12.0" })).body, "nochg 81.2.69.142");
  assert.equal((await relaxed.get(path, { agent: null })).body, "badagent");
});

Deno.test("noip: badagent for a missing or malformed User-Agent", async () => {
  const { get } = setup();
  for (const agent of [null, "", "Deno/2.9.6", "dnsbeat dnsbeat contact", "a b/1"]) {
    const r = await get("/nic/update?hostname=home.ddns.net", { agent });
    assert.deepEqual([r.status, r.body], [200, "badagent"], String(agent));
  }
  assert.equal(
    (await get("/nic/update?hostname=home.ddns.net", { agent: "a b/1 c" })).body,
    `good ${ECHO}`,
  );
});

Deno.test("noip: 401 without usable Basic auth, 200 badauth for wrong credentials", async () => {
  const { get } = setup();
  for (const auth of [null, "Bearer x", "Basic !!!", `Basic ${btoa("no-colon")}`]) {
    const r = await get("/nic/update?hostname=home.ddns.net", { auth });
    assert.deepEqual([r.status, r.body], [401, "badauth"], String(auth));
    assert.match(r.headers.get("www-authenticate") ?? "", /^Basic realm=/);
  }
  for (const auth of [basic("demo@example.com", "wrong"), basic("nobody", "demo-secret")]) {
    const r = await get("/nic/update?hostname=home.ddns.net", { auth });
    assert.deepEqual([r.status, r.body], [200, "badauth"]);
  }
  const encoded = await get("/nic/update?hostname=odd.ddns.net", {
    auth: basic("odd%3Aname", "odd-secret"),
  });
  assert.equal(encoded.body, `good ${ECHO}`);
});

Deno.test("noip: nohost without a hostname; only GET is allowed", async () => {
  const { get } = setup();
  assert.equal((await get("/nic/update")).body, "nohost");
  assert.equal((await get("/nic/update?hostname=")).body, "nohost");
  const post = await get("/nic/update?hostname=home.ddns.net", { method: "POST" });
  assert.deepEqual([post.status, post.headers.get("allow")], [405, "GET"]);
});

Deno.test("noip: offline=YES is !donator for plain accounts, an update for donators", async () => {
  const { emulator, get } = setup();
  const plain = await get("/nic/update?hostname=home.ddns.net,nas.ddns.net&offline=YES");
  assert.equal(plain.body, "!donator\n!donator");
  assert.equal(emulator.noipHost("home.ddns.net").ip, null);
  const rich = basic("rich", "rich-secret");
  const r = await get("/nic/update?hostname=shop.ddns.net&offline=yes", { auth: rich });
  assert.equal(r.body, `good ${ECHO}`);
  assert.equal(emulator.noipHost("shop.ddns.net").offline, true);
  await get("/nic/update?hostname=shop.ddns.net&offline=NO", { auth: rich });
  assert.equal(emulator.noipHost("shop.ddns.net").offline, false);
});

Deno.test("noip: N nochg in a row blocks the account: every reply is abuse", async () => {
  const { emulator, get } = setup({ abuseAfterNochg: 3 });
  const update = (ip: string) => get(`/nic/update?hostname=home.ddns.net,nas.ddns.net&myip=${ip}`);
  await update("81.2.69.1");
  await update("81.2.69.1");
  await update("81.2.69.1");
  await update("81.2.69.2"); // a change resets the streak
  assert.equal(emulator.noipHost("home.ddns.net").nochgStreak, 0);
  assert.equal(emulator.noipAccountBlocked("demo@example.com"), false);
  for (let i = 0; i < 3; i++) {
    assert.equal((await update("81.2.69.2")).body, "nochg 81.2.69.2\nnochg 81.2.69.2");
  }
  assert.equal(emulator.noipAccountBlocked("demo@example.com"), true);
  assert.equal((await update("81.2.69.3")).body, "abuse\nabuse");
  assert.equal((await get("/nic/update")).body, "abuse");
  assert.equal(emulator.noipHost("home.ddns.net").ip, "81.2.69.2");
  const other = await get("/nic/update?hostname=shop.ddns.net", {
    auth: basic("rich", "rich-secret"),
  });
  assert.equal(other.body, `good ${ECHO}`);
});

Deno.test("noip: requests after a stop reply are counted; blocking is optional", async () => {
  const counting = setup();
  await counting.get("/nic/update?hostname=home.ddns.net");
  assert.equal(counting.emulator.requestsAfterError("demo@example.com"), 0);
  assert.equal(
    (await counting.get("/nic/update?hostname=home.ddns.net,gone.ddns.net")).body,
    `nochg ${ECHO}\nnohost`,
  );
  await counting.get("/nic/update?hostname=home.ddns.net&myip=81.2.69.9");
  await counting.get("/nic/update?hostname=home.ddns.net&myip=81.2.69.9");
  assert.equal(counting.emulator.requestsAfterError("demo@example.com"), 2);
  assert.equal(counting.emulator.noipAccountBlocked("demo@example.com"), false);

  const blocking = setup({ blockOnRequestAfterError: true });
  await blocking.get("/nic/update?hostname=home.ddns.net", {
    auth: basic("demo@example.com", "x"),
  });
  assert.equal((await blocking.get("/nic/update?hostname=home.ddns.net")).body, "abuse");
  assert.equal(blocking.emulator.requestsAfterError("demo@example.com"), 1);
  assert.equal(blocking.emulator.noipAccountBlocked("demo@example.com"), true);

  const agent = setup();
  await agent.get("/nic/update?hostname=home.ddns.net", { agent: "x" });
  await agent.get("/nic/update?hostname=home.ddns.net");
  assert.equal(agent.emulator.requestsAfterError("demo@example.com"), 1);
});

// --- DynamIP -----------------------------------------------------------------------------------

Deno.test("dynamip: a beat sets the address; the reply has Expiry and Remain in CRLF lines", async () => {
  const { emulator, get, clock } = setup();
  const r = await get(beat("George", "Test", "81.2.69.142"), { auth: null, agent: null });
  const remain = Math.floor((Date.UTC(2027, 3, 2, 17, 24, 41) - START) / HOUR);
  assert.equal(
    r.body,
    `IP Address for George set to 81.2.69.142\r\nExpiry[[[4/2/2027 5:24:41 PM]]]\r\nRemain[[[${remain}]]]\r\n`,
  );
  assert.equal(r.status, 200);
  assert.deepEqual(emulator.dynamipSite("George"), {
    ip: "81.2.69.142",
    lastBeat: clock.now(),
    offline: false,
    violations: 0,
    offlineResets: 0,
    disallowed: false,
  });
});

Deno.test("dynamip: IPAddr=AUTO takes the source; names and path are case-insensitive", async () => {
  const { emulator, get, clock } = setup();
  assert.match(
    (await get(beat("George", "Test", "AUTO"))).body,
    /^IP Address for George set to 81\.2\.69\.142\r\n/,
  );
  clock.shift(15 * MINUTE);
  const remote = await get(beat("George", "Test", "AUTO"), { remote: "81.2.69.200" });
  assert.match(remote.body, /set to 81\.2\.69\.200\r\n/);
  clock.shift(15 * MINUTE);
  assert.equal((await get(beat("George", "Test", "auto"))).body, INVALID_IP);
  clock.shift(15 * MINUTE);
  const lower = await get(
    "/login/UPDATEIP.ASP?siteid=George&PASSWORD=Test&ipaddr=81.2.69.50&progver=1.0",
  );
  assert.match(lower.body, /set to 81\.2\.69\.50\r\n/);
  assert.equal(emulator.dynamipSite("George").ip, "81.2.69.50");
});

Deno.test("dynamip: invalid login, expired account", async () => {
  const { get, clock } = setup();
  assert.equal((await get(beat("Nobody", "Test", "81.2.69.1"))).body, INVALID_LOGIN);
  assert.equal((await get(beat("George", "test", "81.2.69.1"))).body, INVALID_LOGIN);
  assert.equal((await get(beat("george", "Test", "81.2.69.1"))).body, INVALID_LOGIN);
  assert.equal(
    (await get("/Login/updateip.asp?SiteID=George&IPAddr=81.2.69.1")).body,
    INVALID_LOGIN,
  );
  assert.equal((await get(beat("Old", "old-secret", "81.2.69.1"))).body, EXPIRED);
  clock.set(Date.UTC(2027, 3, 2, 17, 24, 41));
  assert.equal((await get(beat("George", "Test", "81.2.69.1"))).body, EXPIRED);
  clock.shift(-1);
  assert.match((await get(beat("George", "Test", "81.2.69.1"))).body, /Remain\[\[\[0\]\]\]/);
});

Deno.test("dynamip: malformed and non-routable addresses are refused", async () => {
  const { emulator, get, clock } = setup();
  const bad = [
    "",
    "1.2.3",
    "81.2.69.256",
    "081.2.69.1",
    "10.0.0.1",
    "172.16.5.4",
    "192.168.1.1",
    "127.0.0.1",
    "169.254.1.1",
    "100.64.0.1",
    "192.0.2.1",
    "198.51.100.1",
    "203.0.113.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "2a02:1810::1",
  ];
  for (const ip of bad) {
    assert.equal((await get(beat("George", "Test", ip))).body, INVALID_IP, ip);
    clock.shift(15 * MINUTE);
  }
  assert.equal((await get("/Login/updateip.asp?SiteID=George&Password=Test")).body, INVALID_IP);
  assert.equal(emulator.dynamipSite("George").ip, null);
  emulator.setEchoIp("192.168.0.10");
  clock.shift(15 * MINUTE);
  assert.equal((await get(beat("George", "Test", "AUTO"))).body, INVALID_IP);
});

Deno.test("dynamip: beats less than 15 minutes apart are refused; three refusals disallow", async () => {
  const { emulator, get, clock } = setup();
  assert.match((await get(beat("George", "Test", "81.2.69.1"))).body, /^IP Address/);
  clock.shift(15 * MINUTE - 1);
  assert.equal((await get(beat("George", "Test", "81.2.69.2"))).body, TOO_OFTEN);
  assert.equal(emulator.dynamipSite("George").violations, 1);
  assert.equal(emulator.dynamipSite("George").ip, "81.2.69.1");
  clock.shift(15 * MINUTE); // measured from the refused beat, which reached the server
  assert.match((await get(beat("George", "Test", "81.2.69.2"))).body, /set to 81\.2\.69\.2/);
  clock.shift(MINUTE);
  assert.equal((await get(beat("George", "Test", "81.2.69.3"))).body, TOO_OFTEN);
  clock.shift(MINUTE);
  assert.equal((await get(beat("George", "Test", "81.2.69.3"))).body, TOO_OFTEN);
  const site = emulator.dynamipSite("George");
  assert.deepEqual([site.violations, site.disallowed], [3, true]);
  clock.shift(HOUR);
  const refused = await get(beat("George", "Test", "81.2.69.3"));
  assert.match(refused.body, /^\{\{\{Update Refused\|Updates for this account are disallowed/);
  assert.equal(emulator.dynamipSite("George").violations, 3);
  assert.equal(emulator.requestsAfterError("George"), 0, "a plain refusal is not a stop");
  await get(beat("George", "Test", "81.2.69.3"));
  assert.equal(emulator.requestsAfterError("George"), 1, "a disallowed reply is a stop");
});

Deno.test("dynamip: a site silent for 20 minutes is taken offline and its address reset", async () => {
  const { emulator, get, clock } = setup({ minGapMs: 10 * MINUTE, disallowAfterViolations: 1 });
  assert.equal(emulator.dynamipSite("George").offline, true);
  await get(beat("George", "Test", "81.2.69.1"));
  clock.shift(20 * MINUTE - 1);
  assert.deepEqual(
    [emulator.dynamipSite("George").offline, emulator.dynamipSite("George").ip],
    [false, "81.2.69.1"],
  );
  clock.shift(1);
  const site = emulator.dynamipSite("George");
  assert.deepEqual([site.offline, site.ip, site.offlineResets], [true, null, 1]);
  await get(beat("George", "Test", "81.2.69.1"));
  assert.deepEqual(emulator.dynamipSite("George").offline, false);
  clock.shift(10 * MINUTE);
  await get(beat("George", "Test", "81.2.69.1"));
  clock.shift(HOUR);
  assert.equal(emulator.dynamipSite("George").offlineResets, 2);
  assert.equal(emulator.state().dynamip.George!.offlineResets, 2);
});

Deno.test("dynamip: requests after a stop reply are counted by SiteID", async () => {
  const { emulator, get, clock } = setup();
  await get(beat("George", "wrong", "81.2.69.1"));
  clock.shift(HOUR);
  await get(beat("George", "Test", "81.2.69.1"));
  assert.equal(emulator.requestsAfterError("George"), 1);
});

Deno.test("formatExpiry writes US dates with a 12-hour clock in UTC", () => {
  assert.equal(formatExpiry(Date.UTC(2008, 3, 2, 17, 24, 41)), "4/2/2008 5:24:41 PM");
  assert.equal(formatExpiry(Date.UTC(2027, 11, 31, 0, 5, 9)), "12/31/2027 12:05:09 AM");
  assert.equal(formatExpiry(Date.UTC(2027, 0, 1, 12, 0, 0)), "1/1/2027 12:00:00 PM");
  assert.equal(formatExpiry(Date.UTC(2027, 0, 1, 11, 59, 59)), "1/1/2027 11:59:59 AM");
});

// --- IP echo, records, faults in process -------------------------------------------------------

Deno.test("ip echo: plain, IPv6, JSON, the real source, and setEchoIp", async () => {
  const { emulator, get } = setup();
  assert.equal((await get("/ip")).body, ECHO);
  assert.equal((await get("/ip?family=6")).body, ECHO6);
  const json = await get("/ip?format=json");
  assert.deepEqual([JSON.parse(json.body), json.headers.get("content-type")], [
    { ip: ECHO },
    "application/json",
  ]);
  assert.equal((await get("/ip", { remote: "81.2.69.77" })).body, "81.2.69.77");
  assert.equal((await get("/ip?family=6", { remote: "2a02:1810::7" })).body, "2a02:1810::7");
  assert.equal((await get("/ip?family=5")).status, 400);
  emulator.setEchoIp("81.2.69.99");
  assert.deepEqual([(await get("/ip")).body, (await get("/ip?family=6")).body], [
    "81.2.69.99",
    ECHO6,
  ]);
  emulator.setEchoIp(undefined, null);
  const none = await get("/ip?family=6");
  assert.deepEqual([none.status, none.body], [404, "no IPv6 address"]);
  emulator.setEchoIp("not-an-ip");
  assert.equal((await get("/ip")).body, "not-an-ip");
  assert.equal((await get("/nic/update?hostname=home.ddns.net")).body, "911");
  emulator.reset();
  assert.equal((await get("/ip?family=6")).body, ECHO6);
});

Deno.test("requests: every request is recorded with time, route, user, hosts, reply and status", async () => {
  const { emulator, get, clock, lines } = setup();
  await get("/nic/update?hostname=home.ddns.net,nas.ddns.net");
  clock.shift(SECOND);
  await get(beat("George", "Test", "81.2.69.1"));
  await get("/ip");
  await get("/elsewhere");
  assert.deepEqual(emulator.requests, [
    {
      at: START,
      method: "GET",
      provider: "noip",
      path: "/nic/update?hostname=home.ddns.net,nas.ddns.net",
      user: "demo@example.com",
      hosts: ["home.ddns.net", "nas.ddns.net"],
      reply: `good ${ECHO}\ngood ${ECHO}`,
      status: 200,
    },
    {
      at: START + SECOND,
      method: "GET",
      provider: "dynamip",
      path: "/Login/updateip.asp?SiteID=George&Password=***&IPAddr=81.2.69.1&ProgVer=1.0",
      user: "George",
      reply: emulator.requests[1]!.reply,
      status: 200,
    },
    { at: START + SECOND, method: "GET", provider: "ip", path: "/ip", reply: ECHO, status: 200 },
    {
      at: START + SECOND,
      method: "GET",
      provider: "other",
      path: "/elsewhere",
      reply: "not found",
      status: 404,
    },
  ]);
  assert.equal(
    lines[0],
    "2026-01-01T00:00:00.000Z GET /nic/update?hostname=home.ddns.net,nas.ddns.net " +
      `user=demo@example.com -> 200 good ${ECHO}`,
  );
  assert.equal(
    lines[1],
    "2026-01-01T00:00:01.000Z GET /Login/updateip.asp?SiteID=George&Password=***&IPAddr=81.2.69.1" +
      "&ProgVer=1.0 user=George -> 200 IP Address for George set to 81.2.69.1",
  );
  emulator.reset();
  assert.equal(emulator.requests.length, 0);
  assert.equal(emulator.noipHost("home.ddns.net").ip, null);
});

Deno.test("no password appears in requests or log lines", async () => {
  const { emulator, get, lines, clock } = setup();
  const secrets = ["demo-secret", "Test", "old-secret", "wrong-one", "rich-secret"];
  await get("/nic/update?hostname=home.ddns.net");
  await get("/nic/update?hostname=home.ddns.net", { auth: basic("demo@example.com", "wrong-one") });
  await get("/nic/update?hostname=home.ddns.net&password=demo-secret&pass=wrong-one");
  await get("/nic/update?hostname=home.ddns.net&note=rich-secret");
  await get("/nic/update?hostname=home.ddns.net", { auth: basic("demo-secret", "x") });
  await get(beat("George", "Test", "AUTO"));
  clock.shift(HOUR);
  await get(beat("George", "wrong-one", "AUTO"));
  await get("/login/updateip.asp?siteid=Old&PASSWORD=old-secret&ipaddr=AUTO");
  await get("/Login/updateip.asp?SiteID=George&pwd=wrong%2Done&IPAddr=AUTO");
  emulator.pushFault({ kind: "code", body: "911" });
  await get(beat("George", "Test", "AUTO"));
  const recorded = JSON.stringify(emulator.requests) + "\n" + lines.join("\n");
  for (const secret of secrets) {
    assert.ok(!recorded.includes(secret), `${secret} leaked`);
    assert.ok(!recorded.includes(btoa(`demo@example.com:${secret}`)));
  }
  assert.equal(lines.length, 10);
  assert.ok(lines.every((line) => !/authorization|basic /i.test(line)));
});

Deno.test("faults: a queue taken one per request, by target, with times", async () => {
  const { emulator, get } = setup();
  emulator.pushFault({ kind: "code", body: "911", times: 2 });
  emulator.pushFault({ kind: "status", status: 503, target: "ip" });
  emulator.pushFault({ kind: "html", target: "dynamip" });
  assert.deepEqual(emulator.state().faults, [
    { kind: "code", body: "911", times: 2 },
    { kind: "status", status: 503, target: "ip", times: 1 },
    { kind: "html", target: "dynamip", times: 1 },
  ]);
  assert.deepEqual([(await get("/ip")).status, (await get("/ip")).status], [503, 200]);
  assert.equal((await get("/nic/update?hostname=home.ddns.net")).body, "911");
  assert.equal((await get(beat("George", "Test", "AUTO"))).body, "911");
  const html = await get(beat("George", "Test", "AUTO"));
  assert.deepEqual([html.status, html.headers.get("content-type")], [200, "text/html"]);
  assert.match(html.body, /^<!DOCTYPE html>/);
  assert.equal(emulator.noipHost("home.ddns.net").ip, null, "a forced reply updates nothing");
  assert.equal(emulator.dynamipSite("George").lastBeat, null);
  assert.deepEqual(emulator.state().faults, []);
  assert.deepEqual(emulator.requests.map((r) => r.fault), [
    "status",
    undefined,
    "code",
    "code",
    "html",
  ]);
  emulator.pushFault({ kind: "code", body: "badauth" });
  await get("/nic/update?hostname=home.ddns.net");
  await get("/nic/update?hostname=home.ddns.net");
  assert.equal(emulator.requestsAfterError("demo@example.com"), 1, "a forced stop counts");
});

Deno.test("faults: delay waits on the emulator's clock, then replies normally", async () => {
  const { emulator, get, clock } = setup();
  emulator.pushFault({ kind: "delay", ms: 90 * SECOND });
  const r = await get("/nic/update?hostname=home.ddns.net");
  assert.equal(r.body, `good ${ECHO}`);
  assert.equal(clock.now(), START + 90 * SECOND);
  assert.equal(emulator.requests[0]!.at, START);
});

Deno.test("faults: confirm and v4-only update as usual but name other addresses", async () => {
  const { emulator, get } = setup();
  emulator.pushFault({ kind: "v4-only", target: "noip" });
  emulator.pushFault({ kind: "confirm", ip: "::ffff:81.2.69.200", target: "noip" });
  const both = `/nic/update?hostname=home.ddns.net&myip=${ECHO},${ECHO6}`;
  assert.equal((await get(both)).body, `good ${ECHO}`);
  assert.equal(emulator.noipHost("home.ddns.net").ip, `${ECHO},${ECHO6}`, "both were set");
  assert.equal((await get(both)).body, "nochg ::ffff:81.2.69.200");
  assert.equal((await get(both)).body, `nochg ${ECHO},${ECHO6}`, "used up");
});

Deno.test("DynDNS2 for every profile: Dynu's myipv6, numhost beyond 20 hosts", async () => {
  const { emulator, get } = setup();
  const dynu = `/nic/update?hostname=home.ddns.net&myip=${ECHO}&myipv6=${
    encodeURIComponent(ECHO6)
  }`;
  assert.equal((await get(dynu)).body, `good ${ECHO},${ECHO6}`);
  assert.equal(emulator.noipHost("home.ddns.net").ipv6, ECHO6);
  const many = Array.from({ length: 21 }, () => "home.ddns.net").join(",");
  assert.equal((await get(`/nic/update?hostname=${many}`)).body, "numhost");
});

Deno.test("faults: in process, hang ends when the request's signal fires", async () => {
  const { emulator, get, lines } = setup();
  emulator.pushFault({ kind: "hang" });
  const controller = new AbortController();
  const pending = get("/nic/update?hostname=home.ddns.net", { signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(emulator.requests[0]!.status, 0);
  assert.match(lines[0]!, /-> no reply \[fault: hang\]$/);
  controller.abort();
  await assert.rejects(pending, TypeError);
  assert.equal(emulator.noipHost("home.ddns.net").ip, null);
});

Deno.test("parseFault validates faults sent to the control API", () => {
  assert.deepEqual(parseFault({ kind: "redirect", location: "http://x/", status: 307, times: 2 }), {
    kind: "redirect",
    location: "http://x/",
    status: 307,
    times: 2,
  });
  assert.deepEqual(parseFault({ kind: "hang", target: "ip" }), { kind: "hang", target: "ip" });
  const errors: [unknown, string][] = [
    [null, "fault: expected an object"],
    [
      { kind: "boom" },
      "fault.kind: expected one of code, status, delay, hang, close, huge, trickle, redirect, html, confirm, v4-only",
    ],
    [{ kind: "code" }, "fault.body: expected a string"],
    [{ kind: "status", status: 99 }, "fault.status: expected an HTTP status 200-599"],
    [{ kind: "status", status: 500, body: 1 }, "fault.body: expected a string"],
    [{ kind: "delay", ms: -1 }, "fault.ms: expected milliseconds ≥ 0"],
    [{ kind: "huge", bytes: 1.5 }, "fault.bytes: expected a byte count ≥ 0"],
    [{ kind: "trickle" }, "fault.intervalMs: expected milliseconds ≥ 0"],
    [{ kind: "redirect", location: "" }, "fault.location: expected a URL"],
    [
      { kind: "redirect", location: "/x", status: 200 },
      "fault.status: expected one of 301, 302, 303, 307, 308",
    ],
    [{ kind: "confirm" }, "fault.ip: expected the address the success lines name"],
    [{ kind: "hang", times: 0 }, "fault.times: expected a whole number ≥ 1"],
    [
      { kind: "hang", target: "all" },
      "fault.target: expected one of update, noip, dynamip, custom, cloudflare, ip",
    ],
  ];
  for (const [json, error] of errors) assert.deepEqual(parseFault(json), { error }, error);
});

// --- over a real socket --------------------------------------------------------------------------

async function withServer(
  options: Partial<EmulatorOptions>,
  fn: (url: string, emulator: Emulator) => Promise<void>,
): Promise<void> {
  const server = await startEmulator({
    accounts: accounts(),
    clock: new FakeClock(START),
    ...options,
  });
  try {
    await fn(server.url, server.emulator);
  } finally {
    await server.close();
  }
}

const HEADERS = { authorization: DEMO, "user-agent": AGENT };

Deno.test("socket: serves on 127.0.0.1 and answers every endpoint", async () => {
  await withServer({}, async (url, emulator) => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const noip = await fetch(`${url}/nic/update?hostname=home.ddns.net`, { headers: HEADERS });
    assert.equal(await noip.text(), `good ${ECHO}`);
    const dyn = await fetch(`${url}${beat("George", "Test", "AUTO")}`);
    assert.match(await dyn.text(), /^IP Address for George set to 81\.2\.69\.142\r\n/);
    assert.equal(await (await fetch(`${url}/ip`)).text(), ECHO);
    assert.deepEqual(emulator.requests.map((r) => r.provider), ["noip", "dynamip", "ip"]);
  });
});

Deno.test("socket: code, status, html and redirect faults", async () => {
  await withServer({}, async (url, emulator) => {
    const update = () =>
      fetch(`${url}/nic/update?hostname=home.ddns.net`, { headers: HEADERS, redirect: "manual" });
    emulator.pushFault({ kind: "code", body: "911" });
    emulator.pushFault({ kind: "status", status: 500, body: "oops" });
    emulator.pushFault({ kind: "status", status: 502 });
    emulator.pushFault({ kind: "html" });
    emulator.pushFault({ kind: "redirect", location: "http://127.0.0.1:1/elsewhere" });
    emulator.pushFault({ kind: "redirect", location: "/nic/update", status: 308 });
    const seen = [];
    for (let i = 0; i < 6; i++) {
      const r = await update();
      seen.push([r.status, await r.text(), r.headers.get("location")]);
    }
    assert.deepEqual(seen.slice(0, 3), [[200, "911", null], [500, "oops", null], [502, "", null]]);
    assert.match(String(seen[3]![1]), /<html>/);
    assert.deepEqual(seen.slice(4), [
      [302, "", "http://127.0.0.1:1/elsewhere"],
      [308, "", "/nic/update"],
    ]);
    assert.equal(emulator.noipHost("home.ddns.net").ip, null);
  });
});

Deno.test("socket: close sends headers then drops the connection", async () => {
  await withServer({}, async (url, emulator) => {
    emulator.pushFault({ kind: "close" });
    const r = await fetch(`${url}/nic/update?hostname=home.ddns.net`, { headers: HEADERS });
    await assert.rejects(r.text(), TypeError);
    assert.deepEqual([emulator.requests[0]!.status, emulator.requests[0]!.fault], [0, "close"]);
    const next = await fetch(`${url}/nic/update?hostname=home.ddns.net`, { headers: HEADERS });
    assert.equal(await next.text(), `good ${ECHO}`);
  });
});

Deno.test("socket: hang never answers; the client times out; close() releases it", async () => {
  await withServer({}, async (url, emulator) => {
    emulator.pushFault({ kind: "hang", times: 2 });
    const timedOut = fetch(`${url}/nic/update?hostname=home.ddns.net`, {
      headers: HEADERS,
      signal: AbortSignal.timeout(150),
    });
    await assert.rejects(timedOut, (e: Error) => e.name === "TimeoutError");
    assert.equal(emulator.requests[0]!.status, 0);
  });
  const server = await startEmulator({ accounts: accounts(), clock: new FakeClock(START) });
  server.emulator.pushFault({ kind: "hang" });
  const pending = fetch(`${server.url}/nic/update?hostname=home.ddns.net`, { headers: HEADERS })
    .then((r) => r.text());
  for (let i = 0; i < 100 && server.emulator.requests.length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await server.close();
  await assert.rejects(pending, TypeError);
});

Deno.test("socket: delay on the emulator's clock", async () => {
  const clock = new FakeClock(START);
  await withServer({ clock }, async (url, emulator) => {
    emulator.pushFault({ kind: "delay", ms: 20 * SECOND });
    const r = await fetch(`${url}/nic/update?hostname=home.ddns.net`, { headers: HEADERS });
    assert.equal(await r.text(), `good ${ECHO}`);
    assert.equal(clock.now(), START + 20 * SECOND);
  });
  await withServer({ clock: systemClock() }, async (url, emulator) => {
    emulator.pushFault({ kind: "delay", ms: 150 });
    const started = performance.now();
    const r = await fetch(`${url}/nic/update?hostname=home.ddns.net`, { headers: HEADERS });
    assert.equal(await r.text(), `good ${ECHO}`);
    assert.ok(performance.now() - started >= 140);
  });
});

Deno.test("socket: huge streams the given number of bytes", async () => {
  await withServer({}, async (url, emulator) => {
    emulator.pushFault({ kind: "huge", bytes: 3_000_000 });
    const r = await fetch(`${url}/nic/update?hostname=home.ddns.net`, { headers: HEADERS });
    const body = new Uint8Array(await r.arrayBuffer());
    assert.equal(body.length, 3_000_000);
    assert.ok(body.every((b) => b === 0x78));
    emulator.pushFault({ kind: "huge", bytes: 50_000_000 });
    const partial = await fetch(`${url}/nic/update?hostname=home.ddns.net`, { headers: HEADERS });
    const reader = partial.body!.getReader();
    assert.ok(((await reader.read()).value?.length ?? 0) > 0);
    await reader.cancel();
    assert.equal(emulator.noipHost("home.ddns.net").ip, null);
  });
});

Deno.test("socket: trickle sends the real reply a byte at a time", async () => {
  await withServer({ clock: systemClock() }, async (url, emulator) => {
    emulator.pushFault({ kind: "trickle", intervalMs: 10 });
    const started = performance.now();
    const r = await fetch(`${url}/nic/update?hostname=home.ddns.net`, { headers: HEADERS });
    const reader = r.body!.pipeThrough(new TextDecoderStream()).getReader();
    const chunks: string[] = [];
    for (let i = 0; i < 100; i++) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    assert.equal(chunks.join(""), `good ${ECHO}`);
    assert.ok(chunks.length > 1);
    assert.ok(performance.now() - started >= 100);
    assert.equal(emulator.noipHost("home.ddns.net").ip, ECHO);
  });
});

Deno.test("socket: control API", async () => {
  await withServer({ strictAgent: false }, async (url) => {
    const post = (path: string, body?: unknown) =>
      fetch(`${url}/_emulator/${path}`, {
        method: "POST",
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    assert.equal((await post("fault", { kind: "code", body: "911", times: 2 })).status, 204);
    const badFault = await post("fault", { kind: "code" });
    assert.deepEqual([badFault.status, await badFault.json()], [400, {
      error: "fault.body: expected a string",
    }]);
    const notJson = await fetch(`${url}/_emulator/fault`, { method: "POST", body: "{" });
    assert.deepEqual(await notJson.json(), { error: "the body is not valid JSON" });
    assert.equal((await post("echo-ip", { ipv4: "81.2.69.10", ipv6: null })).status, 204);
    assert.equal((await post("echo-ip", { ipv4: 4 })).status, 400);
    assert.equal(await (await fetch(`${url}/ip`)).text(), "81.2.69.10");
    const noV6 = await fetch(`${url}/ip?family=6`);
    assert.deepEqual([noV6.status, await noV6.text()], [404, "no IPv6 address"]);
    const noip = await fetch(`${url}/nic/update?hostname=home.ddns.net`, { headers: HEADERS });
    assert.equal(await noip.text(), "911");
    const state = await (await fetch(`${url}/_emulator/state`)).json();
    assert.deepEqual(state.faults, [{ kind: "code", body: "911", times: 1 }]);
    assert.deepEqual(state.echoIp, { ipv4: "81.2.69.10", ipv6: null });
    assert.equal(state.dynamip.George.offline, true);
    const requests = await (await fetch(`${url}/_emulator/requests`)).json();
    assert.ok(Array.isArray(requests));
    assert.deepEqual(
      requests.filter((r: { provider: string }) => r.provider !== "control").map((
        r: { reply: string },
      ) => r.reply),
      ["81.2.69.10", "no IPv6 address", "911"],
    );
    assert.equal((await fetch(`${url}/_emulator/reset`)).status, 405);
    assert.equal((await fetch(`${url}/_emulator/nope`)).status, 404);
    assert.equal((await post("reset")).status, 204);
    const after = await (await fetch(`${url}/_emulator/state`)).json();
    assert.deepEqual([after.faults, after.echoIp.ipv4], [[], ECHO]);
    const fresh = await (await fetch(`${url}/_emulator/requests`)).json();
    assert.deepEqual(fresh.map((r: { path: string }) => r.path), [
      "/_emulator/state",
      "/_emulator/requests",
    ]);
  });
});

Deno.test("/notify receives what a webhook posts, keeps it, and forgets it on reset", async () => {
  const { emulator } = setup();
  const post = (path: string, body: string) =>
    emulator.handle(new Request(`http://127.0.0.1${path}`, { method: "POST", body }), "127.0.0.1");
  assert.equal((await post("/notify", "home: updates stopped")).status, 200);
  assert.equal((await post("/notify/phone", "x".repeat(900))).status, 200);
  assert.deepEqual(emulator.notifications, ["home: updates stopped", "x".repeat(500)]);
  assert.deepEqual(emulator.requests.map((r) => r.provider), ["notify", "notify"]);
  emulator.reset();
  assert.deepEqual(emulator.notifications, []);
});

Deno.test("emulator, Hurricane Electric: the host is the username, one address a request, interval after 10 in 2 minutes", async () => {
  const t = setup();
  const he = (query: string, auth: string | null = basic("home.ddns.net", "demo-secret")) =>
    t.get(`/he/nic/update?${query}`, { auth });
  assert.deepEqual((await he("hostname=home.ddns.net&myip=1.2.3.4")).body, "good 1.2.3.4");
  assert.equal((await he("hostname=home.ddns.net&myip=1.2.3.4")).body, "nochg 1.2.3.4");
  assert.equal((await he("hostname=home.ddns.net&myip=2001:db8::1")).body, "good 2001:db8::1");
  assert.deepEqual(
    [t.emulator.noipHost("home.ddns.net").ipv4, t.emulator.noipHost("home.ddns.net").ipv6],
    ["1.2.3.4", "2001:db8::1"],
  );
  assert.equal((await he("hostname=home.ddns.net", DEMO)).body, "badauth");
  assert.equal((await he("hostname=home.ddns.net", basic("home.ddns.net", "x"))).body, "badauth");
  assert.equal((await he("hostname=home.ddns.net", null)).status, 401);
  assert.equal((await he("hostname=none.ddns.net", basic("none.ddns.net", "x"))).body, "nohost");
  assert.equal((await he("hostname=home.ddns.net&myip=1.2.3.4,2001:db8::1")).status, 400);
  for (let i = 0; i < 6; i++) await he(`hostname=home.ddns.net&myip=1.2.3.${10 + i}`);
  assert.equal((await he("hostname=home.ddns.net&myip=1.2.3.99")).body, "interval");
  await t.clock.advance(2 * MINUTE);
  assert.equal((await he("hostname=home.ddns.net&myip=1.2.3.99")).body, "good 1.2.3.99");
});

Deno.test("emulator, deSEC: token auth, statuses, preserve or delete, 2 updates per 2 minutes per domain", async () => {
  const t = setup();
  const desec = (query: string, auth = DEMO) => t.get(`/?${query}`, { auth });
  const host = () => t.emulator.noipHost("home.ddns.net");
  const first = await desec("hostname=home.ddns.net&myipv4=1.2.3.4&myipv6=2001:db8::1");
  assert.deepEqual([first.status, first.body], [200, "good"]);
  assert.equal(host().ip, "1.2.3.4,2001:db8::1");
  const kept = await desec("hostname=home.ddns.net&myipv4=1.2.3.5&myipv6=preserve");
  assert.deepEqual([kept.status, kept.body], [200, "good"]);
  assert.equal(host().ip, "1.2.3.5,2001:db8::1");
  const limited = await desec("hostname=home.ddns.net&myipv4=1.2.3.6");
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get("retry-after"), "120");
  await t.clock.advance(2 * MINUTE);
  // No IPv6 parameter over an IPv4 connection: the AAAA record is deleted.
  assert.equal((await desec("hostname=home.ddns.net&myipv4=1.2.3.6")).status, 200);
  assert.equal(host().ip, "1.2.3.6");
  assert.deepEqual(
    Object.values(await desec("hostname=home.ddns.net", basic("x", "bad"))).slice(0, 2),
    [401, "badauth"],
  );
  assert.deepEqual(Object.values(await desec("hostname=c.ddns.net")).slice(0, 2), [404, "nohost"]);
  assert.equal((await desec("hostname=home.ddns.net,shop.example.org")).status, 400);
});

Deno.test("emulator, built-in one-URL services: each answers in its own words", async () => {
  const t = setup();
  const at = async (path: string) => {
    const r = await t.get(path, { auth: null });
    return `${r.status} ${r.body}`;
  };
  // DuckDNS (spec.jsp): sub-names, `KO` for any failure, `verbose=true` says what changed.
  const duck = "/update?domains=home&token=demo-secret&ip=1.2.3.4&verbose=true";
  await assertAt(at, "/update?domains=home&token=nope&ip=1.2.3.4", "200 KO");
  await assertAt(at, "/update?domains=shop&token=demo-secret&ip=1.2.3.4", "200 KO");
  await assertAt(at, duck.replace("home", "home.ddns"), "200 KO");
  assert.equal(t.emulator.customHost("home.ddns.net").ipv4, null);
  // The emulator's DuckDNS keeps its hosts under duckdns.org: the demo account has none there.
  await assertAt(at, duck, "200 KO");
  const ducks = setup({
    accounts: {
      ...accounts(),
      noip: [{
        username: "duck",
        password: "demo-secret",
        hosts: ["home.duckdns.org"],
        groups: {},
        donator: false,
      }],
    },
  });
  const quack = async (path: string) => (await ducks.get(path, { auth: null })).body;
  assert.equal(await quack(duck), "OK\n1.2.3.4\n\nUPDATED");
  assert.equal(await quack(duck), "OK\n1.2.3.4\n\nNOCHANGE");
  assert.equal(await quack(`${duck}&ipv6=2001:db8::1`), "OK\n1.2.3.4\n2001:db8::1\nUPDATED");
  assert.equal(await quack(duck.replace("&verbose=true", "")), "OK");
  // FreeDNS v2: the token stands for the account's first host; the caller's address.
  await assertAt(
    at,
    "/u/demo-secret/",
    "200 Updated 1 host(s) home.ddns.net to 81.2.69.142 in 0.1 seconds",
  );
  await assertAt(
    at,
    "/u/demo-secret/",
    "200 No IP change detected for home.ddns.net with IP 81.2.69.142, skipping update",
  );
  await assertAt(at, "/u/wrong/", "200 ERROR: Unable to locate this record");
  // dynv6: the status says it; an empty address leaves its record.
  await assertAt(
    at,
    "/api/update?zone=nas.ddns.net&token=demo-secret&ipv4=1.2.3.4&ipv6=",
    "200 addresses updated",
  );
  await assertAt(
    at,
    "/api/update?zone=nas.ddns.net&token=demo-secret&ipv4=1.2.3.4",
    "200 addresses unchanged",
  );
  await assertAt(
    at,
    "/api/update?zone=nas.ddns.net&token=x&ipv4=1.2.3.4",
    "401 invalid authentication token",
  );
  await assertAt(
    at,
    "/api/update?zone=x.ddns.net&token=demo-secret&ipv4=1.2.3.4",
    "404 zone not found",
  );
  // ddnss.de: an HTML page, `Updated 1 hostname.` whether anything changed.
  const ddnss = "/upd.php?key=demo-secret&host=nas.ddns.net&ip=1.2.3.5";
  assert.match(await at(ddnss), /^200 .*Updated 1 hostname\./);
  assert.match(await at(ddnss), /^200 .*Updated 1 hostname\./);
  assert.match(await at(ddnss.replace("demo-secret", "x")), /^200 .*badauth/);
  assert.equal(t.emulator.customHost("nas.ddns.net").ipv4, "1.2.3.5");
  assert.ok(
    t.lines.every((line) => !line.includes("demo-secret")),
    "tokens masked, in the path too",
  );
});

async function assertAt(at: (path: string) => Promise<string>, path: string, want: string) {
  assert.equal(await at(path), want, path);
}
