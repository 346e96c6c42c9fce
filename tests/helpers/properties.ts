/**
 * Properties of everything dnsbeat reads from outside: both reply parsers and config validation.
 * Shared by tests/properties_test.ts (a few thousand cases on every test run) and scripts/fuzz.ts
 * (100,000 cases or more each).
 *
 * Each property has its own oracle, written from the protocol facts rather than from the parser:
 * a reply is a success only where a well-formed success line for that host (No-IP) or a
 * well-formed `IP Address for <SiteID> set to <ip>` line (DynamIP) is present.
 *
 * @module
 */
import assert from "node:assert/strict";
import { NOIP } from "../../lib/providers/dyndns2/profiles.ts";
import fc from "fast-check";
import { CONFIG_KEYS, type ConfigDeps, parseConfig } from "../../lib/config/mod.ts";
import { parseResponse as parseDynamip } from "../../lib/providers/dynamip/protocol.ts";
import { parseIp } from "../../lib/net/ip.ts";
import {
  basicCredentials,
  CODES,
  parseResponse as parseNoip,
} from "../../lib/providers/dyndns2/protocol.ts";
import { createRedactor } from "../../lib/log/redact.ts";

/** How a property run went. */
export interface PropertyRun {
  /** Cases run. */
  runs: number;
  /** Cases whose input the parser accepted (a success, a valid config): shows the oracle bites. */
  accepted: number;
}

/** One property: a name and a runner for `runs` cases (a fixed `seed` replays a run). */
export interface Property {
  /** What the property says. */
  name: string;
  /** Runs `runs` cases; throws (with fast-check's counterexample) when the property fails. */
  check(runs: number, seed?: number): Promise<PropertyRun>;
}

const decoder = new TextDecoder();

/** Bytes off the wire as dnsbeat reads them: UTF-8 with replacement characters. */
const wireText = fc.uint8Array({ maxLength: 300 }).map((b) => decoder.decode(b));

const ADDRESS = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4Extended(),
  fc.constantFrom("999.1.2.3", "1.2.3", "01.2.3.4", "::ffff:1.2.3.4", "1.2.3.4.", "fe80::1%eth0"),
  fc.string({ maxLength: 12 }),
);

/** Every `size`-character piece of `text`: a leak of any of them is a leak. */
function pieces(text: string, size: number): string[] {
  return Array.from({ length: text.length - size + 1 }, (_, i) => text.slice(i, i + size));
}

// ---------------------------------------------------------------- No-IP

const NOIP_USER = "user@example.com";
const NOIP_SECRET = "p&ss=w@rd/?#";
const NOIP_TOKEN = btoa(basicCredentials(NOIP_USER, NOIP_SECRET));
/** What a server echoing the request could send back. */
const ECHOES = [
  NOIP_SECRET,
  encodeURIComponent(NOIP_SECRET),
  `Basic ${NOIP_TOKEN}`,
  `{"headers": {"Accept": "*/*", "Authorization": "Basic ${NOIP_TOKEN}"}}`,
  `good ${NOIP_SECRET}`,
];
const NOIP_LEAKS = [...pieces(NOIP_SECRET, 6), ...pieces(NOIP_TOKEN, 8)];
const noipMask = createRedactor([NOIP_SECRET, basicCredentials(NOIP_USER, NOIP_SECRET)]);

const NOIP_WORD = fc.constantFrom("good", "nochg", "GOOD", "Good", "nochg:", "goodbye", "");
const NOIP_LINE = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(NOIP_WORD, ADDRESS).map(([w, ip]) => `${w} ${ip}`) },
  { weight: 2, arbitrary: fc.tuple(fc.ipV4(), fc.ipV6()).map(([a, b]) => `good ${a},${b}`) },
  { weight: 1, arbitrary: fc.tuple(fc.ipV4(), fc.ipV4()).map(([a, b]) => `nochg ${a},${b}`) },
  { weight: 3, arbitrary: fc.constantFrom(...CODES.map((row) => row.code)) },
  { weight: 1, arbitrary: fc.constantFrom("", " ", "<html>", "</body>", "good", "nochg ") },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: wireText },
  { weight: 1, arbitrary: fc.constantFrom(...ECHOES) },
);
/** Lines joined with LF or CRLF, each maybe padded, maybe with trailing empty lines. */
const joinLines = (lines: fc.Arbitrary<string[]>) =>
  fc.tuple(
    lines,
    fc.array(fc.constantFrom("", " ", "\t", "\r"), { minLength: 12, maxLength: 12 }),
    fc.constantFrom("\n", "\r\n"),
    fc.constantFrom("", "\n", "\r\n", "\n\n"),
  ).map(([ls, pad, eol, end]) =>
    ls.map((l, i) => `${pad[i % 12]}${l}${pad[(i + 6) % 12]}`).join(eol) + end
  );
