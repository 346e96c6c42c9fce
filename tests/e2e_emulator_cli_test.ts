/**
 * Black-box: `dnsbeat emulator` as a child process with the shipped permissions. Without
 * `--accounts` it prints the demo accounts, passwords included (they are public), and a config
 * that dnsbeat runs against it as printed; with `--accounts` it prints none of the file's
 * passwords; a bad flag is a usage error on standard error.
 */
import assert from "node:assert/strict";
import { ExitCode } from "../lib/exit_codes.ts";
import { dnsbeat, spawnDnsbeat } from "./helpers/sandbox.ts";
import { startDnsServer } from "./helpers/dns_server.ts";
import { finish, watch } from "./helpers/lines.ts";
import { tempDir } from "./helpers/temp_dir.ts";

Deno.test("emulator: prints the demo accounts and a config that works against it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dnsbeat-emulator-cli-" });
  const dns = await startDnsServer();
  const emulator = watch(spawnDnsbeat(["emulator", "--port", "0"]));
  try {
    const first = await emulator.stdout.waitFor(/^dnsbeat emulator on /);
    const url = /^dnsbeat emulator on (http:\/\/127\.0\.0\.1:\d+): /.exec(first)![1]!;
    await emulator.stdout.waitFor(/^}$/);
    const out = emulator.stdout.text;
    assert.match(out, /^Demo accounts \(built in, public: for trying dnsbeat only; /m);
    assert.match(
      out,
      /^ {2}No-IP {4}username demo@example\.com, password demo-noip-password, hosts home\.ddns\.net, nas\.ddns\.net$/m,
    );
    assert.match(out, /^ {2}DynamIP {2}site George, password demo-dynamip-password, expires \S+$/m);
    assert.match(
      out,
      /^ {2}Cloudflare {2}API token demo-cloudflare-token, zone example\.com, records home\.example\.com \(A\)$/m,
    );
    assert.match(
      out,
      new RegExp(`^  ${url}/ip tells a client on 127\\.0\\.0\\.1 .* 81\\.2\\.69\\.142`, "m"),
    );
    assert.match(out, /save it as dnsbeat-emulator\.json, chmod 600 dnsbeat-emulator\.json/);

    // The config as printed; only the state's place and the resolver change, so that the test
    // leaves nothing in the working directory and asks no name server on the Internet.
    const printed = JSON.parse(out.slice(out.indexOf("\n{\n") + 1, out.lastIndexOf("\n}\n") + 2));
    assert.equal(printed.state, "dnsbeat-emulator-state.json");
    assert.deepEqual(printed.ipSources, [`${url}/ip`]);
    assert.deepEqual(
      printed.providers.map((p: Record<string, unknown>) => [p.type, p.name, p.server]),
      [["noip", "home", url], ["dynamip", "site", url], ["cloudflare", "cf", `${url}/client/v4`]],
    );
    const config = `${dir}/dnsbeat-emulator.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({ ...printed, state: `${dir}/state.json`, resolver: `127.0.0.1:${dns.port}` }),
      { mode: 0o600 },
    );
    const once = await dnsbeat(["once", "--config", config]);
    assert.equal(once.code, ExitCode.Ok, once.stderr);
    assert.equal(once.stderr, "");
    assert.match(once.stdout, /No-IP "home": home\.ddns\.net now points to 81\.2\.69\.142\./);
    assert.match(once.stdout, /No-IP "home": nas\.ddns\.net now points to 81\.2\.69\.142\./);
    assert.match(once.stdout, /DynamIP "site": George set to 81\.2\.69\.142/);
    assert.match(
      once.stdout,
      /Cloudflare "cf": the A record of home\.example\.com now holds 81\.2\.69\.142 \(it held 192\.0\.2\.1\)\./,
    );
    await emulator.stdout.waitFor(/\/nic\/update/);
    await emulator.stdout.waitFor(/\/Login\/updateip\.asp/);
    const status = await dnsbeat(["status", "--config", config]);
    assert.equal(status.code, ExitCode.Ok, status.stdout + status.stderr);

    emulator.child.kill("SIGTERM");
    const end = await finish(emulator);
    assert.equal(end.code, ExitCode.Ok, end.stderr);
    assert.equal(end.stderr, "");
  } finally {
    try {
      emulator.child.kill("SIGKILL");
    } catch {
      // It has ended already.
    }
    await finish(emulator);
    await dns.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("emulator --accounts: the file's passwords and the demo accounts are not printed", async () => {
  await using tmp = await tempDir("emulator-cli");
  const dir = tmp.path;
  const accounts = `${dir}/accounts.json`;
  await Deno.writeTextFile(
    accounts,
    JSON.stringify({
      noip: [{ username: "me@example.com", password: "file-noip-secret", hosts: ["x.ddns.net"] }],
      dynamip: [{ siteId: "Mine", password: "file-site-secret", expiry: "2030-01-01T00:00:00Z" }],
    }),
    { mode: 0o600 },
  );
  const emulator = watch(spawnDnsbeat(["emulator", "--port", "0", "--accounts", accounts]));
  await emulator.stdout.waitFor(/^dnsbeat emulator on /);
  emulator.child.kill("SIGTERM");
  const end = await finish(emulator);
  assert.equal(end.code, ExitCode.Ok, end.stderr);
  assert.doesNotMatch(end.stdout + end.stderr, /file-noip-secret|file-site-secret/);
  assert.doesNotMatch(end.stdout, /Demo accounts|demo-noip-password|"providers"/);
});

Deno.test("emulator: a bad --port or --accounts is a usage error on standard error", async () => {
  const port = await dnsbeat(["emulator", "--port", "99999"]);
  assert.equal(port.code, ExitCode.Usage);
  assert.equal(port.stdout, "");
  assert.match(
    port.stderr,
    /^dnsbeat emulator: --port: expected a port number from 0 to 65535, found "99999"\nUsage: dnsbeat emulator \[--port N\] \[--accounts FILE\] \[--lenient-agent\]\n$/,
  );
  const missing = await dnsbeat(["emulator", "--accounts", "/nonexistent/accounts.json"]);
  assert.equal(missing.code, ExitCode.Usage);
  assert.equal(missing.stdout, "");
  assert.match(
    missing.stderr,
    /^dnsbeat emulator: --accounts: \/nonexistent\/accounts\.json: cannot read the accounts file/,
  );
});
