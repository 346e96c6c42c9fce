import assert from "node:assert/strict";
import { NOIP } from "../lib/providers/dyndns2/profiles.ts";
import fc from "fast-check";
import {
  CONFIG_KEYS,
  type ConfigDeps,
  type ConfigResult,
  DEFAULT_IPV4_SOURCES,
  DEFAULT_IPV6_SOURCES,
  DEFAULT_STATE_PATH,
  loadConfig,
  parseConfig,
} from "../lib/config/mod.ts";
import { fingerprint } from "../lib/state/identity.ts";
import type { Config, Dyndns2Provider } from "../lib/config/types.ts";
import { DEFAULT_SERVER as DYNAMIP_SERVER } from "../lib/providers/dynamip/protocol.ts";
import { DAY, MINUTE, SECOND } from "../lib/config/duration.ts";
import { parseIpSource } from "../lib/net/detect.ts";
import { CONTACT } from "../lib/version.ts";
import { assertNoSecret } from "./helpers/secret.ts";
import { tempDir } from "./helpers/temp_dir.ts";

const PW = "S3cr3t-PW!";
const PW_FILE = "/etc/dnsbeat/dynamip.pw";
const PATH = "/etc/dnsbeat/config.json";

// deno-lint-ignore no-explicit-any
type Json = any;

interface FakeWorld {
  files?: Record<string, { text: string; worldReadable: boolean }>;
  env?: Record<string, string>;
  /** The config file's mode (default 0600). */
  configMode?: number;
}

function deps(world: FakeWorld = {}): ConfigDeps {
  const files = world.files ?? { [PW_FILE]: { text: `${PW}\n`, worldReadable: false } };
  const env = world.env ?? { DNSBEAT_PW: PW };
  return {
    readSecretFile: (path) => files[path] ?? { error: "file not found" },
    env: (name) => env[name],
    fileMode: (path) => (path === PATH ? world.configMode ?? 0o600 : null),
  };
}

/** A config using every key, both providers. */
function full(): Json {
  return {
    state: "/srv/dnsbeat/state.json",
    ipSources: ["https://ip.example/", "interface:eth0"],
    ipv6Sources: ["https://ip6.example/"],
    resolver: "[2001:DB8::53]:5353",
    timeout: "20s",
    logLevel: "debug",
    startup: { delay: "10s", waitForClock: false, waitForNetwork: false, maxWait: "2m" },
    userAgentContact: "admin@example.com",
    providers: [
      {
        type: "noip",
        name: "home",
        username: "user@example.com",
        password: PW,
        hostnames: ["myhome.ddns.net", "Group_1"],
        server: "https://noip.example/",
        families: "both",
        interval: "10m",
        forceRefresh: "7d",
      },
      {
        type: "dynamip",
        name: "site",
        siteId: "mysite",
        passwordFile: PW_FILE,
        ip: "detect",
        server: "http://dynamip.example",
      },
    ],
  };
}

/** The smallest valid config with both providers. */
function minimal(): Json {
  return {
    providers: [
      { type: "noip", username: "u", password: PW, hostnames: ["a.ddns.net"] },
      { type: "dynamip", siteId: "s", passwordEnv: "DNSBEAT_PW" },
    ],
  };
}

/** What a config result says: its warnings, or its errors. */
function messages(result: ConfigResult): string[] {
  return result.ok ? result.warnings : result.errors;
}

async function errorsOf(data: unknown, world?: FakeWorld): Promise<string[]> {
  const result = await parseConfig(data, PATH, deps(world));
  assertNoSecret(messages(result), PW);
  assert.ok(!result.ok, "expected the config to be rejected");
  return result.errors;
}

async function configOf(data: unknown, world?: FakeWorld): Promise<[Config, string[]]> {
  const result = await parseConfig(data, PATH, deps(world));
  assertNoSecret(messages(result), PW);
  assert.ok(result.ok, `rejected: ${result.ok ? "" : result.errors.join("; ")}`);
  return [result.config, result.warnings];
}

