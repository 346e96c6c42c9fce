/**
 * Hostile servers, black-box: `dnsbeat once` (main.ts as a child with the shipped permissions)
 * against the emulator's faults and small dedicated servers on 127.0.0.1. For every case: the exit
 * code, the class `status --json` shows (stop, back-off, 30-minute wait), no success recorded for
 * a host without a well-formed success line of its own, and a message that says what to do.
 *
 * Unit-level companions: tests/http_test.ts (httpGet against hostile sockets), and the reply
 * tables and properties in tests/noip_protocol_test.ts and tests/dynamip_protocol_test.ts.
 */
import assert from "node:assert/strict";
import type { DynamipStatus, Dyndns2Status, StatusReport } from "../lib/providers/report.ts";
import { MINUTE } from "../lib/config/duration.ts";
import type { Fault } from "../lib/emulator/mod.ts";
import { ExitCode } from "../lib/exit_codes.ts";
import { ECHO_IP, NEW_IP, NOIP_HOSTS, NOIP_USER } from "./helpers/fixtures.ts";
import { type Sandbox, sandbox } from "./helpers/sandbox.ts";
import { report } from "./helpers/report.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const NOIP_PASSWORD = "hostile-N0ip-pw";
const DYNAMIP_PASSWORD = "hostile-Dyn-pw";

/** A server on 127.0.0.1 that counts what reaches it. */
interface TestServer extends AsyncDisposable {
  url: string;
  /** Paths requested, and whether each carried an Authorization header. */
  hits: { path: string; authorization: boolean }[];
  close(): Promise<void>;
}

function serve(
  handler: (req: Request) => Response,
  tls?: { cert: string; key: string },
): TestServer {
  const hits: TestServer["hits"] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {}, ...tls }, (req) => {
    const url = new URL(req.url);
    hits.push({ path: url.pathname, authorization: req.headers.has("authorization") });
    return handler(req);
  });
  return {
    url: `${tls ? "https" : "http"}://127.0.0.1:${server.addr.port}`,
    hits,
    close: () => server.shutdown(),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}

