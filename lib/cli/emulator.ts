/**
 * `dnsbeat emulator`: the built-in No-IP and DynamIP server emulator on 127.0.0.1, for trying
 * dnsbeat (or another client) without an account. Runs until SIGINT/SIGTERM.
 *
 * @module
 */
import { ExitCode } from "../exit_codes.ts";
import { loadAccounts, startEmulator } from "../emulator/mod.ts";
import { demoAccounts } from "./demo.ts";
import { type Command } from "./command.ts";

/** The `emulator` command. */
export const emulator: Command = {
  summary: "serve the No-IP and DynamIP emulator on 127.0.0.1 (no account needed)",
  usage: "[--port N] [--accounts FILE] [--lenient-agent]",
  options: {
    port: { type: "string" },
    accounts: { type: "string" },
    "lenient-agent": { type: "boolean" },
  },
  async run(values, _positionals, env, signal) {
    const port = values.port === undefined ? 8245 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      env.out(
        `--port: expected a port number from 0 to 65535, found ${JSON.stringify(values.port)}\n`,
      );
      return ExitCode.Usage;
    }
    let accounts = demoAccounts(env.clock.now());
    if (typeof values.accounts === "string") {
      const loaded = await loadAccounts(values.accounts);
      if ("error" in loaded) {
        env.out(`--accounts ${values.accounts}: ${loaded.error}\n`);
        return ExitCode.Usage;
      }
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
      `dnsbeat emulator on ${server.url}: No-IP at ${server.url}/nic/update, DynamIP at ${server.url}/Login/updateip.asp, IP echo at ${server.url}/ip. Ctrl-C ends it.\n`,
    );
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      signal.addEventListener("abort", () => resolve(), { once: true });
    });
    await server.close();
    return ExitCode.Ok;
  },
};
