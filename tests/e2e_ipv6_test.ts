/**
 * Black-box: `main.ts` as a child process with the shipped permissions against the emulator on
 * 127.0.0.1, with an `ip` command of its own on `PATH` that prints recorded outputs of real
 * systems (tests/fixtures/ip): the interface's IPv6 address it chooses, and a WAN interface behind
 * carrier-grade NAT. Time is injected with DNSBEAT_NOW.
 */
import assert from "node:assert/strict";
import { MINUTE } from "../lib/config/duration.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import { FakeClock } from "./helpers/fake_clock.ts";
import { T0 } from "./helpers/fixtures.ts";
import { sandbox } from "./helpers/sandbox.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const PASSWORD = "e2e-Ipv6-Secret";
const FIXTURES = new URL("./fixtures/ip/", import.meta.url).pathname;

/**
 * An `ip` that answers `ARGS` with the file `answers[ARGS]`, and fails like BusyBox's for anything
 * else (as for `-j`).
 */
async function fakeIp(dir: string, answers: Record<string, string>): Promise<string> {
  const bin = `${dir}/bin`;
  await Deno.mkdir(bin, { recursive: true });
  const cases = Object.entries(answers).map(([args, file]) =>
    `  "${args}") cat '${FIXTURES}${file}' ;;`
  );
  await Deno.writeTextFile(
    `${bin}/ip`,
    [
      "#!/bin/sh",
      'case "$*" in',
      ...cases,
      '  *) echo "BusyBox v1.36.1 (2024-09-23 12:34:56 UTC) multi-call binary." >&2; exit 1 ;;',
      "esac",
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  return `${bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;
}

/**
 * A sandbox on a fake clock at T0 whose No-IP account has three hosts, its config one No-IP
 * provider `home` with `provider`, and `top` keys. `run` gives dnsbeat `path` as its `PATH`.
 */
async function setup(provider: Record<string, unknown>, top: Record<string, unknown>) {
  const s = await sandbox({
    clock: new FakeClock(T0),
    noipPassword: PASSWORD,
    noipHosts: ["a.ddns.net", "nas.ddns.net", "cam.ddns.net"],
    echoIpv6: "2a02:1810:4d02:9f00::1",
  });
  await s.writeConfig([s.noip(provider)], top);
  return {
    ...s,
    run: (args: string[], path: string, at = T0) => s.runAt(at, args, { env: { PATH: path } }),
    requests: () => s.server.emulator.requests.filter((r) => r.provider === "noip"),
  };
}

Deno.test("interface IPv6: the stable address of ip's list is sent, said why in check and --debug", async () => {
  await using t = await setup(
    { hostnames: ["a.ddns.net"], families: "ipv6" },
    { ipv6Sources: ["interface:wlan0"] },
  );
  const path = await fakeIp(t.dir, { "-j -6 addr show dev wlan0": "raspios-dhcpcd-wlan0.json" });
  const check = await t.run(["check"], path);
  assert.equal(check.code, ExitCode.Ok, check.stderr);
  assert.match(
    check.stdout,
    /\n {2}interface wlan0 \(read with ip -j\): 2003:e6:df17:4c00:9a6c:5e21:c04d:73b2, the stable SLAAC address; passed over 2003:e6:df17:4c00:b1e4:62a0:9d3c:1f58 \(temporary: privacy extensions replace it daily\)/,
  );
  const once = await t.run(["once", "--debug"], path);
  assert.equal(once.code, ExitCode.Ok, once.stderr);
  assert.match(
    once.stdout + once.stderr,
    /IPv6 detection: interface wlan0 \(read with ip -j\): 2003:e6:df17:4c00:9a6c:5e21:c04d:73b2, the stable SLAAC address/,
  );
  assert.equal(t.requests().length, 1);
  assert.equal(
    t.server.emulator.noipHost("a.ddns.net").ipv6,
    "2003:e6:df17:4c00:9a6c:5e21:c04d:73b2",
  );
  for (let i = 1; i <= 5; i++) {
    const again = await t.run(["once"], path, T0 + i * MINUTE);
    assert.equal(again.code, ExitCode.Ok, again.stderr);
  }
  assert.equal(t.requests().length, 1, "the same choice each time: nothing more sent");
  assertNoSecret([check.stdout, once.stderr], PASSWORD);
});

Deno.test("interface IPv6 without ip: check says the addresses came from the system's list, without flags", async () => {
  await using t = await setup(
    { hostnames: ["a.ddns.net"], families: "ipv6" },
    { ipv6Sources: ["interface:lo", "http://127.0.0.1:1/ip"] },
  );
  const check = await t.run(["check"], "/nonexistent");
  assert.equal(check.code, ExitCode.Ok, check.stderr);
  assert.match(
    check.stdout,
    /interface lo \(read with the system's interface list\): has no stable global IPv6 address: ::1 \(in ::1\/128\)/,
  );
});

Deno.test("carrier-grade NAT: said once in the log, in check and in status; the update goes on", async () => {
  await using t = await setup({ hostnames: ["a.ddns.net"] }, {});
  // The emulator's /ip after the WAN interface.
  await t.writeConfig([t.noip({ hostnames: ["a.ddns.net"] })], {
    ipSources: ["interface:pppoe-wan", `${t.server.url}/ip`],
  });
  const path = await fakeIp(t.dir, {
    "-4 addr show dev pppoe-wan": "openwrt-busybox-pppoe-wan-4.txt",
  });
  const said =
    /Interface pppoe-wan has 100\.72\.18\.44 while the Internet sees this network as 81\.2\.69\.142: 100\.72\.18\.44 is a carrier-grade NAT address \(100\.64\.0\.0\/10\), so the ISP shares 81\.2\.69\.142 among many customers and connections from the Internet to your names do not reach this network\. dnsbeat keeps the names updated all the same\. To be reachable, ask the ISP for a public IPv4 address, or use IPv6/g;
  const once = await t.run(["once"], path);
  assert.equal(once.code, ExitCode.Ok, once.stderr);
  const log = once.stdout + once.stderr;
  assert.equal(log.match(said)?.length, 1, log);
  assert.doesNotMatch(log, /ERROR/);
  assert.equal(t.requests().length, 1);
  assert.equal(t.server.emulator.noipHost("a.ddns.net").ip, "81.2.69.142");

  const check = await t.run(["check"], path, T0 + MINUTE);
  assert.equal(check.code, ExitCode.Ok);
  assert.equal(check.stdout.match(said)?.length, 1, check.stdout);
  const status = await t.run(["status"], path, T0 + MINUTE);
  assert.equal(status.code, ExitCode.Ok, status.stderr);
  assert.equal(status.stdout.match(said)?.length, 1, status.stdout);
  const json = JSON.parse((await t.run(["status", "--json"], path, T0 + MINUTE)).stdout);
  assert.equal(json.network.length, 1);
  assert.equal(t.requests().length, 1, "check and status send nothing");
});

Deno.test("devices behind: the detected prefix plus each host id; a new prefix one update each, else nothing", async () => {
  const devices = {
    families: "both",
    hostnames: ["a.ddns.net", { hostname: "nas.ddns.net", ipv6HostId: "::211:32ff:fe12:3456" }],
  };
  await using t = await setup(devices, {});
  await t.writeConfig([t.noip(devices)], {
    ipSources: [`${t.server.url}/ip`],
    ipv6Sources: [`${t.server.url}/ip?family=6`],
  });
  const path = Deno.env.get("PATH") ?? "/usr/bin:/bin";
  const check = await t.run(["check"], path);
  assert.equal(check.code, ExitCode.Ok, check.stderr);
  assert.match(
    check.stdout,
    /\n {2}nas\.ddns\.net: IPv6 address = the detected \/64 prefix \+ ::211:32ff:fe12:3456/,
  );
  const first = await t.run(["once"], path);
  assert.equal(first.code, ExitCode.Ok, first.stdout + first.stderr);
  assert.equal(t.requests().length, 2, "one request per address");
  assert.equal(t.server.emulator.noipHost("a.ddns.net").ipv6, "2a02:1810:4d02:9f00::1");
  assert.equal(
    t.server.emulator.noipHost("nas.ddns.net").ipv6,
    "2a02:1810:4d02:9f00:211:32ff:fe12:3456",
  );
  for (let i = 1; i <= 5; i++) await t.run(["once"], path, T0 + i * MINUTE);
  assert.equal(t.requests().length, 2, "nothing changed: nothing sent");
  // This machine's own interface id changes, the prefix does not: only its name is sent.
  t.server.emulator.setEchoIp(undefined, "2a02:1810:4d02:9f00::2");
  for (let i = 6; i <= 8; i++) await t.run(["once"], path, T0 + i * MINUTE);
  assert.deepEqual(t.requests().slice(2).map((r) => r.hosts), [["a.ddns.net"]]);
  // A new prefix: one update for each, then nothing.
  t.server.emulator.setEchoIp(undefined, "2a02:1810:4d02:7a00::2");
  for (let i = 9; i <= 12; i++) await t.run(["once"], path, T0 + i * MINUTE);
  assert.deepEqual(t.requests().slice(3).map((r) => r.hosts), [["a.ddns.net"], [
    "nas.ddns.net",
  ]]);
  assert.equal(
    t.server.emulator.noipHost("nas.ddns.net").ipv6,
    "2a02:1810:4d02:7a00:211:32ff:fe12:3456",
  );
  assert.equal(t.server.emulator.noipHost("nas.ddns.net").ipv4, "81.2.69.142");
  const status = JSON.parse((await t.run(["status", "--json"], path, T0 + 13 * MINUTE)).stdout);
  assert.deepEqual(status.providers[0].hosts[1].sent, [
    "81.2.69.142",
    "2a02:1810:4d02:7a00:211:32ff:fe12:3456",
  ]);
});

Deno.test("devices behind: a host id with prefix bits is refused at start, naming the field", async () => {
  await using t = await setup(
    { families: "both", hostnames: [{ hostname: "nas.ddns.net", ipv6HostId: "2a01:4f8::1" }] },
    {},
  );
  const r = await t.run(["once"], Deno.env.get("PATH") ?? "/usr/bin:/bin");
  assert.equal(r.code, ExitCode.Usage);
  assert.match(
    r.stderr,
    /providers\[0\]\.hostnames\[0\]\.ipv6HostId: "2a01:4f8::1" has bits in the first 64 \(the prefix's part\); write only the device's own part/,
  );
  assert.equal(t.requests().length, 0);
});
