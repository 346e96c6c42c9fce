/**
 * The masking rule (issue 10): a secret never enters a message, and only text from outside (a
 * server's reply, a redirect's location) is masked, shown in double quotes. So a password that is
 * an ordinary word, even one of dnsbeat's own, cannot show itself by where stars land: everything
 * dnsbeat prints with it equals what it prints with a random password of the same length, apart
 * from the quoted server text, and the quoted server text never holds it.
 *
 * The oracle knows only the rule, not dnsbeat's sentences: the same scenario (every kind of reply
 * No-IP and DynamIP can give, echoes of the credentials included; `status` and `check`) runs with
 * each password, and the outputs are compared.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import type { DynamipProvider, Dyndns2Provider } from "../lib/config/types.ts";
import { beatOnce } from "../lib/providers/dynamip/heartbeat.ts";
import { describeDynamip, dynamipStatus } from "../lib/providers/dynamip/report.ts";
import { NOIP } from "../lib/providers/dyndns2/profiles.ts";
import { basicCredentials } from "../lib/providers/dyndns2/protocol.ts";
import { describeDyndns2, dyndns2Status } from "../lib/providers/dyndns2/report.ts";
import { dyndns2Round } from "../lib/providers/dyndns2/round.ts";
import { MINUTE } from "../lib/config/duration.ts";
import type { HttpGetRequest, HttpResult } from "../lib/net/http.ts";
import { renderStatus } from "../lib/providers/report.ts";
import { kindOf } from "../lib/providers/mod.ts";
import { type DynamipState } from "../lib/providers/dynamip/entry.ts";
import { type Dyndns2State } from "../lib/providers/dyndns2/entry.ts";
import { testContext } from "./helpers/context.ts";

const USER = "me@example.com";
const CONFIG = "/etc/dnsbeat/config.json";
const never = new AbortController().signal;

/** What a server says to one request, given the credentials it received (it may echo them). */
type Reply = (pw: string) => HttpResult;
const body = (text: string, status = 200): HttpResult => ({
  kind: "reply",
  status,
  body: text,
  truncated: false,
});

/** Base64 of the UTF-8 bytes, as a server echoing a Basic header writes it. */
function base64(text: string): string {
  return btoa(String.fromCharCode(...new TextEncoder().encode(text)));
}

/** Every kind of No-IP reply, one per round, the address changing each round. */
const NOIP_REPLIES: Reply[] = [
  () => body("good 81.2.69.1"),
  () => body("nochg 81.2.69.2"),
  (pw) => body(`oops: you sent ${pw} and Authorization: Basic ${base64(`${USER}:${pw}`)}`),
  (pw) => body(`<h1>Error</h1> password=${encodeURIComponent(pw)}`, 500),
  (pw) => ({
    kind: "redirect-refused",
    status: 302,
    location: `http://elsewhere.example/${encodeURIComponent(pw)}`,
    reason: "the server redirected to another server",
  }),
  () => body("911"),
  () => body("good 81.2.69.7\nnohost"),
  () => body("badauth"),
];

/** Every kind of DynamIP reply, one per beat. */
const DYNAMIP_REPLIES: Reply[] = [
  () =>
    body("IP Address for George set to 81.2.69.1\nExpiry[[[4/2/2027 5:24:41 PM]]]\nRemain[[[50]]]"),
  (pw) => body(`IP Address for George set to 81.2.69.1\nEcho[[[${pw}]]]\nRemain[[[-3]]]`),
  (pw) => body(`{{{Update Refused|You sent Password=${pw} too often.}}}`),
  (pw) => body(`Server error for ${pw}`, 503),
  (pw) => body(`<html>${pw}</html>`),
  (pw) => body(`{{{Invalid UserID/Password|The password ${pw} is wrong.}}}`),
];

/** Lifts every stop, as `dnsbeat resume` does. */
function resumeAll(
  t: { ctx: { store: { state: { providers: Record<string, { stop: unknown }> } } } },
) {
  for (const entry of Object.values(t.ctx.store.state.providers)) entry.stop = null;
}

