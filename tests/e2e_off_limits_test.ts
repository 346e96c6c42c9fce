/**
 * While a provider is stopped, no address detection asks its server's host (No-IP: "the client
 * must not ... use our IP detection system" after an error). Black-box: `main.ts` with the
 * shipped flags, two emulators on 127.0.0.1, the requests counted at each.
 *
 * @module
 */
import assert from "node:assert/strict";
import { systemClock } from "../lib/clock.ts";
import { startEmulator } from "../lib/emulator/mod.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import { ECHO_IP, sandbox } from "./helpers/sandbox.ts";

Deno.test("a stopped provider's server is not asked for the address by the others", async () => {
  const s = await sandbox();
  const other = await startEmulator({
    clock: systemClock(),
    port: 0,
    accounts: {
      noip: [{
        username: "other@example.com",
        password: "other-pw",
        hosts: ["c.ddns.net"],
        groups: {},
        donator: false,
      }],
      dynamip: [],
      echoIp: { ipv4: ECHO_IP, ipv6: null },
    },
  });
  const asked = (url: string) =>
    (url === s.server.url ? s.server : other).emulator.requests.filter((r) => r.provider === "ip")
      .length;
  try {
    // Each service where the emulator serves it: Hurricane Electric's below a path of its own.
    const services = { noip: "", dyndns2: "", he: "/he", desec: "" };
    for (const [type, path] of Object.entries(services)) {
      await Deno.remove(s.state).catch(() => {});
      s.server.emulator.reset();
      other.emulator.reset();
      // `home` is refused at the sandbox's emulator; `away` updates at the other one. The sandbox's
      // emulator is also the first address source.
      await s.writeConfig([
        s.noip({
          type,
          password: "wrong",
          hostnames: ["a.ddns.net"],
          server: `${s.server.url}${path}`,
        }),
        {
          type: "noip",
          name: "away",
          username: "other@example.com",
          password: "other-pw",
          hostnames: ["c.ddns.net"],
          server: other.url,
        },
      ], { ipSources: [`${s.server.url}/ip`, `${other.url}/ip`] });
      const first = await s.run(["once"]);
      assert.equal(first.code, ExitCode.Stopped, first.stderr);
      assert.match(first.stderr, /badauth/);
      assert.equal(asked(s.server.url), 1, `${type}: asked before the stop`);
      const before = asked(other.url);
      for (const ip of ["81.2.69.160", "81.2.69.161"]) {
        s.server.emulator.setEchoIp(ip);
        other.emulator.setEchoIp(ip);
        const r = await s.run(["once", "--debug"]);
        assert.match(r.stdout + r.stderr, new RegExp(`c\\.ddns\\.net now points to ${ip}`));
      }
      assert.equal(asked(s.server.url), 1, `${type}: the stopped provider's server asked again`);
      assert.equal(asked(other.url), before + 2, `${type}: the other source served`);
      assert.equal(
        s.server.emulator.requests.filter((r) => r.provider === "noip").length,
        1,
        `${type}: one badauth, nothing after it`,
      );
    }
  } finally {
    await other.close();
    await s.close();
  }
});
