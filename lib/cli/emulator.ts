/**
 * `dnsbeat emulator`: the built-in No-IP, DynamIP and Cloudflare API emulator on 127.0.0.1, for trying
 * dnsbeat (or another client) without an account. Runs until SIGINT/SIGTERM. Without
 * `--accounts` it knows the demo accounts of `dnsbeat demo`, and prints them (their passwords are
 * public) with a config that points dnsbeat at it; the passwords of an accounts file are never
 * printed.
 *
 * @module
 */
import { iso } from "../state/moment.ts";
import { ExitCode } from "../exit_codes.ts";
import { type Accounts, loadAccounts, startEmulator } from "../emulator/mod.ts";
import { writeAll } from "../log/mod.ts";
import { demoAccounts } from "./demo.ts";
import { type Command } from "./command.ts";

const USAGE = "[--port N] [--accounts FILE] [--lenient-agent]";
/** The file name the printed config suggests, and the state file it names. */
const CONFIG_FILE = "dnsbeat-emulator.json";
const STATE_FILE = "dnsbeat-emulator-state.json";

/**
 * What the emulator says about the built-in demo accounts at start: each account with its
 * password, the address it echoes, and a config for dnsbeat against the emulator at `url`.
 */
function demoAccountsText(accounts: Accounts, url: string): string {
  const lines = [
    "Demo accounts (built in, public: for trying dnsbeat only; --accounts FILE sets your own):",
    ...accounts.noip.map((a) =>
      `  No-IP    username ${a.username}, password ${a.password}, hosts ${a.hosts.join(", ")}`
    ),
    ...accounts.dynamip.map((s) =>
      `  DynamIP  site ${s.siteId}, password ${s.password}, expires ${iso(s.expiry)}`
    ),
    ...(accounts.cloudflare?.tokens ?? []).map((t) =>
      `  Cloudflare  API token ${t.token}, zone ${t.zones.join(", ")}, records ${
        (accounts.cloudflare?.zones ?? []).filter((z) => t.zones.includes(z.name))
          .flatMap((z) => z.records.map((r) => `${r.name} (${r.type})`)).join(", ")
      }`
    ),
    `  ${url}/ip tells a client on 127.0.0.1 that its public address is ${accounts.echoIp.ipv4}${
      accounts.echoIp.ipv6 ? ` (IPv6 ${accounts.echoIp.ipv6})` : ""
    }.`,
    "",
    `A config for dnsbeat against this emulator: save it as ${CONFIG_FILE}, chmod 600 ${CONFIG_FILE}, then run`,
    `dnsbeat once --config ${CONFIG_FILE} (or dnsbeat run, dnsbeat status with the same --config).`,
    JSON.stringify(demoConfig(accounts, url), null, 2),
    "",
  ];
  return lines.join("\n") + "\n";
}

/**
 * A dnsbeat config naming the demo accounts at the emulator at `url` (one of each kind, so the
 * names of `dnsbeat demo` fit).
 */
function demoConfig(accounts: Accounts, url: string) {
  return {
    state: STATE_FILE,
    ipSources: [`${url}/ip`],
    providers: [
      ...accounts.noip.map((a) => ({
        type: "noip",
        name: "home",
        username: a.username,
        password: a.password,
        hostnames: a.hosts,
        server: url,
      })),
      ...accounts.dynamip.map((s) => ({
        type: "dynamip",
        name: "site",
        siteId: s.siteId,
        password: s.password,
        server: url,
      })),
      ...(accounts.cloudflare?.tokens ?? []).map((t) => ({
        type: "cloudflare",
        name: "cf",
        token: t.token,
        hostnames: (accounts.cloudflare?.zones ?? []).filter((z) => t.zones.includes(z.name))
          .flatMap((z) => z.records.map((r) => r.name)),
        server: `${url}/client/v4`,
      })),
    ],
    notify: [{
      type: "webhook",
      name: "emulator",
      url: `${url}/notify`,
      body: "{{title}}: {{message}}",
    }],
  };
}

/** The `emulator` command. */
export const emulator: Command = {
  summary: "serve the No-IP and DynamIP emulator on 127.0.0.1 (no account needed)",
  usage: USAGE,
  options: {
    port: { type: "string" },
    accounts: { type: "string" },
    "lenient-agent": { type: "boolean" },
  },
  async run(values, _positionals, env, signal) {
    const usageError = (text: string) => {
      writeAll(Deno.stderr, `dnsbeat emulator: ${text}\nUsage: dnsbeat emulator ${USAGE}\n`);
      return ExitCode.Usage;
    };
    const port = values.port === undefined ? 8245 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      return usageError(
        `--port: expected a port number from 0 to 65535, found ${JSON.stringify(values.port)}`,
      );
    }
    const file = typeof values.accounts === "string" ? values.accounts : null;
    let accounts = demoAccounts(env.clock.now());
    if (file !== null) {
      const loaded = await loadAccounts(file);
      if ("error" in loaded) return usageError(`--accounts: ${loaded.error}`);
      accounts = loaded;
    }
    const server = await startEmulator({
      accounts,
      clock: env.clock,
      port,
      strictAgent: !values["lenient-agent"],
      onRequest: (line) => env.out(line + "\n"),
    });
    env.out(
      `dnsbeat emulator on ${server.url}: No-IP at ${server.url}/nic/update, DynamIP at ${server.url}/Login/updateip.asp, Cloudflare's API at ${server.url}/client/v4, IP echo at ${server.url}/ip. Ctrl-C ends it.\n`,
    );
    if (file === null) env.out(demoAccountsText(accounts, server.url));
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await server.close();
    return ExitCode.Ok;
  },
};
