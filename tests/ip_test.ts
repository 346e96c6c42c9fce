import assert from "node:assert/strict";
import fc from "fast-check";
import { classifyIp, parseIp } from "../lib/net/ip.ts";

Deno.test("parseIp: valid addresses in canonical form", () => {
  const cases: [string, "ipv4" | "ipv6", string][] = [
    ["0.0.0.0", "ipv4", "0.0.0.0"],
    ["1.2.3.4", "ipv4", "1.2.3.4"],
    ["255.255.255.255", "ipv4", "255.255.255.255"],
    ["::", "ipv6", "::"],
    ["::1", "ipv6", "::1"],
    ["1::", "ipv6", "1::"],
    ["2001:0db8::0001", "ipv6", "2001:db8::1"],
    ["2001:DB8::AbC", "ipv6", "2001:db8::abc"],
    ["2001:db8:0:0:1:0:0:1", "ipv6", "2001:db8::1:0:0:1"],
    ["2001:0:0:1:0:0:1:1", "ipv6", "2001::1:0:0:1:1"],
    ["2001:db8:0:0:1:0:0:0", "ipv6", "2001:db8:0:0:1::"],
    ["2001:db8:0:1:1:1:1:1", "ipv6", "2001:db8:0:1:1:1:1:1"],
    ["1:2:3:4:5:6:7::", "ipv6", "1:2:3:4:5:6:7:0"],
    ["::2:3:4:5:6:7:8", "ipv6", "0:2:3:4:5:6:7:8"],
    ["0:0:0:0:0:0:0:0", "ipv6", "::"],
    ["::ffff:1.2.3.4", "ipv6", "::ffff:1.2.3.4"],
    ["::ffff:0102:0304", "ipv6", "::ffff:1.2.3.4"],
    ["64:ff9b::192.0.2.33", "ipv6", "64:ff9b::c000:221"],
    ["1:2:3:4:5:6:1.2.3.4", "ipv6", "1:2:3:4:5:6:102:304"],
  ];
  for (const [text, family, address] of cases) {
    assert.deepEqual(parseIp(text), { family, address }, text);
  }
});

Deno.test("parseIp: rejects malformed text", () => {
  const bad = [
    "",
    " 1.2.3.4",
    "1.2.3.4 ",
    "1.2.3.4\n",
    "01.2.3.4",
    "1.2.3.00",
    "1.2.3.256",
    "1.2.3",
    "1.2.3.4.5",
    "1..2.3",
    "1.2.3.-1",
    "+1.2.3.4",
    "0x1.2.3.4",
    "１.2.3.4",
    "1.2.3.4/24",
    "fe80::1%eth0",
    "[::1]",
    ":",
    ":::",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "1::2::3",
    "12345::",
    "g::",
    ":1::",
    "1::1:",
    "::1.2.3",
    "1.2.3.4::",
    "::1.2.3.4:5",
    "::ffff:01.2.3.4",
    "1.2.3.4:5:6:7:8:9:10",
    "example.com",
  ];
  for (const text of bad) assert.equal(parseIp(text), null, JSON.stringify(text));
});

Deno.test("parseIp: IPv4 round trip for any 32-bit value", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      const text = [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join(".");
      assert.deepEqual(parseIp(text), { family: "ipv4", address: text });
    }),
  );
});

Deno.test("parseIp: IPv6 canonical form agrees with the WHATWG URL serializer", () => {
  // The URL serializer compresses like RFC 5952 but writes IPv4-mapped addresses in hex.
  const group = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
  fc.assert(
    fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
      fc.pre(!groups.slice(0, 5).every((g) => g === 0) || groups[5] !== 0xffff);
      const full = groups.map((g) => g.toString(16).padStart(4, "0").toUpperCase()).join(":");
      const expected = new URL(`http://[${full}]/`).hostname.slice(1, -1);
      const parsed = parseIp(full);
      assert.deepEqual(parsed, { family: "ipv6", address: expected });
      assert.deepEqual(parseIp(expected), parsed);
    }),
  );
});

