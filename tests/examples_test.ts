/** The example configs the README links to are valid: `dnsbeat check` accepts each. */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { dnsbeat } from "./helpers/sandbox.ts";
import { tempDir } from "./helpers/temp_dir.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const env = {
  DNSBEAT_NOIP_PASSWORD: "example-noip-password",
  DNSBEAT_DYNAMIP_PASSWORD: "example-dynamip-password",
};

for (const name of ["noip", "dynamip", "both", "notify", "router"]) {
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