Deno.test("parseConfig: a full config, every key read", async () => {
  const [config, warnings] = await configOf(full());
  assert.deepEqual(warnings, []);
  assert.deepEqual(config, {
    path: PATH,
    statePath: "/srv/dnsbeat/state.json",
    ipv4Sources: [{ kind: "http", url: "https://ip.example/" }, {
      kind: "interface",
      name: "eth0",
    }],
    ipv6Sources: [{ kind: "http", url: "https://ip6.example/" }],
    resolver: { ipAddr: "2001:db8::53", port: 5353 },
    timeoutMs: 20 * SECOND,
    logLevel: "debug",
    startup: {
      delayMs: 10 * SECOND,
      waitForClock: false,
      waitForNetwork: false,
      maxWaitMs: 2 * MINUTE,
    },
    notify: { sinks: [], failingAfterMs: 60 * MINUTE },
    providers: [
      {
        kind: "dyndns2",
        profile: NOIP,
        key: "dyndns2 https://noip.example user@example.com",
        name: "home",
        username: "user@example.com",
        password: PW,
        passwordSource: "password inline in the config: 10 characters",
        hostnames: ["myhome.ddns.net", "Group_1"],
        server: "https://noip.example",
        serverAsWritten: "https://noip.example/",
        families: ["ipv4", "ipv6"],
        intervalMs: 10 * MINUTE,
        forceRefreshMs: 7 * DAY,
        userAgentContact: "admin@example.com",
        fingerprint: await fingerprint([
          "dyndns2",
          "https://noip.example",
          "user@example.com",
          PW,
          ["Group_1", "myhome.ddns.net"],
        ]),
      },
      {
        kind: "dynamip",
        key: "dynamip http://dynamip.example mysite",
        name: "site",
        siteId: "mysite",
        password: PW,
        passwordSource: `password from ${PW_FILE}: first line, 10 characters`,
        ip: "detect",
        server: "http://dynamip.example",
        serverAsWritten: "http://dynamip.example",
        fingerprint: await fingerprint(["dynamip", "http://dynamip.example", "mysite", PW]),
      },
    ],
  });
});

Deno.test("parseConfig: every default of a minimal config", async () => {
  const [config, warnings] = await configOf(minimal());
  assert.deepEqual(warnings, []);
  assert.equal(config.statePath, DEFAULT_STATE_PATH);
  assert.deepEqual(config.ipv4Sources, DEFAULT_IPV4_SOURCES.map(parseIpSource));
  assert.deepEqual(config.ipv6Sources, DEFAULT_IPV6_SOURCES.map(parseIpSource));
  assert.deepEqual(config.ipv4Sources.map((s) => s.kind), ["dns", "http", "http"]);
  assert.equal(config.resolver, null);
  assert.equal(config.timeoutMs, 15 * SECOND);
  assert.equal(config.logLevel, "info");
  assert.deepEqual(config.startup, {
    delayMs: 0,
    waitForClock: true,
    waitForNetwork: true,
    maxWaitMs: 5 * MINUTE,
  });
  const [noip, dynamip] = config.providers;
  assert.ok(noip?.kind === "dyndns2" && dynamip?.kind === "dynamip");
  assert.deepEqual({ ...noip, fingerprint: "" }, {
    kind: "dyndns2",
    profile: NOIP,
    key: `dyndns2 ${NOIP.server} u`,
    name: "noip",
    username: "u",
    password: PW,
    passwordSource: "password inline in the config: 10 characters",
    hostnames: ["a.ddns.net"],
    server: NOIP.server,
    serverAsWritten: NOIP.server,
    families: ["ipv4"],
    intervalMs: 5 * MINUTE,
    forceRefreshMs: 25 * DAY,
    userAgentContact: CONTACT,
    fingerprint: "",
  });
  assert.match(noip.fingerprint, /^[0-9a-f]{32}$/);
  assert.deepEqual({ ...dynamip, fingerprint: "" }, {
    kind: "dynamip",
    key: `dynamip ${DYNAMIP_SERVER} s`,
    name: "dynamip",
    siteId: "s",
    password: PW,
    passwordSource: "password from the variable DNSBEAT_PW: first line, 10 characters",
    ip: "auto",
    server: DYNAMIP_SERVER,
    serverAsWritten: DYNAMIP_SERVER,
    fingerprint: "",
  });
  assert.match(dynamip.fingerprint, /^[0-9a-f]{32}$/);
});

