/**
 * The IPv6 address of an interface, chosen from what `ip` prints on real systems
 * (tests/fixtures/ip): iproute2's JSON (Debian, Raspberry Pi OS) and BusyBox's text (OpenWrt).
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { type IfaceAddress, parseIpJson, parseIpText, pickIpv6 } from "../lib/net/iface_addrs.ts";
import { type IpRun, readInterface, type RunIp, systemIp } from "../lib/net/iface_read.ts";

const FIXTURES = new URL("./fixtures/ip/", import.meta.url);
const fixture = (name: string) => Deno.readTextFileSync(new URL(name, FIXTURES));

function json6(name: string): IfaceAddress[] {
  const parsed = parseIpJson(fixture(name), "ipv6");
  assert.ok(parsed !== null, `${name} parses`);
  return parsed;
}

function text(name: string, family: "ipv4" | "ipv6" = "ipv6"): IfaceAddress[] {
  const parsed = parseIpText(fixture(name), family);
  assert.ok(parsed !== null, `${name} parses`);
  return parsed;
}

function chosen(addresses: IfaceAddress[], previous: string[] = []): string {
  const pick = pickIpv6(addresses, previous, null);
  assert.ok(pick.kind === "chosen", JSON.stringify(pick));
  return pick.ip;
}

Deno.test("parseIpJson: Debian with privacy extensions, every address with its flags", () => {
  const all = json6("debian12-enp3s0.json");
  assert.deepEqual(all.map((a) => [a.address, a.prefixLength, a.scope, a.preferredSeconds]), [
    ["2a02:8071:5e80:1a20:8c3e:9d1f:4b27:e611", 64, "global", 85934],
    ["2a02:8071:5e80:1a20:41d7:b2c9:7e05:93aa", 64, "global", 0],
    ["2a02:8071:5e80:1a20:5054:ff:fe3a:7b1c", 64, "global", 604734],
    ["fd4c:9a1e:33b0:1:5054:ff:fe3a:7b1c", 64, "global", 604734],
    ["fe80::5054:ff:fe3a:7b1c", 64, "link", null],
  ]);
  assert.deepEqual(all[1]!.flags, ["temporary", "deprecated", "dynamic"]);
  assert.deepEqual(all[2]!.flags, ["dynamic", "mngtmpaddr"]);
  assert.deepEqual(parseIpJson(fixture("debian12-enp3s0.json"), "ipv4"), []);
});

Deno.test("pickIpv6: Debian: the stable mngtmpaddr, never a temporary or deprecated one", () => {
  const all = json6("debian12-enp3s0.json");
  const pick = pickIpv6(all, [], null);
  assert.deepEqual(pick, {
    kind: "chosen",
    ip: "2a02:8071:5e80:1a20:5054:ff:fe3a:7b1c",
    why:
      "the stable SLAAC address; passed over 2a02:8071:5e80:1a20:8c3e:9d1f:4b27:e611 (temporary: privacy extensions replace it daily), 2a02:8071:5e80:1a20:41d7:b2c9:7e05:93aa (temporary: privacy extensions replace it daily), fd4c:9a1e:33b0:1:5054:ff:fe3a:7b1c (in fc00::/7), fe80::5054:ff:fe3a:7b1c (in fe80::/10)",
  });
  // A temporary address sent by an older dnsbeat is no reason to keep it.
  assert.equal(
    chosen(all, ["2a02:8071:5e80:1a20:8c3e:9d1f:4b27:e611"]),
    "2a02:8071:5e80:1a20:5054:ff:fe3a:7b1c",
  );
});

Deno.test("pickIpv6: Raspberry Pi OS with dhcpcd: the choice of last time stays while fit", () => {
  const all = json6("raspios-dhcpcd-wlan0.json");
  assert.equal(chosen(all), "2003:e6:df17:4c00:9a6c:5e21:c04d:73b2");
  // The DHCPv6 address sent last time is still there and preferred: it stays.
  const again = pickIpv6(all, ["81.2.69.142", "2003:e6:df17:4c00::1c7"], null);
  assert.ok(again.kind === "chosen");
  assert.equal(again.ip, "2003:e6:df17:4c00::1c7");
  assert.match(again.why, /^the address sent last time, still there; passed over /);
  // The one sent last time is deprecated now (the prefix changed): the stable one of the new.
  assert.equal(chosen(all, ["2003:e6:df09:8a00::1c7"]), "2003:e6:df17:4c00:9a6c:5e21:c04d:73b2");
  // Gone entirely: the same.
  assert.equal(chosen(all, ["2003:e6:aaaa::1"]), "2003:e6:df17:4c00:9a6c:5e21:c04d:73b2");
});

Deno.test("parseIpText: OpenWrt's BusyBox ip, the delegated prefix after a change", () => {
  const all = text("openwrt-busybox-br-lan.txt");
  assert.deepEqual(all, [
    {
      address: "2a01:c23:7c4d:9e10::1",
      prefixLength: 60,
      scope: "global",
      flags: ["dynamic"],
      preferredSeconds: 3358,
    },
    {
      address: "2a01:c23:7c2f:1b00::1",
      prefixLength: 60,
      scope: "global",
      flags: ["deprecated", "dynamic"],
      preferredSeconds: 0,
    },
    {
      address: "fd7a:51c2:9e4b::1",
      prefixLength: 60,
      scope: "global",
      flags: [],
      preferredSeconds: null,
    },
    {
      address: "fe80::9683:c4ff:fe12:ab33",
      prefixLength: 64,
      scope: "link",
      flags: [],
      preferredSeconds: null,
    },
  ]);
  // The old prefix was sent last time: the new one wins, as it must.
  assert.equal(chosen(all, ["2a01:c23:7c2f:1b00::1"]), "2a01:c23:7c4d:9e10::1");
});

Deno.test("parseIpText: BusyBox's temporary address is 'secondary', and is passed over", () => {
  const busybox = [
    "3: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel qlen 1000",
    "    inet6 2a01:c23:7c4d:9e10:3d2a:17c9:8e44:b5f1/64 scope global secondary dynamic ",
    "       valid_lft 6958sec preferred_lft 3358sec",
    "    inet6 2a01:c23:7c4d:9e10:211:32ff:fe12:3456/64 scope global dynamic ",
    "       valid_lft 6958sec preferred_lft 3358sec",
  ].join("\n");
  const all = parseIpText(busybox, "ipv6")!;
  assert.deepEqual(all[0]!.flags, ["secondary", "dynamic"]);
  assert.equal(chosen(all), "2a01:c23:7c4d:9e10:211:32ff:fe12:3456");
});

Deno.test("parseIpText and parseIpJson read the same addresses from one machine", () => {
  const fromJson = json6("debian12-container-eth0.json");
  assert.deepEqual(text("debian12-container-eth0.txt"), fromJson);
  assert.deepEqual(fromJson.map((a) => a.flags), [["nodad"], []]);
  // Only a ULA and a link-local address: none fit, and each is named with its range.
  assert.deepEqual(pickIpv6(fromJson, [], null), {
    kind: "none",
    problem:
      "has no stable global IPv6 address: fd00::2 (in fc00::/7), fe80::fc:ff:fe00:1 (in fe80::/10)",
  });
  assert.deepEqual(pickIpv6([], [], null), { kind: "none", problem: "has no IPv6 address" });
});

Deno.test("parseIpText: IPv4 with a peer (PPPoE) and a label; not ip output at all", () => {
  assert.deepEqual(text("openwrt-busybox-pppoe-wan-4.txt", "ipv4"), [{
    address: "100.72.18.44",
    prefixLength: 32,
    scope: "global",
    flags: [],
    preferredSeconds: null,
  }]);
  assert.deepEqual(parseIpText(fixture("openwrt-busybox-pppoe-wan-4.txt"), "ipv6"), []);
  assert.equal(parseIpText(fixture("openwrt-busybox-j-usage.txt"), "ipv6"), null);
  assert.equal(parseIpJson(fixture("openwrt-busybox-j-usage.txt"), "ipv6"), null);
  assert.equal(parseIpJson('{"not": "a list"}', "ipv6"), null);
  assert.deepEqual(parseIpText("", "ipv6"), []);
});

Deno.test("pickIpv6: tentative, failed, 6to4, Teredo and zero-lifetime addresses never", () => {
  const a = (address: string, flags: string[] = [], preferredSeconds: number | null = null) => ({
    address,
    prefixLength: 64,
    scope: "global",
    flags,
    preferredSeconds,
  });
  const pick = pickIpv6(
    [
      a("2a01:4f8::1", ["tentative"]),
      a("2a01:4f8::2", ["dadfailed", "tentative"]),
      a("2002:c000:204::1"),
      a("2001:0:53aa:64c::1"),
      a("2a01:4f8::3", ["dynamic"], 0),
      a("2a01:4f8::4", ["dynamic"]),
    ],
    [],
    null,
  );
  assert.ok(pick.kind === "chosen");
  assert.equal(pick.ip, "2a01:4f8::4");
  assert.match(pick.why, /2a01:4f8::1 \(tentative: /);
  assert.match(pick.why, /2a01:4f8::2 \(duplicate address detection failed\)/);
  assert.match(pick.why, /2002:c000:204::1 \(in 2002::\/16\)/);
  assert.match(pick.why, /2001:0:53aa:64c::1 \(in 2001::\/32\)/);
  assert.match(pick.why, /2a01:4f8::3 \(deprecated: on its way out\)/);
});

/** An `ip` that answers from fixtures by its arguments, and records them. */
function fakeIp(answers: Record<string, IpRun>): RunIp & { calls: string[] } {
  const calls: string[] = [];
  const run = (args: readonly string[]): Promise<IpRun> => {
    const key = args.join(" ");
    calls.push(key);
    return Promise.resolve(answers[key] ?? { ok: false, problem: `"ip" failed: ${key}` });
  };
  return Object.assign(run, { calls });
}

