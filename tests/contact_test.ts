/** `userAgentContact`: an e-mail address or an http(s) URL, one field of the User-Agent. */
import assert from "node:assert/strict";
import { type ConfigDeps, parseConfig } from "../lib/config/mod.ts";
import { contactProblem } from "../lib/config/contact.ts";
import { CONTACT } from "../lib/version.ts";
import { dynamipProvider, noipProvider } from "./helpers/fixtures.ts";

const DEPS: ConfigDeps = { readSecretFile: () => ({ error: "none" }), env: () => undefined };

function config(contact: unknown): unknown {
  return {
    userAgentContact: contact,
    providers: [
      noipProvider(),
      noipProvider({ type: "dynu", hostnames: ["b.example"] }),
      dynamipProvider(),
    ],
  };
}

Deno.test("contactProblem: e-mail addresses and http(s) URLs pass", () => {
  for (
    const contact of [
      CONTACT,
      "me@example.com",
      "first.last+dns@mail.example.co.uk",
      "https://example.com/me",
      "http://example.com",
      "https://github.com/someone/dnsbeat/issues?q=1",
      `${"a".repeat(52)}@example.com`,
    ]
  ) {
    assert.equal(contactProblem(contact), null, contact);
  }
});

Deno.test("contactProblem: precise reasons", () => {
  const either = 'like "you@example.com" or "https://example.com/you"';
  const cases: [string, string][] = [
    ["me", `is neither an e-mail address nor an http(s) URL; give one, ${either}`],
    [
      "me@localhost",
      'has "localhost" after the @, which is not a domain name (letters, digits and "-", with at least one "."); give a full address like "you@example.com"',
    ],
    [
      "o'neil@example.com",
      `has "'" before the @: dnsbeat takes letters, digits and . _ + - there; give an address ${either}`,
    ],
    [
      "@example.com",
      `has nothing before the @: dnsbeat takes letters, digits and . _ + - there; give an address ${either}`,
    ],
    ["a@b@example.com", 'has more than one "@"; give one e-mail address'],
    [
      "me @example.com",
      `has " ": the contact is one field of the User-Agent, printable ASCII without spaces; give an e-mail address or an http(s) URL ${either}`,
    ],
    [
      "mé@example.com",
      `has "é": the contact is one field of the User-Agent, printable ASCII without spaces; give an e-mail address or an http(s) URL ${either}`,
    ],
    [
      `${"a".repeat(53)}@example.com`,
      "is 65 characters long; the User-Agent's contact field holds at most 64",
    ],
    [
      "ftp://example.com",
      'starts with "ftp:", not "http:" or "https:"; give an http(s) URL or an e-mail address',
    ],
    ["https://", 'is not a valid URL; give an http(s) URL like "https://example.com/you"'],
    ["https://me:pw@example.com", "holds credentials; give a URL without a user or password"],
  ];
  for (const [contact, problem] of cases) assert.equal(contactProblem(contact), problem, contact);
});

Deno.test("userAgentContact: given to every DynDNS2 provider; default dnsbeat's maintainers", async () => {
  for (const [given, used] of [[undefined, CONTACT], ["me@example.com", "me@example.com"]]) {
    const result = await parseConfig(config(given), "/c.json", DEPS);
    assert.ok(result.ok, result.ok ? "" : result.errors.join("\n"));
    const contacts = result.config.providers.map((p) =>
      p.kind === "dyndns2" ? p.userAgentContact : "-"
    );
    assert.deepEqual(contacts, [used, used, "-"]);
  }
});

Deno.test("userAgentContact: a bad one is an error naming the field", async () => {
  const cases: [unknown, string][] = [
    [
      "nobody",
      'userAgentContact: "nobody" is neither an e-mail address nor an http(s) URL; give one, like "you@example.com" or "https://example.com/you"',
    ],
    [
      42,
      'userAgentContact: expected an e-mail address or an http(s) URL like "you@example.com", found 42',
    ],
    [
      "",
      'userAgentContact: expected an e-mail address or an http(s) URL like "you@example.com", found ""',
    ],
    [
      ["me@example.com"],
      'userAgentContact: expected an e-mail address or an http(s) URL like "you@example.com", found a list',
    ],
  ];
  for (const [contact, error] of cases) {
    const result = await parseConfig(config(contact), "/c.json", DEPS);
    assert.deepEqual(result.ok ? [] : result.errors, [error], JSON.stringify(contact));
  }
});