Deno.test("parseConfig: accepted variants", async () => {
  const cases: [string, (c: Json) => void, (config: Config) => void][] = [
    ["interval of exactly 1 minute", (c) => (c.providers[0].interval = "1m"), (config) => {
      assert.equal((config.providers[0] as Dyndns2Provider).intervalMs, MINUTE);
    }],
    ['forceRefresh "never"', (c) => (c.providers[0].forceRefresh = "never"), (config) => {
      assert.equal((config.providers[0] as Dyndns2Provider).forceRefreshMs, 0);
    }],
    ["forceRefresh of exactly a week, in hours", (c) => (c.providers[0].forceRefresh = "168h"), (
      config,
    ) => {
      assert.equal((config.providers[0] as Dyndns2Provider).forceRefreshMs, 7 * DAY);
    }],
    ["a hostname in punycode", (c) => (c.providers[0].hostnames = ["xn--bcher-kva.ddns.net"]), (
      config,
    ) => {
      assert.deepEqual((config.providers[0] as Dyndns2Provider).hostnames, [
        "xn--bcher-kva.ddns.net",
      ]);
    }],
    ["userAgentContact a URL", (c) => (c.userAgentContact = "https://example.org/dns"), (
      config,
    ) => {
      assert.equal(
        (config.providers[0] as Dyndns2Provider).userAgentContact,
        "https://example.org/dns",
      );
    }],
    ["families ipv6", (c) => (c.providers[0].families = "ipv6"), (config) => {
      assert.deepEqual((config.providers[0] as Dyndns2Provider).families, ["ipv6"]);
    }],
    ["passwordEnv", (c) => {
      delete c.providers[0].password;
      c.providers[0].passwordEnv = "DNSBEAT_PW";
    }, (config) => assert.equal(config.providers[0]?.password, PW)],
    ["same host at two servers", (c) => {
      c.providers.push({
        type: "noip",
        name: "other",
        username: "u",
        password: PW,
        hostnames: ["myhome.ddns.net"],
      });
    }, (config) => assert.equal(config.providers.length, 3)],
  ];
  for (const [name, change, check] of cases) {
    const data = full();
    change(data);
    const [config] = await configOf(data);
    check(config);
    assert.ok(name);
  }
});

Deno.test("parseConfig: a world-readable passwordFile is a warning, not an error", async () => {
  const [config, warnings] = await configOf(full(), {
    files: { [PW_FILE]: { text: `${PW}\r\n`, worldReadable: true } },
  });
  assert.equal(config.providers[1]?.password, PW);
  assert.deepEqual(warnings, [
    `providers[1].passwordFile: ${PW_FILE} can be read by every user; run: chmod 600 ${PW_FILE}`,
  ]);
});

type Case = [string, (c: Json) => void, string[], FakeWorld?];

