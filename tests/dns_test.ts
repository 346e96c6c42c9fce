/**
 * Tests of DNS sources: the parser, and queries through the real `Deno.resolveDns` against a
 * responder on 127.0.0.1 (or a fake resolver where the real one would leave this machine).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  defaultDnsDeps,
  describeDnsSource,
  type DnsDeps,
  type DnsSource,
  lookupAddresses,
  parseDnsSource,
  queryDnsSource,
} from "../lib/net/dns.ts";
import { type DnsServer, type DnsServerOptions, startDnsServer } from "./helpers/dns_server.ts";

function parsed(text: string): DnsSource {
  const result = parseDnsSource(text);
  if ("error" in result) throw new Error(`${text}: ${result.error}`);
  return result;
}

/** Runs `test` with a responder, closing it afterwards. */
async function withServer(
  options: DnsServerOptions,
  test: (server: DnsServer) => Promise<void>,
): Promise<void> {
  await using server = await startDnsServer(options);
  await test(server);
}

/** The generic source asking the responder for `name`. */
function local(server: DnsServer, name: string, txt = false): DnsSource {
  return parsed(`dns:${name}@127.0.0.1:${server.port}${txt ? "/TXT" : ""}`);
}

/** A fake resolver: it records each call and answers with `answer`. */
function fake(
  answer: (name: string, type: string) => Promise<string[] | string[][]>,
): { deps: DnsDeps; calls: { name: string; type: string; options: Deno.ResolveDnsOptions }[] } {
  const calls: { name: string; type: string; options: Deno.ResolveDnsOptions }[] = [];
  const resolveDns = (name: string, type: string, options: Deno.ResolveDnsOptions) => {
    calls.push({ name, type, options });
    return answer(name, type);
  };
  return { deps: { resolveDns: resolveDns as DnsDeps["resolveDns"] }, calls };
}

const QUICK = { timeoutMs: 2000 };

Deno.test("parseDnsSource: presets, in any case", () => {
  const opendns: DnsSource = {
    kind: "dns",
    label: "dns:opendns",
    qname: "myip.opendns.com",
    txt: false,
    servers: {
      ipv4: { ipAddr: "208.67.222.222", port: 53 },
      ipv6: { ipAddr: "2620:119:35::35", port: 53 },
    },
  };
  const google: DnsSource = {
    kind: "dns",
    label: "dns:google",
    qname: "o-o.myaddr.l.google.com",
    txt: true,
    servers: {
      ipv4: { ipAddr: "216.239.32.10", port: 53 },
      ipv6: { ipAddr: "2001:4860:4802:32::a", port: 53 },
    },
  };
  assert.deepEqual(parseDnsSource("dns:opendns"), opendns);
  assert.deepEqual(parseDnsSource("dns:OpenDNS"), opendns);
  assert.deepEqual(parseDnsSource("dns:google"), google);
  assert.deepEqual(parseDnsSource("dns:GOOGLE"), google);
});