const RANGE_TABLE: [string, string][] = [
  ["0.0.0.0", "0.0.0.0/8"],
  ["0.255.255.255", "0.0.0.0/8"],
  ["1.0.0.0", "public"],
  ["9.255.255.255", "public"],
  ["10.0.0.0", "10.0.0.0/8"],
  ["10.255.255.255", "10.0.0.0/8"],
  ["11.0.0.0", "public"],
  ["100.63.255.255", "public"],
  ["100.64.0.0", "100.64.0.0/10"],
  ["100.127.255.255", "100.64.0.0/10"],
  ["100.128.0.0", "public"],
  ["126.255.255.255", "public"],
  ["127.0.0.0", "127.0.0.0/8"],
  ["127.255.255.255", "127.0.0.0/8"],
  ["128.0.0.0", "public"],
  ["169.253.255.255", "public"],
  ["169.254.0.0", "169.254.0.0/16"],
  ["169.254.255.255", "169.254.0.0/16"],
  ["169.255.0.0", "public"],
  ["172.15.255.255", "public"],
  ["172.16.0.0", "172.16.0.0/12"],
  ["172.31.255.255", "172.16.0.0/12"],
  ["172.32.0.0", "public"],
  ["191.255.255.255", "public"],
  ["192.0.0.0", "192.0.0.0/24"],
  ["192.0.0.255", "192.0.0.0/24"],
  ["192.0.1.0", "public"],
  ["192.0.1.255", "public"],
  ["192.0.2.0", "192.0.2.0/24"],
  ["192.0.2.255", "192.0.2.0/24"],
  ["192.0.3.0", "public"],
  ["192.88.98.255", "public"],
  ["192.88.99.0", "192.88.99.0/24"],
  ["192.88.99.255", "192.88.99.0/24"],
  ["192.88.100.0", "public"],
  ["192.167.255.255", "public"],
  ["192.168.0.0", "192.168.0.0/16"],
  ["192.168.255.255", "192.168.0.0/16"],
  ["192.169.0.0", "public"],
  ["198.17.255.255", "public"],
  ["198.18.0.0", "198.18.0.0/15"],
  ["198.19.255.255", "198.18.0.0/15"],
  ["198.20.0.0", "public"],
  ["198.51.99.255", "public"],
  ["198.51.100.0", "198.51.100.0/24"],
  ["198.51.100.255", "198.51.100.0/24"],
  ["198.51.101.0", "public"],
  ["203.0.112.255", "public"],
  ["203.0.113.0", "203.0.113.0/24"],
  ["203.0.113.255", "203.0.113.0/24"],
  ["203.0.114.0", "public"],
  ["223.255.255.255", "public"],
  ["224.0.0.0", "224.0.0.0/4"],
  ["239.255.255.255", "224.0.0.0/4"],
  ["240.0.0.0", "240.0.0.0/4"],
  ["255.255.255.255", "240.0.0.0/4"],
  ["8.8.8.8", "public"],
  ["81.2.69.160", "public"],
  ["::", "::/128"],
  ["::1", "::1/128"],
  ["::2", "::/3"],
  ["::fffe:ffff:ffff", "::/3"],
  ["::ffff:0.0.0.0", "::ffff:0:0/96"],
  ["::ffff:255.255.255.255", "::ffff:0:0/96"],
  ["::1:0:0:0", "::/3"],
  ["64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", "::/3"],
  ["64:ff9b::", "64:ff9b::/96"],
  ["64:ff9b::ffff:ffff", "64:ff9b::/96"],
  ["64:ff9b::1:0:0", "::/3"],
  ["1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::/3"],
  ["2000::", "public"],
  ["2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "public"],
  ["2001::", "2001::/32"],
  ["2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "2001::/32"],
  ["2001:1::", "2001::/23"],
  ["2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "2001::/23"],
  ["2001:200::", "public"],
  ["2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "public"],
  ["2001:db8::", "2001:db8::/32"],
  ["2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::/32"],
  ["2001:db9::", "public"],
  ["2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "public"],
  ["2002::", "2002::/16"],
  ["2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2002::/16"],
  ["2003::", "public"],
  ["3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "public"],
  ["3fff::", "3fff::/20"],
  ["3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff::/20"],
  ["3fff:1000::", "public"],
  ["3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "public"],
  ["4000::", "4000::/2"],
  ["7fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "4000::/2"],
  ["8000::", "8000::/1"],
  ["fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "8000::/1"],
  ["fc00::", "fc00::/7"],
  ["fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fc00::/7"],
  ["fe00::", "8000::/1"],
  ["fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "8000::/1"],
  ["fe80::", "fe80::/10"],
  ["febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::/10"],
  ["fec0::", "8000::/1"],
  ["feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "8000::/1"],
  ["ff00::", "ff00::/8"],
  ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ff00::/8"],
  ["2606:4700:4700::1111", "public"],
  ["2a01:4f8::1", "public"],
];

Deno.test("classifyIp: every range boundary, first and last inside, neighbours outside", () => {
  for (const [text, expected] of RANGE_TABLE) {
    const ip = parseIp(text);
    assert.ok(ip !== null, text);
    const kind = classifyIp(ip);
    assert.equal(kind.public ? "public" : kind.range, expected, text);
    if (!kind.public) {
      assert.match(kind.explanation, /^\S.{20,}\.$/, `${text}: one sentence`);
      assert.doesNotMatch(kind.explanation, /\n/);
    }
  }
});

Deno.test("classifyIp: explanations say what the range means for the user", () => {
  const explain = (text: string) => {
    const kind = classifyIp(parseIp(text)!);
    assert.ok(!kind.public);
    return kind.explanation;
  };
  assert.match(explain("100.64.1.2"), /carrier-grade NAT.*ISP.*public IPv4 address or use IPv6/);
  for (const text of ["10.1.2.3", "172.20.0.1", "192.168.1.1"]) {
    assert.match(explain(text), /private address inside the local network.*router or VPN/);
  }
  for (const text of ["192.0.2.1", "198.51.100.1", "203.0.113.1", "2001:db8::1", "3fff::1"]) {
    assert.match(explain(text), /documentation/);
  }
  assert.match(explain("fd00::1"), /unique local address/);
  assert.match(explain("fe80::1"), /link-local/);
  assert.match(explain("2001::1"), /Teredo/);
  assert.match(explain("2002:c000:201::1"), /6to4/);
});

Deno.test("classifyIp: an address not made by parseIp is not public", () => {
  assert.equal(classifyIp({ family: "ipv4", address: "1.2.3" }).public, false);
  assert.equal(classifyIp({ family: "ipv6", address: "8.8.8.8" }).public, false);
});