const CASES: Case[] = [
  ["unknown top-level field", (c) => (c.provider = []), [
    'provider: unknown field (did you mean "providers"?); known: state, ipSources, ipv6Sources, resolver, timeout, logLevel, startup, userAgentContact, failingAfter, notify, providers',
  ]],
  ["unknown field, nothing near", (c) => (c.colour = true), ["colour: unknown field; known: "]],
  ["unknown provider field", (c) => (c.providers[0].intervall = "5m"), [
    'providers[0].intervall: unknown field (did you mean "interval"?)',
  ]],
  ["misspelt hostnames", (c) => {
    c.providers[0].hostname = c.providers[0].hostnames;
    delete c.providers[0].hostnames;
  }, [
    'providers[0].hostname: unknown field (did you mean "hostnames"?)',
    "providers[0].hostnames: expected a non-empty list of hostnames",
  ]],
  ["misspelt password", (c) => {
    c.providers[0].passwd = PW;
    delete c.providers[0].password;
  }, [
    'providers[0].passwd: unknown field (did you mean "password"?)',
    'providers[0]: expected exactly one of "password", "passwordFile", "passwordEnv", found none',
  ]],
  ["unknown startup field", (c) => (c.startup.delays = "1s"), [
    'startup.delays: unknown field (did you mean "delay"?)',
  ]],
  ["unknown DynamIP field in another case", (c) => (c.providers[1].siteID = "x"), [
    'providers[1].siteID: unknown field (did you mean "siteId"?)',
  ]],
  ["providers missing", (c) => delete c.providers, [
    "providers: expected a non-empty list of providers, found nothing",
  ]],
  ["username not a string", (c) => (c.providers[0].username = 5), [
    "providers[0].username: expected a non-empty string, found 5",
  ]],
  ["username blank", (c) => (c.providers[0].username = "  "), [
    'providers[0].username: expected a non-empty string, found "  "',
  ]],
  ["siteId missing", (c) => delete c.providers[1].siteId, [
    "providers[1].siteId: expected a non-empty string, found nothing",
  ]],
  ["password a number", (c) => (c.providers[0].password = 12345), [
    "providers[0].password: expected a non-empty string, found a number",
  ]],
  ["password empty", (c) => (c.providers[0].password = ""), [
    "providers[0].password: expected a non-empty string, found a string of 0 characters",
  ]],
  ["timeout a number", (c) => (c.timeout = 30), [
    'timeout: expected a duration like "90s", "5m", "1h30m" or "25d", found 30',
  ]],
  ["timeout under a second", (c) => (c.timeout = "500ms"), [
    'timeout: must be at least 1s, found "500ms"',
  ]],
  ["logLevel unknown", (c) => (c.logLevel = "verbose"), [
    'logLevel: expected one of "error", "warn", "info", "debug", found "verbose"',
  ]],
  ["startup not an object", (c) => (c.startup = ["10s"]), [
    "startup: expected an object, found a list",
  ]],
  ["startup flag not boolean", (c) => (c.startup.waitForClock = "yes"), [
    'startup.waitForClock: expected true or false, found "yes"',
  ]],
  ["startup delay bad", (c) => (c.startup.maxWait = "forever"), [
    "startup.maxWait: expected a duration",
  ]],
  ["state empty", (c) => (c.state = ""), ['state: expected a non-empty string, found ""']],
  ["ipSources not a list", (c) => (c.ipSources = "https://ip.example/"), [
    "ipSources: expected a non-empty list",
  ]],
  ["ipSources empty", (c) => (c.ipSources = []), [
    'ipSources: expected a non-empty list like ["https://api.ipify.org", "interface:eth0"], found an empty list',
  ]],
  ["ipv6Sources empty", (c) => (c.ipv6Sources = []), [
    'ipv6Sources: expected a non-empty list like ["https://api.ipify.org", "interface:eth0"], found an empty list',
  ]],
  ["ipv6Sources bad entry", (c) => (c.ipv6Sources = ["https://ok.example/", "ftp://x/", 7]), [
    "ipv6Sources[1]: expected ",
    'ipv6Sources[2]: expected a URL, "interface:NAME" or "dns:…", found 7',
  ]],
  ["families unknown", (c) => (c.providers[0].families = "ipv5"), [
    'providers[0].families: expected one of "ipv4", "ipv6", "both", found "ipv5"',
  ]],
  ["dynamip ip unknown", (c) => (c.providers[1].ip = "manual"), [
    'providers[1].ip: expected one of "auto", "detect", found "manual"',
  ]],
  ["provider type unknown", (c) => (c.providers[0].type = "changeip"), [
    'providers[0].type: expected one of "noip", "dynu", "dyndns2", "he", "desec", "dynamip", "custom", "duckdns", "freedns", "dynv6", "ddnss", "cloudflare", found "changeip"',
  ]],
  ["provider type missing", (c) => delete c.providers[0].type, [
    'providers[0].type: expected one of "noip", "dynu", "dyndns2", "he", "desec", "dynamip", "custom", "duckdns", "freedns", "dynv6", "ddnss", "cloudflare", found nothing',
  ]],
  ["provider not an object", (c) => (c.providers[1] = ["dynamip", "site", PW]), [
    "providers[1]: expected an object, found a list",
  ]],
  ["providers empty", (c) => (c.providers = []), [
    "providers: expected a non-empty list of providers, found an empty list",
  ]],
  ["providers an object (one provider without brackets)", (c) => (c.providers = c.providers[0]), [
    "providers: expected a non-empty list of providers, found an object",
  ]],
  ["hostnames empty", (c) => (c.providers[0].hostnames = []), [
    'providers[0].hostnames: expected a non-empty list of hostnames like ["myhome.ddns.net"], found an empty list',
  ]],
  ["hostnames a string", (c) => (c.providers[0].hostnames = "myhome.ddns.net"), [
    'providers[0].hostnames: expected a non-empty list of hostnames like ["myhome.ddns.net"], found "myhome.ddns.net"',
  ]],
  ["invalid hostname", (c) => (c.providers[0].hostnames = ["ok.ddns.net", "bad host"]), [
    'providers[0].hostnames[1]: "bad host" has " " (U+0020), which a hostname cannot have (letters, digits, "-", "_" and "." only)',
  ]],
  ["more invalid hostnames", (c) => {
    c.providers[0].hostnames = [
      "a,b.ddns.net",
      "-x.ddns.net",
      "x..ddns.net",
      `${"a".repeat(64)}.ddns.net`,
      "",
      5,
      "x.ddns.net.",
      "https://x.ddns.net",
      "bücher.ddns.net",
      `${"a".repeat(60)}.`.repeat(5) + "net",
    ];
  }, [
    'providers[0].hostnames[0]: "a,b.ddns.net" has ",", which a hostname cannot have',
    'providers[0].hostnames[1]: "-x.ddns.net" has the label "-x"; a label may not start or end with "-"',
    'providers[0].hostnames[2]: "x..ddns.net" has an empty label (a leading dot or two dots in a row); remove the extra "."',
    'providers[0].hostnames[3]: "aaaa',
    'providers[0].hostnames[4]: expected a hostname or group name like "myhome.ddns.net", found ""',
    'providers[0].hostnames[5]: expected a hostname or group name like "myhome.ddns.net", found 5',
    'providers[0].hostnames[6]: "x.ddns.net." ends with a dot; remove the trailing dot: No-IP wants the name without it: "x.ddns.net"',
    'providers[0].hostnames[7]: "https://x.ddns.net" is a URL; give the hostname only: "x.ddns.net"',
    'providers[0].hostnames[8]: "bücher.ddns.net" is not ASCII; write it in its ASCII (punycode) form: "xn--bcher-kva.ddns.net"',
    "is 308 characters long; a hostname may have at most 253",
  ]],
  ["duplicate hostnames, any case", (c) => {
    c.providers[0].hostnames = ["a.ddns.net", "b.ddns.net", "A.DDNS.net"];
  }, ['providers[0].hostnames[2]: "A.DDNS.net" is listed twice']],
  ["duplicate provider names", (c) => {
    c.providers.push({ ...c.providers[0], username: "v", hostnames: ["other.ddns.net"] });
  }, [
    'providers[2].name: "home" is already the name of providers[0]; give each provider its own "name"',
  ]],
  ["one No-IP account in two providers", (c) => {
    c.providers.push({ ...c.providers[0], name: "more", hostnames: ["other.ddns.net"] });
  }, [
    "providers[2]: the same account (user@example.com at https://noip.example) as providers[0]; put all its hostnames in one provider, they are sent together",
  ]],
  ["one DynamIP site in two providers", (c) => {
    c.providers.push({ ...c.providers[1], name: "again", server: "http://DYNAMIP.example/" });
  }, [
    "providers[2]: the same DynamIP site (mysite at http://dynamip.example) as providers[1]; two providers for one site would beat twice every 15 minutes, which gets its updates disallowed",
  ]],
  ["a server URL with a query", (c) => (c.providers[0].server = "https://noip.example/?x=1"), [
    'providers[0].server: expected the server\'s base URL without "?" or "#", like "https://noip.example"',
  ]],
  ["duplicate default names", (c) => {
    delete c.providers[0].name;
    c.providers.push({ type: "noip", username: "v", password: PW, hostnames: ["b.ddns.net"] });
  }, ['providers[2].name: "noip" is already the name of providers[0]']],
  ["same name across types", (c) => (c.providers[1].name = "home"), [
    'providers[1].name: "home" is already the name of providers[0]',
  ]],
  ["one host in two providers", (c) => {
    c.providers.push({
      type: "noip",
      name: "other",
      username: "v",
      password: PW,
      hostnames: ["x.ddns.net", "MYHOME.ddns.net"],
      server: "https://noip.example",
    });
  }, [
    'providers[2].hostnames: "MYHOME.ddns.net" is also updated by provider "home"; two providers updating one host fight each other',
  ]],
  ["server not http", (c) => (c.providers[0].server = "ftp://noip.example"), [
    'providers[0].server: expected an http:// or https:// URL, found "ftp://noip.example"',
  ]],
  ["server not a URL", (c) => (c.providers[1].server = "dynamip.example"), [
    'providers[1].server: expected an http:// or https:// URL, found "dynamip.example"',
  ]],
  ["server with credentials", (c) => (c.providers[0].server = `https://user:${PW}@noip.example`), [
    'providers[0].server: credentials in the URL are not allowed; use "username" and a password field',
  ]],
  ["server with a user only", (c) => (c.providers[1].server = "http://someone@dynamip.example"), [
    "providers[1].server: credentials in the URL are not allowed",
  ]],
  ["interval malformed", (c) => (c.providers[0].interval = "5 minutes"), [
    'providers[0].interval: expected a duration like "90s", "5m", "1h30m" or "25d", found "5 minutes"',
  ]],
  ["interval below 1 minute", (c) => (c.providers[0].interval = "59s"), [
    'providers[0].interval: must be at least 1m, found "59s"',
  ]],
  ["interval a number", (c) => (c.providers[0].interval = 300), [
    "providers[0].interval: expected a duration",
  ]],
  ["forceRefresh too short", (c) => (c.providers[0].forceRefresh = "30m"), [
    'providers[0].forceRefresh: at least 7d: No-IP counts repeated nochg as abuse; a refresh more often than weekly risks the account (found "30m"); use "25d" (the default) or "never"',
  ]],
  ["forceRefresh a day short of a week", (c) => (c.providers[0].forceRefresh = "6d23h"), [
    'providers[0].forceRefresh: at least 7d: No-IP counts repeated nochg as abuse; a refresh more often than weekly risks the account (found "6d23h")',
  ]],
  ["forceRefresh zero", (c) => (c.providers[0].forceRefresh = "0s"), [
    "providers[0].forceRefresh: at least 7d",
  ]],
  ["password missing", (c) => delete c.providers[0].password, [
    'providers[0]: expected exactly one of "password", "passwordFile", "passwordEnv", found none',
  ]],
  ["two password fields", (c) => (c.providers[0].passwordEnv = "DNSBEAT_PW"), [
    'providers[0]: expected exactly one of "password", "passwordFile", "passwordEnv", found password and passwordEnv',
  ]],
  ["three password fields", (c) => {
    c.providers[1].password = PW;
    c.providers[1].passwordEnv = "DNSBEAT_PW";
  }, [
    'providers[1]: expected exactly one of "password", "passwordFile", "passwordEnv", found password and passwordFile and passwordEnv',
  ]],
  ["the password typed into passwordFile", (c) => (c.providers[1].passwordFile = PW), [
    "providers[1].passwordFile: the file it names: file not found; the value is not shown, in case it is the password itself",
  ]],
  ["the password typed into passwordEnv", (c) => {
    delete c.providers[0].password;
    c.providers[0].passwordEnv = PW;
  }, [
    'providers[0].passwordEnv: expected the name of an environment variable starting with DNSBEAT_ (dnsbeat may read no other variables), like "DNSBEAT_NOIP_PASSWORD"; the value is not shown, in case it is the password itself',
  ]],
  ["passwordFile missing", (c) => (c.providers[1].passwordFile = "/nope"), [
    "providers[1].passwordFile: /nope: file not found",
  ]],
  ["passwordFile empty", (c) => (c.providers[1].passwordFile = "/empty"), [
    "providers[1].passwordFile: /empty is empty or blank; put the password on its first line",
  ], { files: { "/empty": { text: "\n", worldReadable: false } } }],
  ["passwordFile not a string", (c) => (c.providers[1].passwordFile = ["/x"]), [
    "providers[1].passwordFile: expected a non-empty string, found a list",
  ]],
  ["passwordEnv outside DNSBEAT_", (c) => {
    delete c.providers[0].password;
    c.providers[0].passwordEnv = "HOME";
  }, [
    'providers[0].passwordEnv: expected the name of an environment variable starting with DNSBEAT_ (dnsbeat may read no other variables), like "DNSBEAT_NOIP_PASSWORD"; the value is not shown, in case it is the password itself',
  ]],
  ["passwordEnv unset", (c) => {
    delete c.providers[0].password;
    c.providers[0].passwordEnv = "DNSBEAT_NOPE";
  }, [
    "providers[0].passwordEnv: the variable DNSBEAT_NOPE is not set or empty; set it to the password in dnsbeat's environment",
  ]],
  [
    "passwordEnv empty",
    (c) => {
      delete c.providers[0].password;
      c.providers[0].passwordEnv = "DNSBEAT_EMPTY";
    },
    ["providers[0].passwordEnv: the variable DNSBEAT_EMPTY is not set or empty"],
    {
      env: { DNSBEAT_EMPTY: "" },
    },
  ],
];