/** A host count and a body: garbage, random lines, or about one success line per host. */
const NOIP_REPLY = fc.integer({ min: 0, max: 5 }).chain((count) =>
  fc.tuple(
    fc.constant(count),
    fc.oneof(
      { weight: 1, arbitrary: wireText },
      { weight: 3, arbitrary: joinLines(fc.array(NOIP_LINE, { maxLength: 6 })) },
      {
        weight: 3,
        arbitrary: joinLines(
          fc.array(
            fc.oneof(
              { weight: 6, arbitrary: fc.ipV4().map((ip) => `good ${ip}`) },
              { weight: 2, arbitrary: fc.ipV6().map((ip) => `nochg ${ip}`) },
              { weight: 1, arbitrary: NOIP_LINE },
            ),
            { minLength: Math.max(0, count - 1), maxLength: count + 1 },
          ),
        ),
      },
    ),
  )
);
const STATUS = fc.oneof(
  fc.constantFrom(200, 200, 200, 201, 204, 301, 302, 401, 403, 404, 429, 500, 502, 503),
  fc.integer({ min: 100, max: 599 }),
);

/** Account-level codes a server writes: one of them anywhere in the body speaks for all hosts. */
const ACCOUNT_CODES = new Set(
  CODES.filter((r) =>
    r.scope === "account" && !r.synthetic && r.class !== "success" && NOIP.codes.includes(r.code)
  ).map((r) => r.code),
);

/**
 * The addresses of a well-formed `good`/`nochg` line: one, or one IPv4 and one IPv6. A server may
 * write an IPv4 address in its IPv4-mapped IPv6 form (`::ffff:1.2.3.4`): that is the IPv4 address.
 */
function successAddresses(line: string): { code: string; ips: string[] } | null {
  const m = /^(good|nochg) (\S+)$/.exec(line);
  if (!m) return null;
  const parts = m[2]!.split(",");
  const ips = parts.map((part) => {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(part);
    return parseIp(mapped?.[1] ?? part) ?? (mapped ? parseIp(part) : null);
  });
  if (parts.length > 2 || ips.some((ip) => ip === null)) return null;
  if (new Set(ips.map((ip) => ip!.family)).size !== parts.length) return null;
  return { code: m[1]!, ips: ips.map((ip) => ip!.address) };
}

const noipReply: Property = {
  name: "No-IP reply: never throws; a host succeeds only on its own well-formed line in a 2xx; " +
    "no detail holds any piece of echoed credentials",
  check(runs, seed) {
    let accepted = 0;
    fc.assert(
      fc.property(NOIP_REPLY, STATUS, ([count, body], status) => {
        const hosts = Array.from({ length: count }, (_, i) => `h${i}.ddns.net`);
        const outcomes = parseNoip(NOIP, { status, body }, hosts, noipMask);
        assert.equal(outcomes.length, count, "one outcome per host");
        for (const outcome of outcomes) {
          const detail = outcome.kind === "success" ? "" : outcome.detail;
          for (const leak of NOIP_LEAKS) assert.ok(!detail?.includes(leak), `leaks: ${detail}`);
        }
        const lines = body.split("\n").map((l) => l.trim());
        while (lines.at(-1) === "") lines.pop();
        const wellFormed = status >= 200 && status < 300 && lines.length > 0 &&
          lines.length <= count && !lines.some((l) => ACCOUNT_CODES.has(l));
        outcomes.forEach((outcome, i) => {
          const expected = wellFormed ? successAddresses(lines[i] ?? "") : null;
          if (outcome.kind === "success") {
            accepted++;
            assert.ok(expected, `success without a well-formed line ${i}: ${JSON.stringify(body)}`);
            assert.equal(outcome.code, expected.code);
            assert.deepEqual(outcome.ips, expected.ips);
          } else {
            assert.equal(expected, null, `line ${i} is a success: ${JSON.stringify(body)}`);
          }
        });
      }),
      { numRuns: runs, seed },
    );
    return Promise.resolve({ runs, accepted });
  },
};