Deno.test("readInterface: ip -j, else ip's text (BusyBox), else the system's list, saying why", async () => {
  const noList = () => [];
  const iproute2 = fakeIp({
    "-j -6 addr show dev enp3s0": { ok: true, stdout: fixture("debian12-enp3s0.json") },
  });
  const full = await readInterface("enp3s0", "ipv6", { ip: iproute2, networkInterfaces: noList });
  assert.ok(full.kind === "flags" && full.via === "ip -j" && full.addresses.length === 5);

  const busybox = fakeIp({
    "-j -6 addr show dev br-lan": { ok: false, problem: `"ip" failed: BusyBox v1.36.1` },
    "-6 addr show dev br-lan": { ok: true, stdout: fixture("openwrt-busybox-br-lan.txt") },
  });
  const text = await readInterface("br-lan", "ipv6", { ip: busybox, networkInterfaces: noList });
  assert.ok(text.kind === "flags" && text.via === "ip" && text.addresses.length === 4);
  assert.deepEqual(busybox.calls, ["-j -6 addr show dev br-lan", "-6 addr show dev br-lan"]);

  const nic: Deno.NetworkInterfaceInfo = {
    name: "eth0",
    family: "IPv6",
    address: "2a01:4f8::9",
    netmask: "ffff:ffff:ffff:ffff::",
    scopeid: 0,
    cidr: "2a01:4f8::9/64",
    mac: "00:11:22:33:44:55",
  };
  const broken = fakeIp({});
  const plain = await readInterface("eth0", "ipv6", {
    ip: broken,
    networkInterfaces: () => [nic],
  });
  assert.deepEqual(plain, {
    kind: "plain",
    why: '"ip" failed: -6 addr show dev eth0',
    addresses: [{
      address: "2a01:4f8::9",
      prefixLength: 64,
      scope: null,
      flags: [],
      preferredSeconds: null,
    }],
  });
  const none = await readInterface("eth0", "ipv6", { networkInterfaces: () => [nic] });
  assert.ok(none.kind === "plain" && none.why === 'no "ip" command');
  assert.deepEqual(await readInterface("wlan0", "ipv6", { networkInterfaces: () => [nic] }), {
    kind: "problem",
    problem: 'no network interface named "wlan0" (there are: eth0)',
  });
});