Deno.test("parseConfig: each problem names its field and never the password", async (t) => {
  for (const [name, change, expected, world] of CASES) {
    await t.step(name, async () => {
      const data = full();
      change(data);
      const errors = await errorsOf(data, world);
      assert.equal(errors.length, expected.length, errors.join("\n"));
      for (const [i, part] of expected.entries()) {
        assert.ok(errors[i]?.includes(part), `${JSON.stringify(errors[i])} lacks ${part}`);
      }
    });
  }
});

Deno.test("parseConfig: a config that is not an object", async () => {
  for (
    const [data, found] of [[null, "null"], [[], "an empty list"], [
      "x",
      "a string of 1 characters",
    ], [
      3,
      "a number",
    ]] as const
  ) {
    assert.deepEqual(await errorsOf(data), [`the config must be a JSON object, found ${found}`]);
  }
});

Deno.test("parseConfig: all problems are reported at once", async () => {
  const data = full();
  data.timeout = "x";
  data.providers[0].username = "";
  data.providers[1].ip = "x";
  const errors = await errorsOf(data);
  assert.deepEqual(errors.map((e) => e.split(":")[0]), [
    "timeout",
    "providers[0].username",
    "providers[1].ip",
  ]);
});

async function fingerprintOf(change: (c: Json) => void, index = 0): Promise<string> {
  const data = full();
  change(data);
  const [config] = await configOf(data);
  const fp = config.providers[index]?.fingerprint;
  assert.ok(fp && /^[0-9a-f]{32}$/.test(fp));
  return fp;
}

