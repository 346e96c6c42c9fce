/** The example configs the README links to are valid: `dnsbeat check` accepts each. */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { dnsbeat } from "./helpers/sandbox.ts";
import { tempDir } from "./helpers/temp_dir.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const env = {
  DNSBEAT_NOIP_PASSWORD: "example-noip-password",
  DNSBEAT_DYNAMIP_PASSWORD: "example-dynamip-password",
  DNSBEAT_DUCKDNS_TOKEN: "example-duckdns-token",
  DNSBEAT_DYN_PASSWORD: "example-dyn-password",
  DNSBEAT_API_TOKEN: "example-api-token",
  DNSBEAT_HE_KEY: "example-he-key",
  DNSBEAT_DESEC_TOKEN: "example-desec-token",
  DNSBEAT_FREEDNS_TOKEN: "example-freedns-token",
  DNSBEAT_DYNV6_TOKEN: "example-dynv6-token",
  DNSBEAT_DDNSS_KEY: "example-ddnss-key",
};

for (const name of ["noip", "dynamip", "both", "notify", "router", "custom", "services"]) {
  Deno.test(`examples/${name}.json passes dnsbeat check`, async () => {
    await using tmp = await tempDir("test");
    const dir = tmp.path;
    const path = new URL(`../examples/${name}.json`, import.meta.url).pathname;
    const r = await dnsbeat(["check", "--config", path, "--state", `${dir}/state.json`], { env });
    assert.equal(r.code, ExitCode.Ok, r.stderr);
    assert.match(r.stdout, /is valid/);
    assertNoSecret(r.stdout, Object.values(env));
  });
}