/** A self-signed certificate for 127.0.0.1 made with openssl, or why none could be made. */
async function selfSignedCert(
  dir: string,
): Promise<{ cert: string; key: string; certFile: string } | string> {
  const certFile = `${dir}/cert.pem`;
  const keyFile = `${dir}/key.pem`;
  try {
    const out = await new Deno.Command("openssl", {
      args: [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"],
        ...["-nodes", "-keyout", keyFile, "-out", certFile, "-days", "2", "-subj", "/CN=127.0.0.1"],
        ...["-addext", "subjectAltName=IP:127.0.0.1"],
        ...["-addext", "basicConstraints=critical,CA:FALSE"],
        ...["-addext", "extendedKeyUsage=serverAuth"],
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) return `openssl failed: ${new TextDecoder().decode(out.stderr).trim()}`;
  } catch (e) {
    return `openssl is not available (${e instanceof Error ? e.name : String(e)})`;
  }
  return {
    cert: await Deno.readTextFile(certFile),
    key: await Deno.readTextFile(keyFile),
    certFile,
  };
}

interface NoipCase {
  name: string;
  /** A fault for the emulator, or a server of the case's own (its URL becomes `server`). */
  fault?: Fault;
  server?: () => TestServer;
  code: ExitCode;
  /** stop: every host not confirmed is stopped with `stop`; backoff; wait: 30 minutes. */
  class: "stop" | "backoff" | "wait";
  stop?: string;
  /** Hosts whose own line is a well-formed success (all others must keep the old record). */
  confirmed?: string[];
  /** What the message must say. */
  message: RegExp;
  /** Env of the child (a CA certificate). */
  env?: Record<string, string>;
}

const NOT_UNDERSTOOD =
  /the reply is not one that No-IP documents.*Check `server` of this provider in the config.*then run `dnsbeat resume home`/;
const SERVER_FAILED =
  /the server failed \(HTTP 5xx\).*Nothing to do: dnsbeat tries again in 30 minutes/;
const NO_REPLY = /no reply \(.*\)\. It may have reached No-IP, so it counts as sent/;

/** Runs one case on a fresh copy of the seeded state, checks what it left, prints its time. */
async function noipCase(s: Sandbox, seed: string, c: NoipCase): Promise<void> {
  const state = `${s.dir}/${c.name.replace(/\W+/g, "-")}.json`;
  const own = c.server?.();
  // The seeded entry, under the identity of the server this case talks to.
  const seeded = JSON.parse(seed);
  const entry = Object.values(seeded.providers)[0];
  seeded.providers = { [`dyndns2 ${own?.url ?? s.server.url} ${NOIP_USER}`]: entry };
  await Deno.writeTextFile(state, JSON.stringify(seeded), { mode: 0o600 });
  try {
    await s.writeConfig(
      [s.noip({ hostnames: [...NOIP_HOSTS], server: own?.url ?? s.server.url })],
      {
        timeout: "1s",
      },
    );
    if (c.fault) s.server.emulator.pushFault(c.fault);
    const before = s.noipRequests();
    const started = performance.now();
    const r = await s.run(["once", "--state", state], { env: c.env });
    const elapsed = Math.round(performance.now() - started);
    const out = r.stdout + r.stderr;
    assert.equal(r.code, c.code, `${c.name}: ${out}`);
    assert.match(r.stderr, c.message, c.name);
    assertNoSecret(out, NOIP_PASSWORD, `${c.name}: the output`);
    assert.doesNotMatch(out, /^\s+at /m, `${c.name}: a stack trace`);
    if (c.fault) assert.equal(s.noipRequests(), before + 1, `${c.name}: one request`);

    const status = await s.run(["status", "--json", "--state", state]);
    const shown = JSON.parse(status.stdout) as StatusReport;
    const p = shown.providers[0] as Dyndns2Status;
    const hosts = (entry as { hosts: Record<string, { success: { at: string } }> }).hosts;
    const now = Date.parse(shown.now);
    for (const h of p.hosts) {
      if (c.confirmed?.includes(h.hostname)) {
        assert.deepEqual(h.sent, [NEW_IP], `${c.name}: ${h.hostname} confirmed`);
        continue;
      }
      assert.deepEqual(h.sent, [ECHO_IP], `${c.name}: ${h.hostname} keeps its last address`);
      assert.equal(h.lastSuccess, hosts[h.hostname]!.success.at, `${c.name}: ${h.hostname}`);
    }
    if (c.class === "stop") {
      assert.equal(p.stop?.code, c.stop, `${c.name}: stopped`);
      assert.equal(p.nextCheck, null);
    } else assert.equal(p.stop, null, `${c.name}: not stopped`);
    if (c.class === "wait") {
      const wait = Date.parse(p.wait?.until ?? "") - now;
      assert.ok(wait > 29 * MINUTE && wait <= 30 * MINUTE, `${c.name}: waits ${wait} ms`);
    } else assert.equal(p.wait, null, `${c.name}: no 30-minute wait`);
    if (c.class === "backoff") {
      assert.ok(Date.parse(p.backoff?.until ?? "") > now, `${c.name}: backing off`);
    } else assert.equal(p.backoff, null, `${c.name}: no back-off`);
    assert.equal(status.code, c.class === "stop" ? ExitCode.Stopped : ExitCode.Failure);
    if (own) assert.equal(own.hits.length > 0, true, `${c.name}: the case's server was asked`);
    report(`hostile No-IP ${c.name}: exit ${r.code}, ${c.class}, ${elapsed} ms`);
  } finally {
    await own?.close();
  }
}

const bytes = (...parts: (string | number[])[]) =>
  new Uint8Array(
    parts.flatMap((p) => typeof p === "string" ? [...new TextEncoder().encode(p)] : p),
  );

Deno.test("No-IP: hostile replies never count as success; each gets its class and a fix", async () => {
  const s = await sandbox({ noipPassword: NOIP_PASSWORD });
  const tmp = await Deno.makeTempDir({ prefix: "dnsbeat-hostile-" });
  const elsewhere = serve(() => new Response("good 81.2.69.160\ngood 81.2.69.160"));
  try {
    // A previous success for both hosts; then the address changes, so an update is due.
    await s.writeConfig([s.noip({ hostnames: [...NOIP_HOSTS] })]);
    const seeded = await s.run(["once"]);
    assert.equal(seeded.code, ExitCode.Ok, seeded.stderr);
    const seed = await Deno.readTextFile(s.state);
    s.server.emulator.setEchoIp(NEW_IP);

    const cases: NoipCase[] = [
      {
        name: "huge body (10 MB)",
        fault: { kind: "huge", bytes: 10_000_000 },
        code: ExitCode.Stopped,
        class: "stop",
        stop: "unrecognised",
        message: NOT_UNDERSTOOD,
      },
      {
        name: "hang",
        fault: { kind: "hang" },
        code: ExitCode.Failure,
        class: "backoff",
        message: /no reply \(no complete reply within 1s\)\. It may have reached No-IP/,
      },
      {
        name: "trickle (1 byte / 300 ms)",
        fault: { kind: "trickle", intervalMs: 300 },
        code: ExitCode.Failure,
        class: "backoff",
        message: /no reply \(no complete reply within 1s\)/,
      },
      {
        name: "dropped after headers",
        fault: { kind: "close" },
        code: ExitCode.Failure,
        class: "backoff",
        message: NO_REPLY,
      },
      {
        name: "empty reply",
        fault: { kind: "code", body: "" },
        code: ExitCode.Stopped,
        class: "stop",
        stop: "unrecognised",
        message: NOT_UNDERSTOOD,
      },
      {
        name: "HTML page",
        fault: { kind: "html" },
        code: ExitCode.Stopped,
        class: "stop",
        stop: "unrecognised",
        message: NOT_UNDERSTOOD,
      },
      {
        name: "401",
        fault: { kind: "status", status: 401 },
        code: ExitCode.Stopped,
        class: "stop",
        stop: "badauth",
        message: /Fix `username` and password .*then run `dnsbeat resume home`/,
      },
      {
        name: "403",
        fault: { kind: "status", status: 403, body: "Forbidden" },
        code: ExitCode.Stopped,
        class: "stop",
        stop: "http403",
        message: /contact No-IP support .*`dnsbeat resume home`/,
      },
      {
        name: "429",
        fault: { kind: "status", status: 429 },
        code: ExitCode.Failure,
        class: "wait",
        message: /tries again in 30 minutes; if it keeps happening, make sure no other client/,
      },
      {
        name: "500",
        fault: { kind: "status", status: 500 },
        code: ExitCode.Failure,
        class: "wait",
        message: SERVER_FAILED,
      },
      {
        name: "503 HTML",
        fault: { kind: "status", status: 503, body: "<h1>Service Unavailable</h1>" },
        code: ExitCode.Failure,
        class: "wait",
        message: SERVER_FAILED,
      },
      {
        name: "503 with good lines",
        fault: { kind: "status", status: 503, body: "good 81.2.69.160\ngood 81.2.69.160" },
        code: ExitCode.Failure,
        class: "wait",
        message: /\(reply: HTTP 503: "good 81\.2\.69\.160 good 81\.2\.69\.160"\)\. Nothing to do/,
      },
      {
        name: "fewer lines than hosts",
        fault: { kind: "code", body: "good 81.2.69.160" },
        code: ExitCode.Stopped,
        class: "stop",
        stop: "unrecognised",
        confirmed: ["a.ddns.net"],
        message: NOT_UNDERSTOOD,
      },
      {
        name: "more lines than hosts",
        fault: { kind: "code", body: "good 81.2.69.160\ngood 81.2.69.160\ngood 81.2.69.160" },
        code: ExitCode.Stopped,
        class: "stop",
        stop: "unrecognised",
        message: NOT_UNDERSTOOD,
      },
      {
        name: "mixed good and nohost",
        fault: { kind: "code", body: "good 81.2.69.160\nnohost" },
        code: ExitCode.Stopped,
        class: "stop",
        stop: "nohost",
        confirmed: ["a.ddns.net"],
        message: /nohost for b\.ddns\.net.*Fix `hostnames`.*`dnsbeat resume home`/,
      },
      {
        name: "mixed good and 911",
        fault: { kind: "code", body: "good 81.2.69.160\n911" },
        code: ExitCode.Failure,
        class: "wait",
        message: /911.*tries again in 30 minutes/,
      },
      {
        name: "wrong case and extra blanks",
        fault: { kind: "code", body: "GOOD 81.2.69.160\ngood  81.2.69.160" },
        code: ExitCode.Stopped,
        class: "stop",
        stop: "unrecognised",
        message: NOT_UNDERSTOOD,
      },
      {
        name: "redirect to another server",
        fault: { kind: "redirect", location: `${elsewhere.url}/nic/update?hostname=a.ddns.net` },
        code: ExitCode.Stopped,
        class: "stop",
        stop: "unrecognised",
        message: /redirected to another server, which would receive the credentials/,
      },
      {
        name: "invalid UTF-8",
        server: () =>
          serve(() =>
            new Response(bytes("good ", [0xff], "81.2.69.160\nnochg 81.2.69.160", [0xc3, 0x28]))
          ),
        code: ExitCode.Stopped,
        class: "stop",
        stop: "unrecognised",
        message: NOT_UNDERSTOOD,
      },
      {
        name: "invalid UTF-8 only",
        server: () => serve(() => new Response(bytes([0xff, 0xfe, 0x80, 0xc0, 0xaf, 0xed, 0xa0]))),
        code: ExitCode.Stopped,
        class: "stop",
        stop: "unrecognised",
        message: NOT_UNDERSTOOD,
      },
    ];
    for (const c of cases) await noipCase(s, seed, c);
    assert.deepEqual(elsewhere.hits, [], "the other server never received a request");

    const cert = await selfSignedCert(tmp);
    if (typeof cert === "string") {
      report(`hostile No-IP https→http redirect: skipped, ${cert}`);
      return;
    }
    await using plain = serve(() => new Response("good 81.2.69.160\ngood 81.2.69.160"));
    await noipCase(s, seed, {
      name: "https redirected to http",
      server: () =>
        serve(
          () =>
            new Response(null, {
              status: 302,
              headers: { location: `${plain.url}/nic/update?hostname=a.ddns.net` },
            }),
          { cert: cert.cert, key: cert.key },
        ),
      env: { DENO_CERT: cert.certFile },
      code: ExitCode.Stopped,
      class: "stop",
      stop: "unrecognised",
      message: /redirected from https:\/\/ to plain http:\/\//,
    });
    assert.deepEqual(plain.hits, [], "nothing went out over plain http");
  } finally {
    await elsewhere.close();
    await s.close();
    await Deno.remove(tmp, { recursive: true });
  }
});

interface DynamipCase {
  name: string;
  fault?: Fault;
  server?: () => TestServer;
  message: RegExp;
  /** The error title that stops the beats (an error block: the user must act). */
  stops?: string;
}

Deno.test("DynamIP: hostile replies are never a beat; the attempt still counts for the floor", async () => {
  await using s = await sandbox({ dynamipPassword: DYNAMIP_PASSWORD });
  await using elsewhere = serve(() => new Response("IP Address for George set to 81.2.69.142"));
  const success = "IP Address for George set to 81.2.69.142\r\nExpiry[[[4/2/2030 5:24:41 PM]]]";
  const REJECTED = /the beat was not confirmed: .*check "server" of provider "site" in /;
  const cases: DynamipCase[] = [
    { name: "HTML page", fault: { kind: "html" }, message: REJECTED },
    { name: "huge body", fault: { kind: "huge", bytes: 10_000_000 }, message: REJECTED },
    { name: "empty reply", fault: { kind: "code", body: "" }, message: REJECTED },
    {
      name: "503 with a success body",
      fault: { kind: "status", status: 503, body: success },
      message: /not confirmed: HTTP 503/,
    },
    {
      name: "401 with a success body",
      fault: { kind: "status", status: 401, body: success },
      message: /not confirmed: HTTP 401/,
    },
    {
      name: "success line with an invalid address",
      fault: { kind: "code", body: "IP Address for George set to 999.1.2.3" },
      message: REJECTED,
    },
    {
      name: "unknown error title",
      fault: { kind: "code", body: `{{{Server Busy|Try later}}}\r\n${success}` },
      message: /DynamIP says "Server Busy" for site George: .*Beats of provider "site" are stopped/,
      stops: "Server Busy",
    },
    {
      name: "redirect to another server",
      fault: { kind: "redirect", location: `${elsewhere.url}/Login/updateip.asp` },
      message: /redirected to another server/,
    },
    {
      name: "dropped after headers",
      fault: { kind: "close" },
      message: /may have reached DynamIP but no reply came .*It counts as sent/,
    },
    {
      name: "invalid UTF-8",
      server: () =>
        serve(() => new Response(bytes("IP Address for George set to 81.2.69.", [0xff], "142"))),
      message: REJECTED,
    },
  ];
  for (const c of cases) {
    const state = `${s.dir}/${c.name.replace(/\W+/g, "-")}.json`;
    const own = c.server?.();
    try {
      await s.writeConfig([s.dynamip({ server: own?.url ?? s.server.url })]);
      if (c.fault) s.server.emulator.pushFault({ ...c.fault, target: "dynamip" });
      const started = performance.now();
      const r = await s.run(["once", "--state", state]);
      const elapsed = Math.round(performance.now() - started);
      const out = r.stdout + r.stderr;
      assert.equal(r.code, c.stops ? ExitCode.Stopped : ExitCode.Failure, `${c.name}: ${out}`);
      assert.match(r.stderr, c.message, `${c.name}: ${r.stderr}`);
      assertNoSecret(out, DYNAMIP_PASSWORD, `${c.name}: the output`);
      const shown = JSON.parse((await s.run(["status", "--json", "--state", state])).stdout);
      const p = (shown as StatusReport).providers[0] as DynamipStatus;
      assert.equal(p.lastBeat, null, `${c.name}: no beat recorded`);
      assert.equal(p.lastIp, null, `${c.name}: no address recorded`);
      assert.equal(p.stop?.code ?? null, c.stops ?? null, `${c.name}: stopped or not`);
      assert.ok(p.lastRequestAt !== null, `${c.name}: the attempt counts for the floor`);
      if (c.stops) continue;
      const gap = Date.parse(p.nextBeat ?? "") - Date.parse(p.lastRequestAt);
      assert.ok(gap >= 15 * MINUTE - 1000, `${c.name}: next beat ${gap} ms after the attempt`);
      report(`hostile DynamIP ${c.name}: exit ${r.code}, no beat, ${elapsed} ms`);
    } finally {
      await own?.close();
    }
  }
  assert.deepEqual(elsewhere.hits, [], "the other server never received the password URL");
});