Deno.test("fingerprint: changes with credentials, hostnames and server only", async () => {
  const base = await fingerprintOf(() => {});
  const changed: [string, (c: Json) => void][] = [
    ["username", (c) => (c.providers[0].username = "other")],
    ["password", (c) => (c.providers[0].password = "other-PW")],
    ["hostname added", (c) => c.providers[0].hostnames.push("x.ddns.net")],
    ["hostname replaced", (c) => (c.providers[0].hostnames[0] = "x.ddns.net")],
    ["server", (c) => (c.providers[0].server = "https://other.example")],
  ];
  for (const [name, change] of changed) {
    assert.notEqual(await fingerprintOf(change), base, name);
  }
  const same: [string, (c: Json) => void][] = [
    ["interval", (c) => (c.providers[0].interval = "1h")],
    ["forceRefresh", (c) => (c.providers[0].forceRefresh = "never")],
    ["families", (c) => (c.providers[0].families = "ipv4")],
    ["name", (c) => (c.providers[0].name = "renamed")],
    ["hostnames order", (c) => c.providers[0].hostnames.reverse()],
    ["server trailing slash", (c) => (c.providers[0].server = "https://noip.example//")],
    ["global settings", (c) => {
      c.timeout = "1m";
      c.logLevel = "error";
    }],
    ["password from the environment", (c) => {
      delete c.providers[0].password;
      c.providers[0].passwordEnv = "DNSBEAT_PW";
    }],
  ];
  for (const [name, change] of same) assert.equal(await fingerprintOf(change), base, name);
});