/**
 * Everything dnsbeat prints in the scenario with password `pw`: its text (log lines, `check`
 * lines, the `status` text) and the `status --json` documents.
 */
async function outputs(pw: string): Promise<{ text: string[]; json: string[] }> {
  const printed: string[] = [];
  const json: string[] = [];
  const requests: HttpGetRequest[] = [];
  const noip: Dyndns2Provider = {
    kind: "dyndns2",
    profile: NOIP,
    key: `dyndns2 http://127.0.0.1:9 ${USER}`,
    name: "home",
    username: USER,
    password: pw,
    passwordSource: "password inline in the config",
    userAgentContact: "dnsbeat@users.noreply.github.com",
    hostnames: ["a.ddns.net", "b.ddns.net"],
    server: "http://127.0.0.1:9",
    serverAsWritten: "http://127.0.0.1:9",
    families: ["ipv4"],
    intervalMs: 5 * MINUTE,
    forceRefreshMs: 0,
    fingerprint: "fp",
  };
  let n = 0;
  const a = testContext({
    httpGet: (r) => {
      requests.push(r);
      return Promise.resolve(NOIP_REPLIES[Math.min(n++, NOIP_REPLIES.length - 1)]!(pw));
    },
    detect: () => Promise.resolve({ kind: "found", ip: `81.2.69.${n + 1}`, source: "test" }),
  });
  for (let i = 0; i < NOIP_REPLIES.length + 1; i++) {
    // The user resumes after each stop, so that every reply is met.
    resumeAll(a);
    await dyndns2Round(a.ctx, noip, never);
    a.clock.pass(31 * MINUTE);
  }
  printed.push(...a.logs);
  const dyn = a.ctx.store.state.providers[noip.key] as Dyndns2State;
  const noipStatus = dyndns2Status(noip, dyn, CONFIG, a.clock, new Map());
  printed.push(describeDyndns2(noip));
  json.push(JSON.stringify(noipStatus));

  const site: DynamipProvider = {
    kind: "dynamip",
    key: "dynamip http://127.0.0.1:9 George",
    name: "site",
    siteId: "George",
    password: pw,
    passwordSource: "password inline in the config",
    ip: "auto",
    server: "http://127.0.0.1:9",
    serverAsWritten: "http://127.0.0.1:9",
    fingerprint: "fp",
  };
  let m = 0;
  const b = testContext({
    httpGet: (r) => {
      requests.push(r);
      return Promise.resolve(DYNAMIP_REPLIES[Math.min(m++, DYNAMIP_REPLIES.length - 1)]!(pw));
    },
  });
  for (let i = 0; i < DYNAMIP_REPLIES.length + 1; i++) {
    resumeAll(b);
    await beatOnce(b.ctx, site, never);
    b.clock.pass(16 * MINUTE);
  }
  printed.push(...b.logs);
  const beat = b.ctx.store.state.providers[site.key] as DynamipState;
  const siteStatus = dynamipStatus(site, beat, CONFIG, 15_000, b.clock);
  printed.push(describeDynamip(site));
  json.push(JSON.stringify(siteStatus));
  printed.push(
    renderStatus({
      state: "/var/lib/dnsbeat/state.json",
      now: "2026-01-01T00:00:00.000Z",
      resolver: "the system resolver",
      network: [],
      providers: [noipStatus, siteStatus],
      notify: [],
    }, (s, i) => kindOf([noip, site][i]!).render(s)),
  );
  assert.ok(
    requests.length >= NOIP_REPLIES.length + DYNAMIP_REPLIES.length - 2,
    "the scenario ran",
  );
  return { text: printed, json };
}

/** A JSON string literal: how outside text appears in a message. */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;

/** The quoted parts of text outputs, decoded. */
function quotedParts(lines: readonly string[]): string[] {
  return lines.flatMap((line) => (line.match(QUOTED) ?? []).map((m) => JSON.parse(m) as string));
}

/**
 * The fields of each `status --json` document (No-IP's, then DynamIP's) that hold a server's
 * words (masked, but not quoted). No-IP's `lastReply` is dnsbeat's: a code and parsed addresses.
 */
const SERVER_FIELDS: string[][] = [[], ["lastReply", "expiry"]];

