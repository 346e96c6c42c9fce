/**
 * A `custom` provider's config (`lib/providers/custom/config.ts`), and a built-in service given as
 * a fixed record through the same reader: each problem names its field, never a secret.
 */
import assert from "node:assert/strict";
import type { ConfigDeps } from "../lib/config/mod.ts";
import { Validator } from "../lib/config/validate.ts";
import { parseCustom, readUrlProvider } from "../lib/providers/custom/config.ts";
import type { UrlService } from "../lib/providers/custom/service.ts";

const TOKEN = "Sec-ret-T0ken-42";
const deps: ConfigDeps = {
  readSecretFile: (path) =>
    path === "/etc/dnsbeat/t"
      ? { text: `${TOKEN}\n`, worldReadable: false }
      : { error: "not found" },
  env: (name) => (name === "DNSBEAT_TOKEN" ? TOKEN : undefined),
  fileMode: () => 0o600,
};

const BASE = {
  type: "custom",
  url: "https://dyn.example.org/u?h={{hostname}}&ip={{ip}}&t={{token}}",
  success: "^OK",
  hostnames: ["home.example.org"],
};

async function read(entry: Record<string, unknown>) {
  const v = new Validator(deps, "/etc/dnsbeat/config.json");
  const p = await parseCustom(v, entry, "providers[0]", "ops@example.org");
  for (const text of [...v.errors, ...v.warnings]) assert.ok(!text.includes(TOKEN), text);
  return { p, errors: v.errors, warnings: v.warnings };
}

Deno.test("custom config: the token takes the password's three forms", async () => {
  for (
    const form of [{ token: TOKEN }, { tokenFile: "/etc/dnsbeat/t" }, { tokenEnv: "DNSBEAT_TOKEN" }]
  ) {
    const { p, errors } = await read({ ...BASE, ...form });
    assert.deepEqual(errors, []);
    assert.equal(p.token, TOKEN);
    assert.ok(p.tokenSource.startsWith("token"), p.tokenSource);
    assert.equal(p.configType, "custom");
    assert.equal(p.name, "custom");
  }
  const twice = await read({ ...BASE, token: TOKEN, tokenEnv: "DNSBEAT_TOKEN" });
  assert.match(twice.errors.join("\n"), /expected exactly one of "token", "tokenFile", "tokenEnv"/);
});

Deno.test("custom config: a placeholder without its value is an error; a value without one a warning", async () => {
  const none = await read(BASE);
  assert.match(none.errors.join("\n"), /providers\[0\]\.token: the request uses \{\{token\}\}/);
  const unused = await read({ ...BASE, token: TOKEN, password: "pw-unused" });
  assert.match(
    unused.warnings.join("\n"),
    /providers\[0\]\.password: given, but no \{\{password\}\}/,
  );
  const family = await read({
    ...BASE,
    token: TOKEN,
    url: "https://d.example.org/?a={{ipv4}}&t={{token}}",
    families: "both",
  });
  assert.match(family.errors.join("\n"), /providers\[0\]\.families: includes ipv6/);
});

Deno.test("custom config: every field's problem is named; unknown fields suggest the right one", async () => {
  const { errors } = await read({
    ...BASE,
    token: TOKEN,
    headers: ["X-Key"],
    sucess: "OK",
    url: `https://dyn.example.org/u?h={{hostname}}&k=${TOKEN}&x={{ipp}}`,
  });
  const text = errors.join("\n");
  assert.match(text, /providers\[0\]\.headers: expected an object/);
  assert.match(text, /providers\[0\]\.sucess.*success/);
  assert.match(text, /providers\[0\]\.url: unknown placeholder \{\{ipp\}\}/);
});

Deno.test("a built-in service: a fixed record, its users give only account and hostnames", async () => {
  const service: UrlService = {
    label: "Example DNS",
    url: "https://update.example.net/?domains={{hostname}}&token={{token}}&ip={{ip}}",
    success: "^OK",
    hostList: ",",
    detection: ["example.net"],
    docs: "https://example.net/docs",
  };
  const v = new Validator(deps, "/etc/dnsbeat/config.json");
  const p = await readUrlProvider(
    v,
    { type: "example", tokenEnv: "DNSBEAT_TOKEN", hostnames: ["a.example.net"], url: "https://x/" },
    "providers[0]",
    "ops@example.org",
    service,
    "example",
  );
  assert.deepEqual(v.errors.length, 1, v.errors.join("\n"));
  assert.match(
    v.errors[0]!,
    /providers\[0\]\.url/,
    "a built-in service's request is not the user's",
  );
  assert.equal(p.configType, "example");
  assert.equal(p.name, "example");
  assert.equal(p.wire.hostList, ",");
  assert.equal(p.server, "https://update.example.net");
});
