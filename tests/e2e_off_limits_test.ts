/**
 * While a provider is stopped, no address detection asks its server's host (No-IP: "the client
 * must not ... use our IP detection system" after an error). Black-box: `main.ts` with the
 * shipped flags, two emulators on 127.0.0.1, the requests counted at each.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { sandbox } from "./helpers/sandbox.ts";

Deno.test("a stopped provider's server is not asked for the address by the others", async () => {
  await using s = await sandbox();
  // A second DynDNS2 server, with its own account.
  await using other = await sandbox({ noipPassword: "other-pw", noipHosts: ["c.ddns.net"] });
  const asked = (url: string) =>
    (url === s.server.url ? s.server : other.server).emulator.requests.filter((r) =>
      r.provider === "ip"
    )
      .length;
  // Each service where the emulator serves it: Hurricane Electric's below a path of its own.
  const services = { noip: "", dyndns2: "", he: "/he", desec: "" };
  for (const [type, path] of Object.entries(services)) {
    await Deno.remove(s.state).catch(() => {});
    s.server.emulator.reset();
    other.server.emulator.reset();
    // `home` is refused at the sandbox's emulator; `away` updates at the other one. The sandbox's
    // emulator is also the first address source.
    await s.writeConfig([
      s.noip({
        type,
        password: "wrong",
        hostnames: ["a.ddns.net"],
        server: `${s.server.url}${path}`,
      }),
      other.noip({ name: "away", hostnames: ["c.ddns.net"] }),
    ], { ipSources: [`${s.server.url}/ip`, `${other.server.url}/ip`] });
    const first = await s.run(["once"]);
    assert.equal(first.code, ExitCode.Stopped, first.stderr);
    assert.match(first.stderr, /badauth/);
    assert.equal(asked(s.server.url), 1, `${type}: asked before the stop`);
    const before = asked(other.server.url);
    for (const ip of ["81.2.69.160", "81.2.69.161"]) {
      s.server.emulator.setEchoIp(ip);
      other.server.emulator.setEchoIp(ip);
      const r = await s.run(["once", "--debug"]);
      assert.match(r.stdout + r.stderr, new RegExp(`c\\.ddns\\.net now points to ${ip}`));
    }
    assert.equal(asked(s.server.url), 1, `${type}: the stopped provider's server asked again`);
    assert.equal(asked(other.server.url), before + 2, `${type}: the other source served`);
    assert.equal(
      s.server.emulator.requests.filter((r) => r.provider === "noip").length,
      1,
      `${type}: one badauth, nothing after it`,
    );
  }
});

Deno.test("a stopped one-URL service's server is not asked for the address by the others", async () => {
  await using s = await sandbox();
  await using other = await sandbox({ noipPassword: "other-pw", noipHosts: ["c.ddns.net"] });
  const ipAsked = (box: typeof s) =>
    box.server.emulator.requests.filter((r) => r.provider === "ip").length;
  // Each built-in one-URL service, its request sent to the sandbox's emulator (`server`).
  const services = {
    duckdns: "a.duckdns.org",
    freedns: "a.mooo.com",
    dynv6: "a.dynv6.net",
    ddnss: "a.ddnss.de",
  };
  for (const [type, host] of Object.entries(services)) {
    await Deno.remove(s.state).catch(() => {});
    s.server.emulator.reset();
    other.server.emulator.reset();
    // `home`'s token is refused at the sandbox's emulator, also the first address source; `away`
    // updates at the other one.
    await s.writeConfig([
      { type, name: "home", token: "wrong-token-123", hostnames: [host], server: s.server.url },
      other.noip({ name: "away", hostnames: ["c.ddns.net"] }),
    ], { ipSources: [`${s.server.url}/ip`, `${other.server.url}/ip`] });
    const first = await s.run(["once"]);
    assert.equal(first.code, ExitCode.Stopped, first.stderr);
    assert.equal(ipAsked(s), 1, `${type}: asked before the stop`);
    const before = ipAsked(other);
    for (const ip of ["81.2.69.160", "81.2.69.161"]) {
      s.server.emulator.setEchoIp(ip);
      other.server.emulator.setEchoIp(ip);
      const r = await s.run(["once", "--debug"]);
      assert.match(r.stdout + r.stderr, new RegExp(`c\\.ddns\\.net now points to ${ip}`));
    }
    assert.equal(ipAsked(s), 1, `${type}: the stopped provider's server asked again`);
    assert.equal(ipAsked(other), before + 2, `${type}: the other source served`);
    assert.equal(
      s.server.emulator.requests.filter((r) => r.provider === "custom").length,
      1,
      `${type}: one refusal, nothing after it`,
    );
  }
});