Deno.test("fingerprint: DynamIP changes with siteId, password and server, not ip", async () => {
  const base = await fingerprintOf(() => {}, 1);
  assert.notEqual(await fingerprintOf((c) => (c.providers[1].siteId = "other"), 1), base);
  assert.notEqual(
    await fingerprintOf((c) => (c.providers[1].server = "http://x.example"), 1),
    base,
  );
  assert.notEqual(
    await fingerprintOf((c) => {
      delete c.providers[1].passwordFile;
      c.providers[1].password = "other-PW";
    }, 1),
    base,
  );
  assert.equal(await fingerprintOf((c) => (c.providers[1].ip = "auto"), 1), base);
  assert.notEqual(await fingerprintOf(() => {}, 0), base, "providers differ from each other");
});

Deno.test("fingerprint: 32 hex characters, stable, sensitive to structure", async () => {
  const a = await fingerprint(["noip", "s", "u", "p", ["h"]]);
  assert.match(a, /^[0-9a-f]{32}$/);
  assert.equal(await fingerprint(["noip", "s", "u", "p", ["h"]]), a);
  assert.notEqual(await fingerprint(["noip", "s", "u", "p", "h"]), a);
  assert.notEqual(await fingerprint(["noip", "s", "up", "", ["h"]]), a);
});

