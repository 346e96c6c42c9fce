/**
 * `dnsbeat check`: validates the config and says what dnsbeat would do with it, secrets masked:
 * of each password only where it came from, how it was read and its length.
 *
 * @module
 */
import type { Config } from "../config/types.ts";
import { load, peekState } from "../app.ts";
import { describeSource } from "../net/detect.ts";
import { formatDuration } from "../config/duration.ts";
import { systemIp } from "../net/iface_read.ts";
import { natMessage } from "../net/nat.ts";
import { interfaceChoices, natSights } from "../net/network_notes.ts";
import { ExitCode } from "../exit_codes.ts";
import { machineUserAgent } from "../providers/dyndns2/account.ts";
import { kindOf } from "../providers/mod.ts";
import { describeSink } from "../notify/secrets.ts";
import { stopOf } from "../state/resume.ts";
import { CONTACT } from "../version.ts";
import { type Command, globalOptions } from "./command.ts";

/** The interfaces as the system lists them (no request leaves for this). */
const LOCAL = { ip: systemIp, networkInterfaces: () => Deno.networkInterfaces() };

/** The `check` command. */
export const check: Command = {
  summary: "validate the config and print what would be done (secrets masked)",
  usage: "[--config PATH] [--state PATH]",
  options: {},
  async run(values, _positionals, env) {
    const loaded = await load(globalOptions(values), env);
    if (typeof loaded === "number") return loaded;
    const { config, statePath } = loaded;
    const state = await peekState(loaded, env);
    if (typeof state === "number") return state;
    const lines = [
      `config ${config.path} is valid.`,
      `state file: ${statePath}`,
      `IPv4 sources: ${config.ipv4Sources.map(describeSource).join(", ")}`,
      `IPv6 sources: ${config.ipv6Sources.map(describeSource).join(", ")}`,
      ...(await interfaceChoices(config, state, LOCAL)).map((line) => `  ${line}`),
      ...(await natSights(config, state, LOCAL)).map((sight) => `NOTE: ${natMessage(sight)}`),
      `request timeout: ${formatDuration(config.timeoutMs)}`,
      ...userAgentLine(config),
    ];
    for (const p of config.providers) {
      lines.push(kindOf(p).describe(p));
      for (const source of kindOf(p).secretSources(p)) lines.push(`  ${source}`);
      const stop = stopOf(state, p);
      if (stop !== null) {
        const changed = stop.fingerprint !== p.fingerprint;
        lines.push(
          `  stopped since ${stop.at} (${stop.code}${
            stop.hosts.length ? ` for ${stop.hosts.join(", ")}` : ""
          })${
            changed
              ? ": the config changed since, so the next run lifts the stop"
              : "; see `dnsbeat status`"
          }.`,
        );
      }
    }
    lines.push(
      config.notify.sinks.length === 0
        ? 'notifications: none (see "notify" in the README)'
        : `notifications (failing after ${formatDuration(config.notify.failingAfterMs)}):`,
      ...config.notify.sinks.map((sink) => `  ${describeSink(sink)}`),
    );
    env.out(lines.join("\n") + "\n");
    return ExitCode.Ok;
  },
};

/** The User-Agent of DynDNS2 updates and whose contact it names; none without such a provider. */
function userAgentLine(config: Config): string[] {
  const contact = config.providers.map((p) => kindOf(p).contact(p)).find((c) => c !== null);
  if (contact === undefined || contact === null) return [];
  return [
    `User-Agent of DynDNS2 updates: ${machineUserAgent(contact)} (contact ${contact}: ${
      contact === CONTACT
        ? 'dnsbeat\'s maintainers, the default; set "userAgentContact" to give yours'
        : 'from "userAgentContact"'
    })`,
  ];
}
