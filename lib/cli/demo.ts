/**
 * `dnsbeat demo`: dnsbeat at work with no account. Starts the built-in emulator on 127.0.0.1,
 * writes a temporary config and state, and runs the real commands against it while narrating:
 * an update, a restart that sends nothing, an address change, DynamIP's 15-minute beat, No-IP's
 * 911 wait, an error that stops updates across restarts, `resume`, and the same promise for another
 * service (deSEC).
 *
 * @module
 */
import type { Environment } from "../app.ts";
import type { Clock } from "../clock.ts";
import { BEAT_PERIOD_MS } from "../providers/dynamip/schedule.ts";
import type { DnsDeps } from "../net/dns.ts";
import { formatDuration, MINUTE } from "../config/duration.ts";
import { type Accounts, type Emulator, startEmulator } from "../emulator/mod.ts";
import { ExitCode } from "../exit_codes.ts";
import { createLogger } from "../log/mod.ts";
import { type Command, type Values } from "./command.ts";
import { once } from "./once.ts";
import { resume } from "./resume.ts";
import { status } from "./status.ts";

const NOIP_PASSWORD = "demo-noip-password";
const DYNAMIP_PASSWORD = "demo-dynamip-password";
const DESEC_TOKEN = "demo-desec-token";
const CLOUDFLARE_TOKEN = "demo-cloudflare-token";
/** The deSEC domain the demo adds at the end (the emulator's deSEC answers for it). */
const DESEC_DOMAIN = "home.dedyn.io";

/** The emulator's accounts for the demo (and for `dnsbeat emulator` without --accounts). */
export function demoAccounts(now: number): Accounts {
  return {
    noip: [{
      username: "demo@example.com",
      password: NOIP_PASSWORD,
      hosts: ["home.ddns.net", "nas.ddns.net"],
      groups: {},
      donator: false,
    }],
    dynamip: [{
      siteId: "George",
      password: DYNAMIP_PASSWORD,
      expiry: now + 60 * 24 * 60 * MINUTE,
    }],
    cloudflare: {
      zones: [{
        id: "d0000000000000000000000000000001",
        name: "example.com",
        records: [{
          id: "d0000000000000000000000000000002",
          type: "A",
          name: "home.example.com",
          content: "192.0.2.1",
          ttl: 1,
          proxied: false,
        }],
      }],
      tokens: [{
        token: CLOUDFLARE_TOKEN,
        label: "token 1",
        zones: ["example.com"],
        zoneRead: true,
        dnsEdit: true,
      }],
    },
    echoIp: { ipv4: "81.2.69.142", ipv6: "2a02:1810::1" },
  };
}

/** A clock the demo moves forward (both readings), to show what happens 15 or 30 minutes later. */
function travellingClock(base: Clock): Clock & { travel(ms: number): void } {
  let offset = 0;
  return {
    now: () => base.now() + offset,
    mono: () => base.mono() + offset,
    bootId: base.bootId,
    sleep: (ms, signal) => base.sleep(ms, signal),
    travel: (ms) => {
      offset += ms;
    },
  };
}

