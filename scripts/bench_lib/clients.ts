/**
 * The three clients, each pointed at its own emulator over plain HTTP on 127.0.0.1 with one
 * No-IP account: a config with fresh state in a directory, a one-shot command line and a
 * daemon command line with the shortest interval the client allows, or with a given one.
 *
 * - dnsbeat: `deno run` of `main.ts` (or of a bundle of it) with exactly the shipped permission
 *   flags.
 * - ddclient 3.10: `protocol=dyndns2` (its `noip` protocol always uses https), `use=web`.
 * - inadyn 2.10: its own No-IP plugin (`provider default@no-ip.com`, the section a No-IP user
 *   writes) with `ssl = false`, inside a private mount namespace whose `/etc/hosts` sends
 *   `dynupdate.no-ip.com` (and the host name it looks up at start) to 127.0.0.1, so its
 *   requests reach the emulator on port 80 and no lookup leaves the machine.
 *
 * @module
 */
import { PERMISSION_FLAGS } from "../../lib/permissions.ts";
import { dnsbeatArgs } from "../dnsbeat.ts";
import type { Namespace } from "./process.ts";
import type { ClientName } from "./types.ts";

/** The one No-IP account of the benchmark (the password never appears in the report). */
export const ACCOUNT = {
  username: "bench@example.com",
  password: "bench-N0ip-Secret-7",
  host: "bench.ddns.net",
};

/** The emulator's accounts file for {@link ACCOUNT}. */
export const ACCOUNTS_JSON: string = JSON.stringify({
  noip: [{ username: ACCOUNT.username, password: ACCOUNT.password, hosts: [ACCOUNT.host] }],
  echoIp: { ipv4: "81.2.69.142" },
});

/** Command lines of a client set up in one directory. */
export interface ClientSetup {
  /** One check (and update when needed), then exit. */
  oneShot: string[];
  /** The daemon, in the foreground. */
  daemon: string[];
  /** The private `/etc/hosts` it needs, if any. */
  namespace?: Namespace;
  /** dnsbeat's state file. */
  statePath?: string;
}

/** A client under test. */
export interface ClientSpec {
  /** Its name. */
  name: ClientName;
  /** The emulator port it needs (0: any free port). */
  port: number;
  /** The daemon's check interval, as the report states it. */
  daemonInterval: string;
  /**
   * Writes its config, with fresh state, into `dir` for the emulator at `url`; the daemon checks
   * every `intervalSeconds` (default: the least the client accepts).
   */
  setup(dir: string, url: string, intervalSeconds?: number): Promise<ClientSetup>;
}

/** Port of inadyn's emulator: its No-IP plugin sends plain HTTP to port 80. */
export const INADYN_PORT = 80;

/**
 * dnsbeat run by `deno run` with the shipped flags: of `main.ts` as `scripts/dnsbeat.ts` runs it,
 * or of `main` (a bundle of it).
 */
export function dnsbeatSpec(main?: string): ClientSpec {
  const args = (rest: string[]) =>
    main === undefined ? dnsbeatArgs(rest) : ["run", "--quiet", ...PERMISSION_FLAGS, main, ...rest];
  return {
    name: "dnsbeat",
    port: 0,
    daemonInterval: "1 min (`interval`, the least it accepts)",
    setup: (dir, url, intervalSeconds = 60) => setupDnsbeat(dir, url, intervalSeconds, args),
  };
}

async function setupDnsbeat(
  dir: string,
  url: string,
  intervalSeconds: number,
  args: (rest: string[]) => string[],
): Promise<ClientSetup> {
  const config = `${dir}/config.json`;
  const statePath = `${dir}/state.json`;
  await writeSecret(
    config,
    JSON.stringify({
      state: statePath,
      ipSources: [`${url}/ip`],
      providers: [{
        type: "noip",
        name: "bench",
        username: ACCOUNT.username,
        password: ACCOUNT.password,
        hostnames: [ACCOUNT.host],
        server: url,
        interval: `${intervalSeconds}s`,
      }],
    }),
  );
  const deno = Deno.execPath();
  return {
    oneShot: [deno, ...args(["once", "--config", config])],
    daemon: [deno, ...args(["run", "--config", config])],
    statePath,
  };
}

const ddclient: ClientSpec = {
  name: "ddclient",
  port: 0,
  daemonInterval: "60 s (`daemon`, the least it accepts)",
  async setup(dir, url, intervalSeconds = 60) {
    const config = `${dir}/ddclient.conf`;
    const cache = `${dir}/ddclient.cache`;
    const server = url.replace(/^http:\/\//, "");
    await writeSecret(
      config,
      [
        "ssl=no",
        `use=web, web=${url}/ip`,
        "protocol=dyndns2",
        `server=${server}`,
        `login=${ACCOUNT.username}`,
        `password='${ACCOUNT.password}'`,
        ACCOUNT.host,
        "",
      ].join("\n"),
    );
    const common = ["-foreground", "-file", config, "-cache", cache];
    return {
      oneShot: ["ddclient", "-daemon=0", ...common],
      daemon: ["ddclient", `-daemon=${intervalSeconds}`, ...common],
    };
  },
};

const inadyn: ClientSpec = {
  name: "inadyn",
  port: INADYN_PORT,
  daemonInterval: "30 s (`period`, the least it accepts)",
  async setup(dir, url, intervalSeconds = 30) {
    const config = `${dir}/inadyn.conf`;
    const cacheDir = `${dir}/inadyn-cache`;
    const hostsFile = `${dir}/hosts`;
    await Deno.mkdir(cacheDir, { recursive: true });
    const server = url.replace(/^http:\/\//, "");
    await writeSecret(
      config,
      [
        `period = ${intervalSeconds}`,
        "provider default@no-ip.com {",
        `    username = "${ACCOUNT.username}"`,
        `    password = "${ACCOUNT.password}"`,
        `    hostname = "${ACCOUNT.host}"`,
        "    ssl = false",
        `    checkip-server = "${server}"`,
        '    checkip-path = "/ip"',
        "    checkip-ssl = false",
        "}",
        "",
      ].join("\n"),
    );
    const names = ["dynupdate.no-ip.com", "ip1.dynupdate.no-ip.com", ACCOUNT.host];
    const hosts = await Deno.readTextFile("/etc/hosts");
    await Deno.writeTextFile(hostsFile, `${hosts.trimEnd()}\n127.0.0.1 ${names.join(" ")}\n`);
    const common = ["--foreground", "--no-pidfile", `--cache-dir=${cacheDir}`, "-f", config];
    return {
      oneShot: ["inadyn", "--once", ...common],
      daemon: ["inadyn", ...common],
      namespace: { hostsFile, names },
    };
  },
};

/** The clients, in report order. */
export const SPECS: readonly ClientSpec[] = [dnsbeatSpec(), ddclient, inadyn];

async function writeSecret(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text, { mode: 0o600 });
}