Deno.test("parseDnsSource: the general form, and labels that parse back to the same source", () => {
  const cases: [string, string, string, boolean, string, number][] = [
    // text, label, qname, txt, server address, port
    [
      "dns:myip.example@127.0.0.1:5353",
      "dns:myip.example@127.0.0.1:5353",
      "myip.example",
      false,
      "127.0.0.1",
      5353,
    ],
    [
      "dns:o-o.myaddr.l.google.com@216.239.32.10/TXT",
      "dns:o-o.myaddr.l.google.com@216.239.32.10/TXT",
      "o-o.myaddr.l.google.com",
      true,
      "216.239.32.10",
      53,
    ],
    ["dns:x@[::1]:5353", "dns:x@[::1]:5353", "x", false, "::1", 5353],
    ["dns:x@[2001:DB8:0::053]", "dns:x@[2001:db8::53]", "x", false, "2001:db8::53", 53],
    [
      "dns:MyIP.Example@192.0.2.1/txt",
      "dns:myip.example@192.0.2.1/TXT",
      "myip.example",
      true,
      "192.0.2.1",
      53,
    ],
    ["dns:x@192.0.2.1:53", "dns:x@192.0.2.1", "x", false, "192.0.2.1", 53],
    [
      "dns:_a.b-c.example@192.0.2.1:65535",
      "dns:_a.b-c.example@192.0.2.1:65535",
      "_a.b-c.example",
      false,
      "192.0.2.1",
      65535,
    ],
    ["dns:x@[::1]:1/TXT", "dns:x@[::1]:1/TXT", "x", true, "::1", 1],
  ];
  for (const [text, label, qname, txt, ipAddr, port] of cases) {
    const server = { ipAddr, port };
    const expected: DnsSource = {
      kind: "dns",
      label,
      qname,
      txt,
      servers: { ipv4: server, ipv6: server },
    };
    assert.deepEqual(parseDnsSource(text), expected, text);
    assert.deepEqual(parseDnsSource(label), expected, label);
  }
  const longest = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`;
  assert.equal(parsed(`dns:${longest}@192.0.2.1`).qname, longest);
});

Deno.test("parseDnsSource: every error names what was expected", () => {
  const forms = "dns:opendns, dns:google or dns:NAME@SERVER[:PORT][/TXT]";
  const notName =
    'is not a DNS name: expected labels of letters, digits, "-" or "_", separated by dots';
  const notIp =
    "is not an IP address: the server must be an IPv4 address or an IPv6 address in brackets, since finding it by name would itself need DNS";
  const badPort = 'expected a port from 1 to 65535 after ":", got';
  const tooLong = `${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}`;
  const cases: [string, string][] = [
    ["opendns", 'expected "dns:" at the start of "opendns"'],
    ["DNS:opendns", 'expected "dns:" at the start of "DNS:opendns"'],
    ["dns:", `expected ${forms}, got nothing after "dns:"`],
    [
      "dns:cloudflare",
      `"cloudflare" is not a preset (opendns, google) and names no server: expected ${forms}`,
    ],
    [
      "dns:opendns/TXT",
      `"opendns/TXT" is not a preset (opendns, google) and names no server: expected ${forms}`,
    ],
    ["dns:@192.0.2.1", 'expected a DNS name before "@", got nothing'],
    ["dns:a..b@192.0.2.1", `"a..b" ${notName}`],
    ["dns:a.@192.0.2.1", `"a." ${notName}`],
    ["dns:-a.example@192.0.2.1", `"-a.example" ${notName}`],
    ["dns:a-.example@192.0.2.1", `"a-.example" ${notName}`],
    ["dns:a b@192.0.2.1", `"a b" ${notName}`],
    [`dns:${"a".repeat(64)}@192.0.2.1`, `"${"a".repeat(64)}" ${notName}`],
    [`dns:${tooLong}@192.0.2.1`, `"${tooLong}" ${notName}`],
    ["dns:x@", 'expected the server\'s IP address after "@", got nothing'],
    ["dns:x@/TXT", 'expected the server\'s IP address after "@", got nothing'],
    ["dns:x@resolver1.opendns.com", `"resolver1.opendns.com" ${notIp}`],
    ["dns:x@192.0.2.1@192.0.2.2", `"192.0.2.1@192.0.2.2" ${notIp}`],
    ["dns:x@ 192.0.2.1", `" 192.0.2.1" ${notIp}`],
    ["dns:x@192.0.2.01", `"192.0.2.01" ${notIp}`],
    ["dns:x@192.0.2.1/MX", 'expected "/TXT" or nothing after the server, got "/MX"'],
    ["dns:x@192.0.2.1/TXT/x", 'expected "/TXT" or nothing after the server, got "/TXT/x"'],
    ["dns:x@192.0.2.1/", 'expected "/TXT" or nothing after the server, got "/"'],
    [
      "dns:x@::1",
      '"::1" has more than one ":": write an IPv6 server in brackets, e.g. [2001:db8::53]:5353',
    ],
    ["dns:x@[::1", 'expected "]" after the IPv6 address in "[::1"'],
    ["dns:x@[::1]5353", 'expected ":PORT" or nothing after "]", got "5353"'],
    ["dns:x@[192.0.2.1]", '"192.0.2.1" is not an IPv6 address: only IPv6 addresses go in brackets'],
    [
      "dns:x@[fe80::1%eth0]",
      '"fe80::1%eth0" is not an IPv6 address: only IPv6 addresses go in brackets',
    ],
    ["dns:x@[]", '"" is not an IPv6 address: only IPv6 addresses go in brackets'],
    ["dns:x@192.0.2.1:", `${badPort} ""`],
    ["dns:x@192.0.2.1:0", `${badPort} "0"`],
    ["dns:x@192.0.2.1:053", `${badPort} "053"`],
    ["dns:x@192.0.2.1:65536", `${badPort} "65536"`],
    ["dns:x@192.0.2.1:53a", `${badPort} "53a"`],
    ["dns:x@192.0.2.1:-1", `${badPort} "-1"`],
    ["dns:x@[::1]:", `${badPort} ""`],
    ["dns:x@[::1]:99999/TXT", `${badPort} "99999"`],
  ];
  for (const [text, error] of cases) assert.deepEqual(parseDnsSource(text), { error }, text);
});

Deno.test("describeDnsSource: the label, and for presets the servers they ask", () => {
  assert.equal(
    describeDnsSource(parsed("dns:opendns")),
    "dns:opendns (asks 208.67.222.222 for IPv4, [2620:119:35::35] for IPv6)",
  );
  assert.equal(
    describeDnsSource(parsed("dns:google")),
    "dns:google (asks 216.239.32.10 for IPv4, [2001:4860:4802:32::a] for IPv6)",
  );
  assert.equal(describeDnsSource(parsed("dns:x@[::1]:5353/txt")), "dns:x@[::1]:5353/TXT");
});

Deno.test("queryDnsSource: presets ask the server of the family being detected", async () => {
  const { deps, calls } = fake((_name, type) =>
    Promise.resolve(
      type === "TXT"
        ? [["2001:DB8:0::7"], ["198.51.100.7"]]
        : type === "A"
        ? ["198.51.100.7"]
        : ["2001:0db8::7"],
    )
  );
  const results = [];
  for (const text of ["dns:opendns", "dns:google"]) {
    for (const family of ["ipv4", "ipv6"] as const) {
      results.push(await queryDnsSource(parsed(text), family, deps, QUICK));
    }
  }
  assert.deepEqual(results, [
    { ip: "198.51.100.7" },
    { ip: "2001:db8::7" },
    { ip: "198.51.100.7" },
    { ip: "2001:db8::7" },
  ]);
  assert.deepEqual(
    calls.map(({ name, type, options }) => [name, type, options.nameServer]),
    [
      ["myip.opendns.com", "A", { ipAddr: "208.67.222.222", port: 53 }],
      ["myip.opendns.com", "AAAA", { ipAddr: "2620:119:35::35", port: 53 }],
      ["o-o.myaddr.l.google.com", "TXT", { ipAddr: "216.239.32.10", port: 53 }],
      ["o-o.myaddr.l.google.com", "TXT", { ipAddr: "2001:4860:4802:32::a", port: 53 }],
    ],
  );
  assert.ok(calls.every(({ options }) => options.signal instanceof AbortSignal));
});

Deno.test("queryDnsSource: answers that are empty, of the wrong family or not addresses", async () => {
  const source = parsed("dns:myip.example@192.0.2.53");
  const cases: [string[] | string[][], string][] = [
    [
      [],
      "the resolver 192.0.2.53 gave no A record for myip.example: no such name or record there, or it refused or failed the query",
    ],
    [
      ["2001:db8::7"],
      "the resolver 192.0.2.53 answered 2001:db8::7 for myip.example, which is not an IPv4 address",
    ],
    [
      ["198.51.100.7 ", "example.com"],
      "the resolver 192.0.2.53 answered A data for myip.example that holds no IP address",
    ],
    [["junk", "2001:db8::7", "198.51.100.8", "198.51.100.008", "198.51.100.8"], ""],
    [
      ["198.51.100.8", "2001:db8::7", "203.0.113.9"],
      "the resolver 192.0.2.53 answered 2 different IPv4 addresses for myip.example (198.51.100.8, 203.0.113.9): an echo of this machine's address answers exactly one, so none is taken",
    ],
    [
      ["81.2.69.1", "81.2.69.2", "81.2.69.3", "81.2.69.4"],
      "the resolver 192.0.2.53 answered 4 different IPv4 addresses for myip.example (81.2.69.1, 81.2.69.2, 81.2.69.3, …): an echo of this machine's address answers exactly one, so none is taken",
    ],
  ];
  for (const [answer, problem] of cases) {
    const { deps } = fake(() => Promise.resolve(answer));
    const expected = problem === "" ? { ip: "198.51.100.8" } : { problem };
    assert.deepEqual(await queryDnsSource(source, "ipv4", deps, QUICK), expected);
  }
  const { deps } = fake(() => Promise.resolve(["198.51.100.7"]));
  assert.deepEqual(await queryDnsSource(source, "ipv6", deps, QUICK), {
    problem:
      "the resolver 192.0.2.53 answered 198.51.100.7 for myip.example, which is not an IPv6 address",
  });
});

Deno.test("queryDnsSource: resolver failures become fixed phrases, never the runtime's text", async () => {
  const source = parsed("dns:myip.example@[2001:db8::53]:5353");
  const resolver = "the resolver [2001:db8::53]:5353";
  const cases: [Error, string][] = [
    [
      new Deno.errors.TimedOut("proto error: request timed out"),
      `${resolver} sent no readable answer before the query timed out`,
    ],
    [
      new Deno.errors.NotCapable('Requires net access to "[2001:db8::53]:5353"'),
      `dnsbeat lacks the network permission to reach ${resolver}`,
    ],
    [
      new Error("proto error: io error: Connection refused (os error 111)"),
      `${resolver} refused the connection`,
    ],
    [
      new Error("proto error: io error: Network is unreachable (os error 101)"),
      `this machine has no network route to ${resolver}`,
    ],
    [
      new Error("proto error: io error: Cannot assign requested address (os error 99)"),
      `this machine has no network route to ${resolver}`,
    ],
    [
      new Error("send ENETUNREACH 2001:db8::53:5353"),
      `this machine has no network route to ${resolver}`,
    ],
    [
      new Error("send EHOSTUNREACH 2001:db8::53:5353"),
      `this machine has no network route to ${resolver}`,
    ],
    [
      new Error("send EADDRNOTAVAIL 2001:db8::53:5353"),
      `this machine has no network route to ${resolver}`,
    ],
    [new Error("send ECONNREFUSED 2001:db8::53:5353"), `${resolver} refused the connection`],
    [new Error(`proto error: ${"x".repeat(5000)}`), `the query to ${resolver} failed`],
  ];
  for (const [error, problem] of cases) {
    const { deps } = fake(() => Promise.reject(error));
    assert.deepEqual(await queryDnsSource(source, "ipv6", deps, QUICK), { problem }, error.message);
  }
});

Deno.test("queryDnsSource: A and AAAA answers from a real server", async () => {
  await withServer({
    zone: {
      "myip.example": {
        A: {
          kind: "answer",
          records: [{ type: "A", address: "198.51.100.7" }, { type: "A", address: "198.51.100.7" }],
        },
        AAAA: { kind: "answer", records: [{ type: "AAAA", address: "2001:db8:0:0:0:0:0:7" }] },
      },
    },
  }, async (server) => {
    const source = local(server, "MyIP.example");
    assert.deepEqual(await queryDnsSource(source, "ipv4", defaultDnsDeps, QUICK), {
      ip: "198.51.100.7",
    });
    assert.deepEqual(await queryDnsSource(source, "ipv6", defaultDnsDeps, QUICK), {
      ip: "2001:db8::7",
    });
    assert.deepEqual(server.queries, [
      { name: "myip.example", type: "A", transport: "udp" },
      { name: "myip.example", type: "AAAA", transport: "udp" },
    ]);
  });
});

Deno.test("queryDnsSource: Google-style TXT answers, ignoring strings that are not an address", async () => {
  const name = "o-o.myaddr.l.google.com";
  await withServer({
    zone: {
      [name]: {
        TXT: { kind: "answer", records: [{ type: "TXT", strings: ["198.51.100.7"] }] },
      },
    },
  }, async (server) => {
    const source = local(server, name, true);
    const resolver = `the resolver 127.0.0.1:${server.port}`;
    assert.deepEqual(await queryDnsSource(source, "ipv4", defaultDnsDeps, QUICK), {
      ip: "198.51.100.7",
    });
    assert.deepEqual(await queryDnsSource(source, "ipv6", defaultDnsDeps, QUICK), {
      problem: `${resolver} answered 198.51.100.7 for ${name}, which is not an IPv6 address`,
    });
    server.set(name, "TXT", {
      kind: "answer",
      records: [{ type: "TXT", strings: [" 198.51.100.7", "198.51.100.7/32", "edns0"] }],
    });
    assert.deepEqual(await queryDnsSource(source, "ipv4", defaultDnsDeps, QUICK), {
      problem: `${resolver} answered TXT data for ${name} that holds no IP address`,
    });
    server.set(name, "TXT", {
      kind: "answer",
      records: [{ type: "TXT", strings: ["2001:db8::7", "198.51.100.9"] }],
    });
    assert.deepEqual(await queryDnsSource(source, "ipv6", defaultDnsDeps, QUICK), {
      ip: "2001:db8::7",
    });
    assert.deepEqual(server.queries.map((query) => query.type), ["TXT", "TXT", "TXT", "TXT"]);
  });
});

Deno.test("queryDnsSource: a TXT answer carrying edns0-client-subnet was relayed, and is refused", async () => {
  const name = "o-o.myaddr.l.google.com";
  const relayed = {
    problem:
      `the resolver 192.0.2.53 answered TXT data for ${name} that carries an edns0-client-subnet string: a recursive resolver passed the query on (often a router that intercepts DNS), so the address in it is that resolver's, not this machine's`,
  };
  const source = parsed(`dns:${name}@192.0.2.53/TXT`);
  // As Google answers through a resolver: the resolver's address first, the client subnet after;
  // in one record or in two, in any order or case.
  const answers: string[][][] = [
    [["172.253.4.1"], ["edns0-client-subnet 81.2.69.0/24"]],
    [["edns0-client-subnet 81.2.69.0/24"], ["172.253.4.1"]],
    [["172.253.4.1", "EDNS0-Client-Subnet 81.2.69.0/24"]],
    [["2a00:1450::1"], [" edns0-client-subnet 2a02:1810::/56"]],
  ];
  for (const answer of answers) {
    const { deps } = fake(() => Promise.resolve(answer));
    const family = answer[0]![0]!.includes(":") ? "ipv6" : "ipv4";
    assert.deepEqual(await queryDnsSource(source, family, deps, QUICK), relayed);
  }
  // A string that only mentions it elsewhere is no sign of a relay.
  const { deps } = fake(() => Promise.resolve([["172.253.4.1"], ["no edns0-client-subnet"]]));
  assert.deepEqual(await queryDnsSource(source, "ipv4", deps, QUICK), { ip: "172.253.4.1" });
});

Deno.test("queryDnsSource: NXDOMAIN, no data, SERVFAIL and REFUSED all read as no record", async () => {
  await withServer({
    zone: {
      "nodata.example": {},
      "servfail.example": { A: { kind: "servfail" } },
      "refused.example": { A: { kind: "refused" } },
      "nxdomain.example": { A: { kind: "nxdomain" } },
    },
  }, async (server) => {
    for (const name of ["absent", "nodata", "servfail", "refused", "nxdomain"]) {
      const qname = `${name}.example`;
      assert.deepEqual(
        await queryDnsSource(local(server, qname), "ipv4", defaultDnsDeps, QUICK),
        {
          problem:
            `the resolver 127.0.0.1:${server.port} gave no A record for ${qname}: no such name or record there, or it refused or failed the query`,
        },
      );
    }
    assert.equal(server.queries.length, 5);
  });
});

Deno.test("queryDnsSource: silence and unreadable replies end at the deadline", async () => {
  await withServer({
    zone: {
      "silence.example": { A: { kind: "silence" } },
      "malformed.example": { A: { kind: "malformed" } },
      "wrong-id.example": {
        A: { kind: "wrong-id", records: [{ type: "A", address: "198.51.100.7" }] },
      },
      "short-data.example": {
        A: {
          kind: "answer",
          records: [{ type: "raw", code: 1, data: Uint8Array.of(198, 51, 100) }],
        },
      },
    },
  }, async (server) => {
    for (const name of ["silence", "malformed", "wrong-id", "short-data"]) {
      const started = performance.now();
      const result = await queryDnsSource(
        local(server, `${name}.example`),
        "ipv4",
        defaultDnsDeps,
        { timeoutMs: 300 },
      );
      const elapsed = performance.now() - started;
      assert.deepEqual(result, {
        problem: `the resolver 127.0.0.1:${server.port} sent no readable answer within 0.3s`,
      }, name);
      assert.ok(elapsed >= 250 && elapsed < 2000, `${name}: ${elapsed} ms`);
    }
  });
});

Deno.test("queryDnsSource: a slow answer counts within the deadline, not after it", async () => {
  const answer = [{ type: "A" as const, address: "198.51.100.7" }];
  await withServer({
    zone: {
      "slow.example": { A: { kind: "answer", records: answer, delayMs: 100 } },
      "late.example": { A: { kind: "answer", records: answer, delayMs: 1500 } },
    },
  }, async (server) => {
    assert.deepEqual(
      await queryDnsSource(local(server, "slow.example"), "ipv4", defaultDnsDeps, QUICK),
      { ip: "198.51.100.7" },
    );
    const started = performance.now();
    assert.deepEqual(
      await queryDnsSource(local(server, "late.example"), "ipv4", defaultDnsDeps, {
        timeoutMs: 300,
      }),
      { problem: `the resolver 127.0.0.1:${server.port} sent no readable answer within 0.3s` },
    );
    assert.ok(performance.now() - started < 1000);
  });
});

Deno.test("the config's timeout is the deadline: a reply after 1.2 s counts within 3 s, not within 1 s", async () => {
  // Deno.resolveDns gave up after about 2 s whatever the deadline; dnsbeat's resolver asks again
  // after 1 s on the same socket, and a late reply to the first try still counts.
  const answer = [{ type: "A" as const, address: "81.2.69.142" }];
  await withServer({
    zone: { "slow.example": { A: { kind: "answer", records: answer, delayMs: 1200 } } },
  }, async (server) => {
    const nameServer = { ipAddr: "127.0.0.1", port: server.port };
    assert.deepEqual(
      await queryDnsSource(local(server, "slow.example"), "ipv4", defaultDnsDeps, {
        timeoutMs: 3000,
      }),
      { ip: "81.2.69.142" },
    );
    assert.deepEqual(
      await lookupAddresses("slow.example", "ipv4", defaultDnsDeps, {
        timeoutMs: 3000,
        nameServer,
      }),
      { addresses: ["81.2.69.142"] },
    );
    assert.deepEqual(
      await lookupAddresses("slow.example", "ipv4", defaultDnsDeps, {
        timeoutMs: 1000,
        nameServer,
      }),
      { problem: `the resolver 127.0.0.1:${server.port} sent no readable answer within 1s` },
    );
  });
});

Deno.test("a query that ends sends nothing more", async () => {
  await withServer({ zone: { "silence.example": { A: { kind: "silence" } } } }, async (server) => {
    const result = await queryDnsSource(local(server, "silence.example"), "ipv4", defaultDnsDeps, {
      timeoutMs: 1500,
    });
    assert.ok("problem" in result);
    const asked = server.queries.length;
    assert.ok(asked >= 1 && asked <= 2, `${asked} tries within 1.5 s`);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    assert.equal(server.queries.length, asked, "no try after the deadline");
  });
});

Deno.test("queryDnsSource: a truncated reply is retried over TCP", async () => {
  const zone = {
    "big.example": {
      A: { kind: "truncated" as const, records: [{ type: "A" as const, address: "198.51.100.7" }] },
    },
  };
  await withServer({ zone, tcp: true }, async (server) => {
    assert.deepEqual(
      await queryDnsSource(local(server, "big.example"), "ipv4", defaultDnsDeps, QUICK),
      { ip: "198.51.100.7" },
    );
    assert.deepEqual(server.queries.map((query) => query.transport), ["udp", "tcp"]);
  });
  await withServer({ zone }, async (server) => {
    assert.deepEqual(
      await queryDnsSource(local(server, "big.example"), "ipv4", defaultDnsDeps, QUICK),
      { problem: `the resolver 127.0.0.1:${server.port} refused the connection` },
    );
  });
});

Deno.test("queryDnsSource: lying answers are not taken for an address", async () => {
  await withServer({
    zone: {
      "lie.example": {
        AAAA: { kind: "answer", records: [{ type: "A", address: "198.51.100.7" }] },
        TXT: {
          kind: "answer",
          records: [{ type: "raw", code: 16, data: Uint8Array.of(4, 0xff, 0xfe, 0x80, 0x00) }],
        },
      },
    },
  }, async (server) => {
    const resolver = `the resolver 127.0.0.1:${server.port}`;
    assert.deepEqual(
      await queryDnsSource(local(server, "lie.example"), "ipv6", defaultDnsDeps, QUICK),
      {
        problem:
          `${resolver} gave no AAAA record for lie.example: no such name or record there, or it refused or failed the query`,
      },
    );
    assert.deepEqual(
      await queryDnsSource(local(server, "lie.example", true), "ipv4", defaultDnsDeps, QUICK),
      { problem: `${resolver} answered TXT data for lie.example that holds no IP address` },
    );
  });
});

Deno.test("queryDnsSource: an aborted signal stops the query at once", async () => {
  await withServer({ zone: { "silence.example": { A: { kind: "silence" } } } }, async (server) => {
    const source = local(server, "silence.example");
    const stopping = {
      problem:
        `the query to the resolver 127.0.0.1:${server.port} was abandoned because dnsbeat is stopping`,
    };
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const result = await queryDnsSource(source, "ipv4", defaultDnsDeps, {
      timeoutMs: 10_000,
      signal: controller.signal,
    });
    clearTimeout(timer);
    assert.deepEqual(result, stopping);
    assert.ok(performance.now() - started < 2000);
    assert.equal(server.queries.length, 1);

    assert.deepEqual(
      await queryDnsSource(source, "ipv4", defaultDnsDeps, {
        timeoutMs: 10_000,
        signal: AbortSignal.abort(),
      }),
      stopping,
    );
    assert.equal(server.queries.length, 1);
  });
});

Deno.test("queryDnsSource: a server outside the allowed network is a permission problem", async () => {
  // The test runs with --allow-net=127.0.0.1, so Deno refuses before sending anything.
  assert.deepEqual(
    await queryDnsSource(parsed("dns:myip.example@127.0.0.2:5353"), "ipv4", defaultDnsDeps, QUICK),
    { problem: "dnsbeat lacks the network permission to reach the resolver 127.0.0.2:5353" },
  );
});

Deno.test("lookupAddresses: what a real server answers, or none", async () => {
  await withServer({
    zone: {
      "home.example": {
        A: {
          kind: "answer",
          records: [{ type: "A", address: "198.51.100.7" }, { type: "A", address: "198.51.100.8" }],
        },
        AAAA: { kind: "answer", records: [{ type: "AAAA", address: "2001:db8:0:0:0:0:0:7" }] },
      },
      "broken.example": { A: { kind: "servfail" } },
      "silent.example": { A: { kind: "silence" } },
    },
  }, async (server) => {
    const options = { timeoutMs: 300, nameServer: { ipAddr: "127.0.0.1", port: server.port } };
    const lookup = (name: string, family: "ipv4" | "ipv6") =>
      lookupAddresses(name, family, defaultDnsDeps, options);
    assert.deepEqual(await lookup("home.example", "ipv4"), {
      addresses: ["198.51.100.7", "198.51.100.8"],
    });
    assert.deepEqual(await lookup("home.example", "ipv6"), { addresses: ["2001:db8::7"] });
    assert.deepEqual(await lookup("absent.example", "ipv4"), { addresses: [] });
    assert.deepEqual(await lookup("broken.example", "ipv4"), { addresses: [] });
    assert.deepEqual(await lookup("silent.example", "ipv4"), {
      problem: `the resolver 127.0.0.1:${server.port} sent no readable answer within 0.3s`,
    });
    assert.equal(server.queries.length, 5);
  });
});

Deno.test("lookupAddresses: the system resolver, canonical addresses without repeats", async () => {
  const { deps, calls } = fake(() =>
    Promise.resolve(["2001:DB8::7", "2001:db8:0::7", "198.51.100.7", "2001:db8::8"])
  );
  assert.deepEqual(await lookupAddresses("home.example", "ipv6", deps, QUICK), {
    addresses: ["2001:db8::7", "2001:db8::8"],
  });
  assert.equal(calls.length, 1);
  assert.equal(calls[0]?.type, "AAAA");
  assert.equal(calls[0]?.options.nameServer, undefined);

  const failing = fake(() =>
    Promise.reject(new Deno.errors.TimedOut("proto error: request timed out"))
  );
  assert.deepEqual(await lookupAddresses("home.example", "ipv4", failing.deps, QUICK), {
    problem: "the system resolver sent no readable answer before the query timed out",
  });
  assert.deepEqual(
    await lookupAddresses("home.example", "ipv4", failing.deps, {
      ...QUICK,
      signal: AbortSignal.abort(),
    }),
    { problem: "the query to the system resolver was abandoned because dnsbeat is stopping" },
  );
  assert.deepEqual(await lookupAddresses("bad..name", "ipv4", failing.deps, QUICK), {
    problem: '"bad..name" is not a DNS name',
  });
  assert.equal(failing.calls.length, 1);
});