Deno.test("loadConfig: missing, unreadable, malformed and valid files", async () => {
  await using tmp = await tempDir("config");
  const dir = tmp.path;
  // The caller names the file ("config PATH: "), so the message does not.
  const missing = await loadConfig(`${dir}/nope.json`, deps());
  assert.deepEqual(missing, {
    ok: false,
    errors: [
      "not found; create it (see examples/noip.json) or pass --config PATH (or set DNSBEAT_CONFIG)",
    ],
  });
  assert.deepEqual(await loadConfig(dir, deps()), {
    ok: false,
    errors: ["is a directory; pass the config file itself with --config PATH"],
  });

  const path = `${dir}/config.json`;
  const malformed = [
    `{"providers": [{"type": "noip", "password": ${PW}}]}`,
    `{'providers': [{'password': '${PW}'}]}`,
    `{"providers": [{"password": "${PW}",}]}`,
    `{"providers": [{"password": "${PW}"`,
    `{"providers": [{"password": "${PW}\n"}]}`,
  ];
  for (const text of malformed) {
    await Deno.writeTextFile(path, text);
    const result = await loadConfig(path, deps());
    assertNoSecret(messages(result), PW);
    assert.ok(!result.ok && result.errors.length === 1);
    assert.ok(result.errors[0]?.startsWith("not valid JSON ("), result.errors[0]);
  }

  await Deno.writeTextFile(path, JSON.stringify(full(), null, 2));
  const loaded = await loadConfig(path, deps());
  assert.ok(loaded.ok);
  assert.equal(loaded.config.path, path);
  assert.equal(loaded.config.providers.length, 2);
});

const NOIP_KEYS = [...new Set([...CONFIG_KEYS.dyndns2, ...CONFIG_KEYS.dynamip])];
const TOP_KEYS = CONFIG_KEYS.top.filter((k) => k !== "providers");

/** Deps where every file and every DNSBEAT_ variable holds the password. */
const leakyWorld: ConfigDeps = {
  readSecretFile: () => ({ text: PW, worldReadable: true }),
  env: (name) => (name.startsWith("DNSBEAT_") ? PW : undefined),
};

Deno.test("parseConfig property: arbitrary JSON never throws", async () => {
  await fc.assert(
    fc.asyncProperty(fc.jsonValue(), async (data) => {
      const result = await parseConfig(data, PATH, leakyWorld);
      assert.equal(typeof result.ok, "boolean");
      if (!result.ok) assert.ok(result.errors.length > 0);
    }),
    { numRuns: 300 },
  );
});

Deno.test("parseConfig property: a planted password never shows in any message", async () => {
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom("noip", "dynamip", "5m", "30s", "never", "both", "DNSBEAT_X", "/pw"),
    fc.constantFrom("https://x.example", "a.ddns.net", ["a.ddns.net", "a.ddns.net"]),
  );
  const provider = fc.record({
    fields: fc.dictionary(fc.oneof(fc.constantFrom(...NOIP_KEYS), fc.string()), value),
    type: fc.constantFrom("noip", "dynamip"),
  }).map(({ fields, type }) => ({ type, ...fields, password: PW }));
  const config = fc.record({
    top: fc.dictionary(fc.oneof(fc.constantFrom(...TOP_KEYS), fc.string()), value),
    providers: fc.oneof(
      fc.array(fc.oneof(provider, value), { maxLength: 4 }),
      provider,
      provider.map((p) => [Object.values(p)]),
    ),
  }).map(({ top, providers }) => ({ ...top, providers }));
  await fc.assert(
    fc.asyncProperty(config, async (data) => {
      const result = await parseConfig(data, PATH, leakyWorld);
      const texts = result.ok ? result.warnings : result.errors;
      assertNoSecret(texts, PW, "a message");
    }),
    { numRuns: 500 },
  );
});