// ---------------------------------------------------------------- DynamIP

const DYNAMIP_PIECE = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.constantFrom("IP Address for", "ip address for", "IP  Address\tfor", "IP Adress for"),
      fc.constantFrom("George", "Site_1", "", "a b"),
      fc.constantFrom("set to", "SET TO", "set  to", "set"),
      ADDRESS,
    ).map(([a, site, b, ip]) => `${a} ${site} ${b} ${ip}`),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.constantFrom("Expiry", "Remain", "Other", "9x"), fc.string()).map(
      ([name, value]) => `${name}[[[${value}]]]`,
    ),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(
      fc.constantFrom("Invalid IP Address", "Invalid UserID/Password", "Account Expired", "Busy"),
      fc.string({ maxLength: 20 }),
    ).map(([title, message]) => `{{{${title}|${message}}}}`),
  },
  { weight: 1, arbitrary: fc.constantFrom("<br>", "<html><body>", "</p>", "&amp;", "{{{", "}}}") },
  { weight: 2, arbitrary: fc.string({ maxLength: 20 }) },
  { weight: 1, arbitrary: wireText },
);
const DYNAMIP_BODY = fc.oneof(
  { weight: 1, arbitrary: wireText },
  {
    weight: 4,
    arbitrary: fc.tuple(
      fc.array(DYNAMIP_PIECE, { maxLength: 5 }),
      fc.constantFrom("\r\n", "\n", "", " "),
    ).map(([pieces, sep]) => pieces.join(sep)),
  },
);

/** The body's text with CRLF normalised and tags as line breaks, as a browser would show it. */
function shown(body: string): string {
  return body.replace(/\r\n?/g, "\n").replace(/<[^>]*>/g, "\n");
}

const dynamipReply: Property = {
  name: "DynamIP reply: never throws; a success needs `IP Address for <SiteID> set to <ip>` " +
    "with a valid address and no error block",
  check(runs, seed) {
    let accepted = 0;
    fc.assert(
      fc.property(DYNAMIP_BODY, fc.string({ minLength: 1, maxLength: 12 }), (body, password) => {
        const reply = parseDynamip(body, password);
        if (reply.kind !== "success") return;
        accepted++;
        const text = shown(body);
        assert.doesNotMatch(text, /\{\{\{[^|{}]*\|[^{}]*\}\}\}/, "an error block is no success");
        const set = [...text.matchAll(/\bIP\s+Address\s+for\s+\S+\s+set\s+to\s+(?=(\S+))/gi)]
          .map((m) => parseIp(m[1]!.replace(/\.$/, ""))?.address);
        assert.ok(set.includes(reply.ip), `no well-formed set-to line: ${JSON.stringify(body)}`);
      }),
      { numRuns: runs, seed },
    );
    return Promise.resolve({ runs, accepted });
  },
};

// ---------------------------------------------------------------- config