/** The `demo` command. */
export const demo: Command = {
  summary: "see dnsbeat work against the built-in emulator (no account, nothing leaves 127.0.0.1)",
  usage: "",
  options: {},
  async run(_values, _positionals, env, signal) {
    const clock = travellingClock(env.clock);
    const accounts = demoAccounts(clock.now());
    // The demo's own deSEC account, for its last steps (not one of the printed demo accounts).
    accounts.noip.push({
      username: DESEC_DOMAIN,
      password: DESEC_TOKEN,
      hosts: [DESEC_DOMAIN],
      groups: {},
      donator: false,
    });
    const server = await startEmulator({ accounts, clock, port: 0 });
    const dir = await Deno.makeTempDir({ prefix: "dnsbeat-demo-" });
    try {
      const configPath = `${dir}/config.json`;
      await Deno.writeTextFile(
        configPath,
        JSON.stringify(demoConfig(server.url, `${dir}/state.json`), null, 2),
        { mode: 0o600 },
      );
      const e = server.emulator;
      const say = (text: string) => env.out(`\n${text}\n`);
      const demoEnv: Environment = {
        ...env,
        clock,
        dns: emulatedDns(e),
        logger: (level) =>
          createLogger({
            level,
            clock,
            timestamps: false,
            color: false,
            write: (line) => env.out(`  ${line}\n`),
          }),
      };
      const values: Values = { config: configPath };
      // The config's webhook points at the emulator's /notify: show what arrived there.
      const notified = (from: number) => {
        for (const text of e.notifications.slice(from)) {
          env.out(`✉ your phone would show: ${text}\n`);
        }
      };
      const step = async (title: string, explain: string) => {
        say(`== ${title}`);
        env.out(`${explain}\n`);
        const before = counts(e);
        const code = await once.run(values, [], demoEnv, signal);
        const after = counts(e);
        env.out(
          `→ exit ${code}; the emulator received ${after.noip - before.noip} No-IP, ${
            after.desec - before.desec
          } deSEC and ${after.dynamip - before.dynamip} DynamIP request(s).\n`,
        );
        notified(before.notifications);
      };

      say(
        `dnsbeat demo: an emulated No-IP and DynamIP on ${server.url}; config and state in ${dir}. Nothing leaves this machine.`,
      );
      await step(
        "1. First start",
        "dnsbeat detects the public address (the emulator echoes 81.2.69.142), updates both No-IP hosts in one request, and sends DynamIP's first beat.",
      );
      await step(
        "2. A restart, same address",
        "Routers restart things. The state file says No-IP already has this address, and DynamIP's last beat was under 15 minutes ago: nothing is sent.",
      );
      e.setEchoIp("81.2.69.160");
      await step(
        "3. The address changes to 81.2.69.160",
        "One No-IP request for the change; DynamIP still waits for its 15-minute mark.",
      );
      clock.travel(BEAT_PERIOD_MS);
      await step(
        `4. ${formatDuration(BEAT_PERIOD_MS)} later`,
        "DynamIP's next beat is due (15 minutes, plus 5 seconds so that network delays can never make DynamIP see less): exactly one request.",
      );
      e.pushFault({ kind: "code", body: "911" });
      e.setEchoIp("81.2.69.170");
      await step(
        "5. The address changes; No-IP answers 911 (server trouble)",
        "dnsbeat must not ask again for 30 minutes, restarts included.",
      );
      clock.travel(29 * MINUTE);
      await step(
        "6. 29 minutes later",
        "Still inside the 30-minute wait: no No-IP request (DynamIP beats, it is due).",
      );
      clock.travel(2 * MINUTE);
      await step("7. 31 minutes after the 911", "The wait is over: one No-IP request.");
      e.pushFault({ kind: "code", body: "nohost\nnohost" });
      e.setEchoIp("81.2.69.180");
      await step(
        "8. The address changes; No-IP answers nohost",
        "An error needs you: dnsbeat stops No-IP updates, writes the stop to the state file, and tells you (a webhook, here to the emulator).",
      );
      await step(
        "9. A restart (routers restart things)",
        "The stop is in the state file, so it survives restarts: no No-IP request, however often dnsbeat starts (ddclient would retry every 5 minutes, inadyn on every start).",
      );
      say("== 10. You fix the cause and run `dnsbeat resume home`");
      const sent = e.notifications.length;
      await resume.run(values, ["home"], demoEnv, signal);
      notified(sent);
      await step("11. The next run", "Updates flow again: one No-IP request.");
      say(
        "== 12. `dnsbeat status` (here DNS is the emulator's records, so that nothing leaves this machine)",
      );
      await status.run(values, [], demoEnv, signal);
      await Deno.remove(`${dir}/state.json`);
      clock.travel(BEAT_PERIOD_MS);
      await step(
        `13. ${formatDuration(BEAT_PERIOD_MS)} later, the state file is lost (a wiped flash)`,
        "dnsbeat has no record of the hosts, but DNS already answers their address: it records them as up to date and sends No-IP nothing (the reply would be nochg, and repeated nochg counts as abuse). DynamIP's beat is due: one request.",
      );
      const config = demoConfig(server.url, `${dir}/state.json`);
      config.providers.push({
        type: "desec",
        name: "dedyn",
        username: DESEC_DOMAIN,
        password: DESEC_TOKEN,
        hostnames: [DESEC_DOMAIN],
        server: server.url,
      });
      await Deno.writeTextFile(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
      await step(
        "14. You add a deSEC domain to the config",
        "Every service is a row of data with the same promise. deSEC's first update sends IPv4 and `preserve` for IPv6 (deSEC deletes a record a request leaves out); No-IP and DynamIP have nothing to send.",
      );
      await step(
        "15. A restart, same address",
        "deSEC answers `good` even when nothing changed, so only dnsbeat's state keeps it from needless requests: nothing is sent.",
      );
      const total = counts(e);
      say(
        `Done: ${total.noip} No-IP, ${total.desec} deSEC and ${total.dynamip} DynamIP requests in all, each one needed. Try it yourself: dnsbeat emulator, then point a config's "server" at it.`,
      );
      return ExitCode.Ok;
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
};

function demoConfig(url: string, statePath: string) {
  return {
    state: statePath,
    ipSources: [`${url}/ip`],
    startup: { waitForNetwork: false },
    providers: [
      {
        type: "noip",
        name: "home",
        username: "demo@example.com",
        password: NOIP_PASSWORD,
        hostnames: ["home.ddns.net", "nas.ddns.net"],
        server: url,
      },
      { type: "dynamip", name: "site", siteId: "George", password: DYNAMIP_PASSWORD, server: url },
    ],
    notify: [{
      type: "webhook",
      name: "phone",
      url: `${url}/notify`,
      body: "{{title}}",
      events: ["stopped", "resumed"],
    }],
  };
}

/**
 * DNS as the emulated No-IP would publish it: a host's A and AAAA records are what it was last
 * updated to (so nothing leaves this machine, not even a lookup).
 */
function emulatedDns(e: Emulator): DnsDeps {
  function resolveDns(name: string, type: "A" | "AAAA"): Promise<string[]>;
  function resolveDns(name: string, type: "TXT"): Promise<string[][]>;
  function resolveDns(name: string, type: "A" | "AAAA" | "TXT"): Promise<string[] | string[][]> {
    const host = e.noipHost(name);
    const ip = type === "A" ? host.ipv4 : type === "AAAA" ? host.ipv6 : null;
    return ip === null
      ? Promise.reject(new Deno.errors.NotFound(`no ${type} record for ${name}`))
      : Promise.resolve([ip]);
  }
  return { resolveDns };
}

function counts(
  e: Emulator,
): { noip: number; desec: number; dynamip: number; notifications: number } {
  // deSEC's endpoint is the emulator's `/` (its own path), No-IP's `/nic/update`.
  const desec = (path: string) => path === "/" || path.startsWith("/?");
  return {
    noip: e.requests.filter((r) => r.provider === "noip" && !desec(r.path)).length,
    desec: e.requests.filter((r) => r.provider === "noip" && desec(r.path)).length,
    dynamip: e.requests.filter((r) => r.provider === "dynamip").length,
    notifications: e.notifications.length,
  };
}
