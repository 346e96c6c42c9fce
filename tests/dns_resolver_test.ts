/**
 * Tests of dnsbeat's own DNS messages and resolver: the query's bytes, what a reply must be to
 * count, and the system's name servers.
 *
 * @module
 */

import assert from "node:assert/strict";
import { decodeReply, encodeQuery } from "../lib/net/dns_message.ts";
import { nameServersIn } from "../lib/net/dns_resolver.ts";

/** A reply to `query` (its question copied), with `flags` and `answers` (already encoded). */
function replyTo(query: Uint8Array, flags: number, answers: Uint8Array[] = []): Uint8Array {
  const body = [query.subarray(12), ...answers];
  const out = new Uint8Array(12 + body.reduce((sum, part) => sum + part.length, 0));
  out.set(query.subarray(0, 12));
  const view = new DataView(out.buffer);
  view.setUint16(2, flags);
  view.setUint16(6, answers.length);
  let offset = 12;
  for (const part of body) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A record named by a pointer to the question's name (offset 12). */
function record(type: number, data: number[], name = [0xc0, 12]): Uint8Array {
  return Uint8Array.from([...name, 0, type, 0, 1, 0, 0, 0, 60, 0, data.length, ...data]);
}

const ANSWER = 0x8180; // A reply, recursion desired and available, NOERROR.

Deno.test("encodeQuery: header, one question, recursion desired", () => {
  assert.deepEqual(
    [...encodeQuery(0x1234, "ab.c", "AAAA")],
    [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 2, 97, 98, 1, 99, 0, 0, 28, 0, 1],
  );
});

Deno.test("decodeReply: addresses and TXT strings, past a CNAME, names compressed or not", () => {
  const a = encodeQuery(7, "home.example", "A");
  const cname = record(5, [3, 0x77, 0x77, 0x77, 0xc0, 12]);
  const target = [3, 0x77, 0x77, 0x77, 0xc0, 12]; // www.home.example, partly compressed
  assert.deepEqual(
    decodeReply(
      replyTo(a, ANSWER, [cname, record(1, [81, 2, 69, 142], target), record(1, [81, 2, 69, 1])]),
      7,
      "HOME.example",
      "A",
    ),
    { kind: "records", records: ["81.2.69.142", "81.2.69.1"] },
  );
  const aaaa = encodeQuery(8, "home.example", "AAAA");
  const v6 = [0x2a, 0x02, 0x18, 0x10, ...new Array<number>(11).fill(0), 1];
  assert.deepEqual(
    decodeReply(replyTo(aaaa, ANSWER, [record(28, v6)]), 8, "home.example", "AAAA"),
    {
      kind: "records",
      records: ["2a02:1810::1"],
    },
  );
  const txt = encodeQuery(9, "o-o.myaddr.l.google.com", "TXT");
  const strings = [3, 0x61, 0x62, 0x63, 0, 1, 0x64];
  assert.deepEqual(
    decodeReply(
      replyTo(txt, ANSWER, [record(16, strings), record(16, [])]),
      9,
      "o-o.myaddr.l.google.com",
      "TXT",
    ),
    { kind: "records", records: [["abc", "", "d"], []] },
  );
});

Deno.test("decodeReply: no records, error codes and the TC bit", () => {
  const q = encodeQuery(7, "home.example", "A");
  assert.deepEqual(decodeReply(replyTo(q, ANSWER), 7, "home.example", "A"), {
    kind: "none",
    rcode: 0,
  });
  assert.deepEqual(decodeReply(replyTo(q, ANSWER | 3), 7, "home.example", "A"), {
    kind: "none",
    rcode: 3,
  });
  assert.deepEqual(
    decodeReply(replyTo(q, ANSWER | 2, [record(1, [81, 2, 69, 142])]), 7, "home.example", "A"),
    { kind: "none", rcode: 2 },
  );
  assert.deepEqual(decodeReply(replyTo(q, ANSWER | 0x0200), 7, "home.example", "A"), {
    kind: "truncated",
  });
});

Deno.test("decodeReply: anything but a readable reply to this very query is null", () => {
  const q = encodeQuery(7, "home.example", "A");
  const good = replyTo(q, ANSWER, [record(1, [81, 2, 69, 142])]);
  assert.ok(decodeReply(good, 7, "home.example", "A") !== null);
  const cases: [string, Uint8Array, number, string, "A" | "AAAA"][] = [
    ["another ID", good, 8, "home.example", "A"],
    ["another name", good, 7, "other.example", "A"],
    ["another type", good, 7, "home.example", "AAAA"],
    ["the query itself", q, 7, "home.example", "A"],
    ["cut short", good.subarray(0, good.length - 1), 7, "home.example", "A"],
    ["a header only", good.subarray(0, 11), 7, "home.example", "A"],
    ["an A of 3 bytes", replyTo(q, ANSWER, [record(1, [81, 2, 69])]), 7, "home.example", "A"],
    [
      "a pointer loop",
      replyTo(q, ANSWER, [record(1, [1, 2, 3, 4], [0xc0, 30])]),
      7,
      "home.example",
      "A",
    ],
    ["an opcode other than QUERY", replyTo(q, ANSWER | 0x0800), 7, "home.example", "A"],
  ];
  for (const [what, packet, id, name, type] of cases) {
    assert.equal(decodeReply(packet, id, name, type), null, what);
  }
  const txt = encodeQuery(9, "t.example", "TXT");
  assert.equal(
    decodeReply(replyTo(txt, ANSWER, [record(16, [5, 0x61])]), 9, "t.example", "TXT"),
    null,
    "a TXT string running past its record",
  );
});

Deno.test("nameServersIn: the nameserver lines of resolv.conf, in order", () => {
  const text = [
    "# generated",
    "search lan",
    "nameserver 192.168.1.1",
    "  nameserver\t2001:DB8::53  ",
    "nameserver fe80::1%eth0",
    "nameserver not-an-address",
    "options timeout:1 attempts:2",
    "nameserver 9.9.9.9",
  ].join("\n");
  assert.deepEqual(nameServersIn(text), [
    { ipAddr: "192.168.1.1", port: 53 },
    { ipAddr: "2001:db8::53", port: 53 },
    { ipAddr: "9.9.9.9", port: 53 },
  ]);
  assert.deepEqual(nameServersIn(""), []);
});