const SECRET = "Fuzz-S3cret&=/?#";
const KEYS = [
  ...new Set([
    ...CONFIG_KEYS.top.filter((k) => k !== "providers"),
    ...CONFIG_KEYS.dyndns2,
    ...CONFIG_KEYS.dynamip,
  ]),
];
const VALUE = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom("noip", "dynamip", "5m", "30s", "0s", "never", "both", "ipv6", "auto"),
  fc.constantFrom("https://x.example", "http://u:p@x.example", "ftp://x", "a.ddns.net", ""),
  fc.constantFrom(["a.ddns.net"], ["a.ddns.net", "A.ddns.net"], [], ["a,b"], ["interface:eth0"]),
  fc.constantFrom("DNSBEAT_PW", "HOME", "/pw", "home"),
);
const PASSWORD_KEYS = ["password", "passwordFile", "passwordEnv"] as const;
/** Where each way of giving the password leads: to the secret, every time. */
const PASSWORD_VALUES: Record<typeof PASSWORD_KEYS[number], string> = {
  password: SECRET,
  passwordFile: "/pw",
  passwordEnv: "DNSBEAT_PW",
};
const PROVIDER = fc.tuple(
  fc.constantFrom("noip", "dynamip", "other"),
  fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), VALUE, {
    maxKeys: 8,
  }),
  fc.constantFrom(...PASSWORD_KEYS),
).map(([type, fields, how]) => ({
  type,
  username: "u",
  siteId: "s",
  hostnames: ["a.ddns.net"],
  ...fields,
  [how]: PASSWORD_VALUES[how],
}));
/** Fields a provider may well have, with values that are mostly valid. */
const SHARED = {
  name: fc.constantFrom("home", "work", "home", ""),
  server: fc.constantFrom("https://x.example/", "http://127.0.0.1:8245", "x.example"),
};
const PLAUSIBLE_NOIP = fc.record({
  ...SHARED,
  type: fc.constant("noip"),
  username: fc.constantFrom("u", "user@example.com", "a:b"),
  families: fc.constantFrom("ipv4", "both", "ipv6", "v4"),
  interval: fc.constantFrom("5m", "1m", "59s", "1h"),
  forceRefresh: fc.constantFrom("never", "7d", "30m"),
  hostnames: fc.constantFrom(["a.ddns.net"], ["a.ddns.net", "b.ddns.net"], ["grp_1"], [""]),
}, { requiredKeys: ["type", "username", "hostnames"] });
const PLAUSIBLE_DYNAMIP = fc.record({
  ...SHARED,
  type: fc.constant("dynamip"),
  siteId: fc.constantFrom("George", "s"),
  ip: fc.constantFrom("auto", "detect", "AUTO"),
}, { requiredKeys: ["type", "siteId"] });
const PLAUSIBLE_CONFIG = fc.tuple(
  fc.array(
    fc.tuple(
      fc.oneof(PLAUSIBLE_NOIP, PLAUSIBLE_DYNAMIP),
      fc.constantFrom(...PASSWORD_KEYS),
    ),
    { minLength: 1, maxLength: 3 },
  ),
  fc.record({
    timeout: fc.constantFrom("15s", "1s", "500ms", "2m"),
    logLevel: fc.constantFrom("info", "debug", "loud"),
    ipSources: fc.constantFrom(["https://ip.example"], ["interface:eth0"], []),
  }, { requiredKeys: [] }),
).map(([providers, top]) => ({
  ...top,
  providers: providers.map(([fields, how]) => ({ ...fields, [how]: PASSWORD_VALUES[how] })),
}));
const CONFIG = fc.oneof(
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 4, arbitrary: PLAUSIBLE_CONFIG },
  {
    weight: 5,
    arbitrary: fc.tuple(
      fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 8 })), VALUE, {
        maxKeys: 4,
      }),
      fc.oneof(fc.array(fc.oneof(PROVIDER, VALUE), { maxLength: 3 }), PROVIDER, VALUE),
    ).map(([top, providers]) => ({ ...top, providers })),
  },
);

/** Every file and every DNSBEAT_ variable holds the secret; files are world-readable. */
const LEAKY: ConfigDeps = {
  readSecretFile: (path) =>
    path === "/pw" ? { text: `${SECRET}\n`, worldReadable: true } : { error: "file not found" },
  env: (name) => (name === "DNSBEAT_PW" ? SECRET : undefined),
};

const SECRET_FORMS = [SECRET, encodeURIComponent(SECRET), btoa(`u:${SECRET}`)];

const configValidation: Property = {
  name: "config: never throws; every message names a field and never the password; " +
    "a valid config keeps every rule",
  async check(runs, seed) {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(CONFIG, async (data) => {
        const result = await parseConfig(data, "/etc/dnsbeat/config.json", LEAKY);
        const texts = result.ok ? result.warnings : result.errors;
        for (const text of texts) {
          for (const form of SECRET_FORMS) assert.ok(!text.includes(form), text);
          assert.ok(/: /.test(text) || text.startsWith("the config"), `names no field: ${text}`);
        }
        if (!result.ok) return assert.ok(result.errors.length > 0);
        accepted++;
        const { config } = result;
        assert.ok(config.providers.length > 0);
        assert.ok(config.timeoutMs >= 1000);
        const names = config.providers.map((p) => p.name);
        assert.equal(new Set(names).size, names.length, "provider names are unique");
        for (const p of config.providers) {
          assert.equal(p.password, SECRET);
          assert.ok(/^https?:\/\/[^@]+$/.test(p.server), `server ${p.server}`);
          if (p.kind === "dyndns2") {
            assert.ok(p.hostnames.length > 0 && p.intervalMs >= 60_000);
            assert.ok(p.hostnames.every((h) => h !== "" && !h.includes(",")));
          }
        }
      }),
      { numRuns: runs, seed },
    );
    return { runs, accepted };
  },
};

/** The three properties. */
export const PROPERTIES: readonly Property[] = [noipReply, dynamipReply, configValidation];
