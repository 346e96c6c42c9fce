/**
 * A Cloudflare provider's config entry: the token in its three forms (the password's rules and
 * words), the hostnames and the zone, the fields dnsbeat leaves to Cloudflare's dashboard, and
 * no message that holds the token.
 */
import assert from "node:assert/strict";
import type { ConfigDeps } from "../lib/config/validate.ts";
import { Validator } from "../lib/config/validate.ts";
import type { CloudflareProvider } from "../lib/config/types.ts";
import { parseCloudflare } from "../lib/providers/cloudflare/config.ts";
import { API_BASE } from "../lib/providers/cloudflare/protocol.ts";
import { CONTACT } from "../lib/version.ts";

const TOKEN = "Yx9wq3Z-cloudflare_token-0123456789abcd";
const PATH = "/etc/dnsbeat/config.json";
const TOKEN_FILE = "/etc/dnsbeat/cloudflare.token";
const ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353";

function deps(configMode = 0o600, fileReadable = false): ConfigDeps {
  return {
    readSecretFile: (path) =>
      path === TOKEN_FILE
        ? { text: `${TOKEN}\r\n`, worldReadable: fileReadable }
        : { error: "file not found" },
    env: (name) => (name === "DNSBEAT_CF_TOKEN" ? TOKEN : undefined),
    fileMode: (path) => (path === PATH ? configMode : null),
  };
}

async function read(
  entry: Record<string, unknown>,
  d: ConfigDeps = deps(),
): Promise<{ p: CloudflareProvider; errors: string[]; warnings: string[] }> {
  const v = new Validator(d, PATH);
  const p = await parseCloudflare(
    v,
    { type: "cloudflare", ...entry },
    "providers[0]",
    CONTACT,
  );
  return { p, errors: v.errors, warnings: v.warnings };
}

const BASE = { token: TOKEN, hostnames: ["home.example.com"] };

Deno.test("cloudflare config: the defaults", async () => {
  const { p, errors, warnings } = await read(BASE);
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings, []);
  assert.equal(p.kind, "cloudflare");
  assert.equal(p.name, "cloudflare");
  assert.equal(p.password, TOKEN);
  assert.deepEqual(p.hostnames, ["home.example.com"]);
  assert.equal(p.zone, null);
  assert.equal(p.server, API_BASE);
  assert.deepEqual(p.families, ["ipv4"]);
  assert.equal(p.intervalMs, 5 * 60_000);
  assert.equal(p.userAgentContact, CONTACT);
  assert.match(p.passwordSource, /^token inline in the config: 39 characters/);
  // The state file's key and the fingerprint never hold the token.
  assert.ok(!p.key.includes(TOKEN) && !p.fingerprint.includes(TOKEN));
  assert.match(p.key, /^cloudflare https:\/\/api\.cloudflare\.com\/client\/v4 token [0-9a-f]{32}$/);
});

Deno.test("cloudflare config: the token from a file or the environment, as for a password", async () => {
  const file = await read({ tokenFile: TOKEN_FILE, hostnames: BASE.hostnames });
  assert.deepEqual(file.errors, []);
  assert.equal(file.p.password, TOKEN);
  assert.match(file.p.passwordSource, /cloudflare\.token: first line/);
  const env = await read({ tokenEnv: "DNSBEAT_CF_TOKEN", hostnames: BASE.hostnames });
  assert.deepEqual(env.errors, []);
  assert.equal(env.p.password, TOKEN);
  // Same token, same account: the key does not depend on where the token came from.
  assert.equal(env.p.key, file.p.key);
  const both = await read({
    token: TOKEN,
    tokenEnv: "DNSBEAT_CF_TOKEN",
    hostnames: ["a.example.com"],
  });
  assert.match(both.errors.join("\n"), /expected exactly one of "token", "tokenFile", "tokenEnv"/);
  const none = await read({ hostnames: ["a.example.com"] });
  assert.match(none.errors.join("\n"), /found none/);
  const badEnv = await read({ tokenEnv: "HOME", hostnames: ["a.example.com"] });
  assert.match(badEnv.errors.join("\n"), /starting with DNSBEAT_/);
});

Deno.test("cloudflare config: an inline token in a config every user can read is a warning", async () => {
  const open = await read(BASE, deps(0o644));
  assert.match(
    open.warnings.join("\n"),
    /providers\[0\]\.token: .*holds this token inline; run: chmod 600/,
  );
  const file = await read({ tokenFile: TOKEN_FILE, hostnames: BASE.hostnames }, deps(0o600, true));
  assert.match(file.warnings.join("\n"), /can be read by every user/);
});

Deno.test("cloudflare config: zone by name or id; hostnames in it, of two labels or more", async () => {
  const named = await read({ ...BASE, zone: "Example.com", families: "both", name: "home" });
  assert.deepEqual(named.errors, []);
  assert.equal(named.p.zone, "example.com");
  assert.deepEqual(named.p.families, ["ipv4", "ipv6"]);
  const id = await read({ ...BASE, zone: ZONE_ID });
  assert.deepEqual(id.errors, []);
  assert.equal(id.p.zone, ZONE_ID);
  const outside = await read({ ...BASE, zone: "example.org" });
  assert.match(
    outside.errors.join("\n"),
    /hostnames\[0\]: "home\.example\.com" is not in the zone example\.org/,
  );
  const single = await read({ token: TOKEN, hostnames: ["localhost"] });
  assert.match(single.errors.join("\n"), /hostnames\[0\]: "localhost" is not a name in a zone/);
  const url = await read({ token: TOKEN, hostnames: ["https://home.example.com/"] });
  assert.match(url.errors.join("\n"), /is a URL/);
  const object = await read({ token: TOKEN, hostnames: [{ hostname: "a.example.com" }] });
  assert.match(object.errors.join("\n"), /plain name/);
  const badZone = await read({ ...BASE, zone: "com" });
  assert.match(badZone.errors.join("\n"), /zone: "com" is not a zone/);
});

Deno.test("cloudflare config: ttl and proxied are left to the dashboard; unknown fields named", async () => {
  const { errors } = await read({ ...BASE, ttl: 1, proxied: true, pasword: "x" });
  const text = errors.join("\n");
  assert.match(
    text,
    /providers\[0\]\.ttl: dnsbeat changes only the record's address; its TTL stays/,
  );
  assert.match(text, /providers\[0\]\.proxied: .*proxy status stays/);
  assert.match(text, /providers\[0\]\.pasword: unknown field/);
  assert.doesNotMatch(text, /ttl: unknown field/);
});

Deno.test("cloudflare config: a token with a blank is refused without being shown", async () => {
  const { errors } = await read({ token: "abc def-secret", hostnames: ["a.example.com"] });
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /not printable ASCII/);
  assert.ok(!errors[0]!.includes("def-secret"));
});

Deno.test("cloudflare config: the fingerprint changes with the token, the zone and the hosts", async () => {
  const base = (await read(BASE)).p.fingerprint;
  const others = [
    { ...BASE, token: `${TOKEN}x` },
    { ...BASE, zone: "example.com" },
    { ...BASE, hostnames: ["other.example.com"] },
  ];
  for (const entry of others) assert.notEqual((await read(entry)).p.fingerprint, base);
  // Order of hostnames does not matter; the name does not either.
  const two = (await read({ token: TOKEN, hostnames: ["a.example.com", "b.example.com"] })).p;
  const swapped =
    (await read({ token: TOKEN, hostnames: ["b.example.com", "a.example.com"], name: "x" })).p;
  assert.equal(two.fingerprint, swapped.fingerprint);
  assert.equal(two.key, swapped.key);
});
