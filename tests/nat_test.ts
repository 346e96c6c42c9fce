import assert from "node:assert/strict";
import { natMessage, natRange, natSight } from "../lib/net/nat.ts";

Deno.test("natSight: a private or carrier-grade NAT interface address and another public one", () => {
  assert.deepEqual(natSight("wan", "100.64.0.1", "81.2.69.160"), {
    iface: "wan",
    local: "100.64.0.1",
    range: "100.64.0.0/10",
    public: "81.2.69.160",
  });
  assert.deepEqual(natSight("eth0", "100.127.255.254", "81.2.69.160")?.range, "100.64.0.0/10");
  assert.equal(natSight("eth0", "100.128.0.1", "81.2.69.160"), null, "100.128/10 is public");
  for (
    const [local, range] of [
      ["10.1.2.3", "10.0.0.0/8"],
      ["172.31.0.9", "172.16.0.0/12"],
      ["192.168.178.20", "192.168.0.0/16"],
    ]
  ) {
    assert.equal(natSight("eth0", local!, "81.2.69.160")?.range, range);
  }
  // Not a NAT: the same address, a public interface, a loopback or link-local one, a non-public
  // "public" address, or another family.
  assert.equal(natSight("eth0", "81.2.69.160", "81.2.69.160"), null);
  assert.equal(natSight("eth0", "81.2.69.161", "81.2.69.160"), null);
  assert.equal(natSight("lo", "127.0.0.1", "81.2.69.160"), null);
  assert.equal(natSight("eth0", "169.254.1.1", "81.2.69.160"), null);
  assert.equal(natSight("eth0", "10.0.0.1", "192.168.1.1"), null);
  assert.equal(natSight("eth0", "10.0.0.1", "2a01:4f8::1"), null);
  assert.equal(natRange("100.64.0.0"), true);
  assert.equal(natRange("8.8.8.8"), false);
  assert.equal(natRange("not an address"), false);
});

Deno.test("natMessage: what it means and what to do, in words", () => {
  const cgnat = natMessage(natSight("pppoe-wan", "100.72.18.44", "81.2.69.160")!);
  assert.equal(
    cgnat,
    'Interface pppoe-wan has 100.72.18.44 while the Internet sees this network as 81.2.69.160: 100.72.18.44 is a carrier-grade NAT address (100.64.0.0/10), so the ISP shares 81.2.69.160 among many customers and connections from the Internet to your names do not reach this network. dnsbeat keeps the names updated all the same. To be reachable, ask the ISP for a public IPv4 address, or use IPv6 ("families": "ipv6" or "both").',
  );
  const behind = natMessage(natSight("eth0", "192.168.178.20", "81.2.69.160")!);
  assert.match(behind, /192\.168\.178\.20 is a private address \(192\.168\.0\.0\/16\)/);
  assert.match(behind, /port forwarding/);
  assert.match(behind, /ask it for a public IPv4 address, or use IPv6/);
});