Deno.test("readInterface: the real ip on this machine reads the loopback interface", async () => {
  const read = await readInterface("lo", "ipv4", {
    ip: systemIp,
    networkInterfaces: () => Deno.networkInterfaces(),
  });
  assert.ok(read.kind !== "problem");
  assert.ok(read.addresses.some((a) => a.address === "127.0.0.1"), JSON.stringify(read));
  const missing = await systemIp(["-j", "-6", "addr", "show", "dev", "no-such-interface"]);
  assert.equal(missing.ok, false);
});

Deno.test("pickIpv6 property: never an unfit address; the previous one whenever it is fit", () => {
  const flags = fc.subarray([
    "temporary",
    "deprecated",
    "tentative",
    "dadfailed",
    "mngtmpaddr",
    "dynamic",
  ]);
  const address = fc.record({
    address: fc.constantFrom(
      "2a02:8071:5e80:1a20::1",
      "2a02:8071:5e80:1a20::2",
      "2a02:8071:5e80:1a20::3",
      "fd00::1",
      "fe80::1",
      "2002:c000:204::1",
      "2001:0:53aa:64c::1",
    ),
    prefixLength: fc.constantFrom(64, 128),
    scope: fc.constantFrom("global", "link", null),
    flags,
    preferredSeconds: fc.option(fc.constantFrom(0, 3358, 604734)),
  });
  const fit = (a: IfaceAddress) =>
    a.address.startsWith("2a02:") && a.scope !== "link" && a.preferredSeconds !== 0 &&
    !a.flags.some((f) => ["temporary", "deprecated", "tentative", "dadfailed"].includes(f));
  fc.assert(
    fc.property(
      fc.array(address, { maxLength: 6 }),
      fc.array(fc.constantFrom<string>("2a02:8071:5e80:1a20::2", "fd00::1"), { maxLength: 2 }),
      (all, previous) => {
        const pick = pickIpv6(all, previous, null);
        if (pick.kind === "none") return !all.some(fit);
        const chosen = all.filter((a) => a.address === pick.ip);
        if (!chosen.some(fit)) return false;
        const again = all.find((a) => fit(a) && previous.includes(a.address));
        return again === undefined || pick.ip === again.address;
      },
    ),
    { numRuns: 500 },
  );
});
