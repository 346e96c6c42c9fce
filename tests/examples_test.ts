/** The example configs the README links to are valid: `dnsbeat check` accepts each. */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { dnsbeat } from "./helpers/sandbox.ts";

const env = {
  DNSBEAT_NOIP_PASSWORD: "example-noip-password",
  DNSBEAT_DYNAMIP_PASSWORD: "example-dynamip-password",
};

for (const name of ["noip", "dynamip", "both", "notify", "router"]) {
  Deno.test(`examples/${name}.json passes dnsbeat check`, async () => {
    const dir = await Deno.makeTempDir();
    try {
      const path = new URL(`../examples/${name}.json`, import.meta.url).pathname;
      const r = await dnsbeat(["check", "--config", path, "--state", `${dir}/state.json`], { env });
      assert.equal(r.code, ExitCode.Ok, r.stderr);
      assert.match(r.stdout, /is valid/);
      for (const secret of Object.values(env)) assert.ok(!r.stdout.includes(secret));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