/**
 * A `status --json` document with its server fields replaced by a marker, and each other string
 * compared as text is (quoted parts out).
 */
function structure(doc: string, index: number): unknown {
  return JSON.parse(
    doc,
    (key, value) =>
      SERVER_FIELDS[index]!.includes(key) && typeof value === "string"
        ? "«»"
        : typeof value === "string"
        ? unquoted([value])[0]
        : value,
  );
}

/** The server fields of `status --json` documents. */
function serverFields(docs: readonly string[]): string[] {
  const found: string[] = [];
  for (const [index, doc] of docs.entries()) {
    JSON.parse(doc, (key, value) => {
      if (SERVER_FIELDS[index]!.includes(key) && typeof value === "string") found.push(value);
      return value;
    });
  }
  return found;
}

/**
 * The outputs with every quoted part replaced by a marker, and times too (a back-off's jitter is
 * random).
 */
function unquoted(lines: readonly string[]): string[] {
  return lines.map((line) =>
    line.replace(QUOTED, "«»").replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, "«time»")
  );
}

/** Every word and path segment of what dnsbeat printed with a random password. */
async function ownWords(): Promise<string[]> {
  const { text, json } = await outputs("Zq8#xK2!vP");
  const lines = [...text, ...json];
  const words = new Set<string>();
  for (const line of lines) {
    for (const w of line.split(/[\s"(),;:.]+/)) if (w.length > 0) words.add(w);
    for (const w of line.split(/[^A-Za-z0-9]+/)) if (w.length > 0) words.add(w);
  }
  for (const w of ["No-IP", "DynamIP", "config.json", "/etc/dnsbeat", USER]) words.add(w);
  // A password made of the mask's own stars would be "held" by every mask.
  return [...words].filter((w) => !w.includes("Zq8") && !w.includes("vP") && !/^\**$/.test(w));
}

/** A password of `length` characters that appears in no message, reply or encoding of another. */
function randomLike(length: number, seed: number): string {
  const alphabet = "ǂǁǀʘ"; // click letters
  return Array.from({ length }, (_, i) => alphabet[(seed + i * 7) % alphabet.length]).join("");
}

Deno.test("masking: a password that is one of dnsbeat's own words changes nothing but quoted server text", async () => {
  const words = await ownWords();
  assert.ok(words.length > 100, `${words.length} words`);
  let checked = 0;
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...words), fc.nat(), async (pw, seed) => {
      const mine = await outputs(pw);
      const other = await outputs(randomLike(Array.from(pw).length, seed));
      const why = `password ${JSON.stringify(pw)}`;
      assert.deepEqual(unquoted(mine.text), unquoted(other.text), why);
      assert.deepEqual(mine.json.map(structure), other.json.map(structure), why);
      assert.equal(mine.text.length, other.text.length, why);
      // A quoted part that differs with the password is the server's echo: it must not hold it.
      const parts = [...quotedParts(mine.text), ...serverFields(mine.json)];
      const others = [...quotedParts(other.text), ...serverFields(other.json)];
      parts.forEach((part, i) => {
        if (part === others[i]) return;
        assert.ok(!part.includes(pw), `quoted server text ${JSON.stringify(part)} holds ${pw}`);
      });
      checked++;
    }),
    { numRuns: Math.min(words.length, 300) },
  );
  assert.ok(checked > 0);
});

Deno.test("masking: a random password appears nowhere, in no encoding", async () => {
  const password = fc.string({ minLength: 6, maxLength: 24, unit: "grapheme" }).filter((p) =>
    p.trim() === p && !p.includes("*")
  );
  await fc.assert(
    fc.asyncProperty(password, async (pw) => {
      const forms = [
        pw,
        encodeURIComponent(pw),
        new URLSearchParams({ p: pw }).toString().slice(2),
        base64(basicCredentials(USER, pw)),
      ];
      const { text, json } = await outputs(pw);
      for (const line of [...text, ...json]) {
        for (const form of forms) assert.ok(!line.includes(form), `${line} holds ${form}`);
      }
    }),
    { numRuns: 200 },
  );
});
