/** The rules of a hostname in `hostnames`, and what each broken rule says. */
import assert from "node:assert/strict";
import { hostnameProblem } from "../lib/config/hostname.ts";

Deno.test("hostnameProblem: valid names and group names pass", () => {
  for (
    const name of [
      "myhome.ddns.net",
      "Group_1",
      "a",
      "xn--bcher-kva.ddns.net",
      "a-b.c_d.e",
      `${"a".repeat(63)}.ddns.net`,
      `${"a".repeat(61)}.`.repeat(4) + "a".repeat(5),
    ]
  ) {
    assert.equal(hostnameProblem(name, "No-IP"), null, name);
  }
});

Deno.test("hostnameProblem: each broken rule, said with what to do", () => {
  const cases: [string, string][] = [
    [
      "x.ddns.net.",
      'ends with a dot; remove the trailing dot: No-IP wants the name without it: "x.ddns.net"',
    ],
    [
      "bücher.ddns.net",
      'is not ASCII; write it in its ASCII (punycode) form: "xn--bcher-kva.ddns.net"',
    ],
    [
      "Bücher.DDNS.net.",
      'is not ASCII; write it in its ASCII (punycode) form, without the trailing dot: "xn--bcher-kva.ddns.net"',
    ],
    ["😀.ddns.net", 'is not ASCII; write it in its ASCII (punycode) form: "xn--e28h.ddns.net"'],
    [
      "ü..net",
      'is not ASCII, and its ASCII (punycode) form "xn--tda..net" has an empty label (a leading dot or two dots in a row); remove the extra "."',
    ],
    ["ü|x", 'has "|", which a hostname cannot have (letters, digits, "-", "_" and "." only)'],
    ["xn--ü.net", "has no ASCII (punycode) form; check the name"],
    [
      "bad host",
      'has " " (U+0020), which a hostname cannot have (letters, digits, "-", "_" and "." only)',
    ],
    [
      "a,b.ddns.net",
      'has ",", which a hostname cannot have (letters, digits, "-", "_" and "." only)',
    ],
    [
      "a\tb",
      'has "\\t" (U+0009), which a hostname cannot have (letters, digits, "-", "_" and "." only)',
    ],
    [
      "x..ddns.net",
      'has an empty label (a leading dot or two dots in a row); remove the extra "."',
    ],
    [".x", 'has an empty label (a leading dot or two dots in a row); remove the extra "."'],
    [
      `${"a".repeat(64)}.ddns.net`,
      'has a label of 64 characters ("aaaaaaaaaaaaaaaaaaaa..."); a label (the part between dots) may have at most 63',
    ],
    [
      `${"a".repeat(60)}.`.repeat(5) + "net",
      "is 308 characters long; a hostname may have at most 253",
    ],
    ["-x.ddns.net", 'has the label "-x"; a label may not start or end with "-"'],
    ["x.ddns-.net", 'has the label "ddns-"; a label may not start or end with "-"'],
    ["https://x.ddns.net/", 'is a URL; give the hostname only: "x.ddns.net"'],
    ["http://bücher.ddns.net", 'is a URL; give the hostname only: "xn--bcher-kva.ddns.net"'],
  ];
  for (const [name, problem] of cases) {
    assert.equal(hostnameProblem(name, "No-IP"), problem, name);
  }
  assert.equal(
    hostnameProblem("x.example.", "Dynu"),
    'ends with a dot; remove the trailing dot: Dynu wants the name without it: "x.example"',
  );
});
