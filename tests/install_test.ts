import assert from "node:assert/strict";
import { loadConfig, systemConfigDeps } from "../lib/config/mod.ts";
import { tempDir } from "./helpers/temp_dir.ts";

const REPO = new URL("..", import.meta.url).pathname;
const INSTALL = `${REPO}scripts/install.sh`;
const UNINSTALL = `${REPO}scripts/uninstall.sh`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where an install runs: a temp dir (removed when disposed) with a fake binary and service tools. */
interface InstallDir extends AsyncDisposable {
  dir: string;
  /** The `--root` the scripts install into. */
  root: string;
  binary: string;
  /** The file the fake `systemctl` and `update-rc.d` append their arguments to. */
  calls: string;
  env: Record<string, string>;
}

/** A temp dir with a fake binary and a `systemctl` that records being called. */
async function installDir(): Promise<InstallDir> {
  const { path: dir, [Symbol.asyncDispose]: remove } = await tempDir("install");
  await Deno.mkdir(`${dir}/bin`);
  const binary = `${dir}/dnsbeat-built`;
  await Deno.writeTextFile(binary, "#!/bin/sh\necho 'dnsbeat 1'\n", { mode: 0o755 });
  const calls = `${dir}/service-manager-calls`;
  for (const tool of ["systemctl", "update-rc.d"]) {
    await Deno.writeTextFile(`${dir}/bin/${tool}`, `#!/bin/sh\necho "${tool} $*" >> '${calls}'\n`, {
      mode: 0o755,
    });
  }
  const env = { PATH: `${dir}/bin:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}` };
  return { dir, root: `${dir}/root`, binary, calls, env, [Symbol.asyncDispose]: remove };
}

async function sh(script: string, args: string[], env: Record<string, string>): Promise<Run> {
  const out = await new Deno.Command("sh", { args: [script, ...args], env, stdin: "null" })
    .output();
  const d = new TextDecoder();
  return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
}

async function mode(path: string): Promise<string> {
  return ((await Deno.stat(path)).mode! & 0o777).toString(8).padStart(4, "0");
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("install.sh --root --init systemd: binary, 0600 config template, unit; no systemctl", async () => {
  await using s = await installDir();
  const run = await sh(
    INSTALL,
    ["--binary", s.binary, "--root", s.root, "--init", "systemd"],
    s.env,
  );
  assert.equal(run.code, 0, run.stderr);
  assert.equal(await mode(`${s.root}/usr/local/bin/dnsbeat`), "0755");
  assert.equal(
    await Deno.readTextFile(`${s.root}/usr/local/bin/dnsbeat`),
    await Deno.readTextFile(s.binary),
  );
  assert.equal(await mode(`${s.root}/etc/dnsbeat`), "0700");
  assert.equal(await mode(`${s.root}/etc/dnsbeat/config.json`), "0600");
  const unit = `${s.root}/etc/systemd/system/dnsbeat.service`;
  assert.equal(await mode(unit), "0644");
  assert.equal(
    await Deno.readTextFile(unit),
    await Deno.readTextFile(`${REPO}contrib/systemd/dnsbeat.service`),
  );
  assert.equal(await exists(s.calls), false, "no service manager may be called under --root");
  assert.equal(
    await exists(`${s.root}/var/lib/dnsbeat`),
    false,
    "systemd's StateDirectory= makes it",
  );
  assert.match(run.stdout, /systemctl enable --now dnsbeat/);
});

Deno.test("network hooks go where their network manager looks, pointing at the binary; uninstall takes them", async () => {
  await using s = await installDir();
  const hooks = [
    "/etc/hotplug.d/iface/95-dnsbeat",
    "/etc/NetworkManager/dispatcher.d/90-dnsbeat",
    "/etc/ppp/ip-up.d/dnsbeat",
  ];
  for (const hook of hooks) {
    await Deno.mkdir(`${s.root}${hook.slice(0, hook.lastIndexOf("/"))}`, { recursive: true });
  }
  const run = await sh(
    INSTALL,
    ["--binary", s.binary, "--root", s.root, "--init", "sysv", "--prefix", "/opt/dnsbeat"],
    s.env,
  );
  assert.equal(run.code, 0, run.stderr);
  for (const hook of hooks) {
    assert.equal(await mode(`${s.root}${hook}`), "0755", hook);
    const text = await Deno.readTextFile(`${s.root}${hook}`);
    assert.match(text, /^\/opt\/dnsbeat\/bin\/dnsbeat look --quiet /m, hook);
  }
  // No directory, no hook: networkd-dispatcher and pppd's IPv6 scripts are not on this system.
  assert.equal(await exists(`${s.root}/etc/networkd-dispatcher`), false);
  assert.equal(await exists(`${s.root}/etc/ppp/ipv6-up.d`), false);
  const removed = await sh(UNINSTALL, ["--root", s.root, "--prefix", "/opt/dnsbeat"], s.env);
  assert.equal(removed.code, 0, removed.stderr);
  for (const hook of hooks) assert.equal(await exists(`${s.root}${hook}`), false, hook);
});

Deno.test("the config template is a valid dnsbeat config once filled in", async () => {
  await using s = await installDir();
  for (
    const [init, state] of [["systemd", "/var/lib/dnsbeat/state.json"], [
      "procd",
      "/etc/dnsbeat/state.json",
    ]]
  ) {
    const root = `${s.root}-${init}`;
    const run = await sh(INSTALL, ["--binary", s.binary, "--root", root, "--init", init!], s.env);
    assert.equal(run.code, 0, run.stderr);
    const result = await loadConfig(`${root}/etc/dnsbeat/config.json`, systemConfigDeps);
    assert.ok(result.ok, result.ok ? "" : result.errors.join("\n"));
    assert.equal(result.config.statePath, state);
    assert.deepEqual(result.config.providers.map((p) => p.kind), ["dyndns2", "dynamip"]);
  }
});

Deno.test("reinstalling replaces the binary and never overwrites the config", async () => {
  await using s = await installDir();
  const args = ["--binary", s.binary, "--root", s.root, "--init", "systemd"];
  assert.equal((await sh(INSTALL, args, s.env)).code, 0);
  const config = `${s.root}/etc/dnsbeat/config.json`;
  await Deno.writeTextFile(config, '{"mine": true}\n');
  await Deno.writeTextFile(s.binary, "#!/bin/sh\necho 'dnsbeat 2'\n");
  const again = await sh(INSTALL, args, s.env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /kept .*config\.json \(an existing config is never overwritten\)/);
  assert.equal(await Deno.readTextFile(config), '{"mine": true}\n');
  assert.match(await Deno.readTextFile(`${s.root}/usr/local/bin/dnsbeat`), /dnsbeat 2/);
  assert.equal(await exists(`${s.root}/usr/local/bin/dnsbeat.new`), false);
});

Deno.test("--prefix moves the binary and every service file points at it", async () => {
  await using s = await installDir();
  const files: Record<string, [string, string]> = {
    systemd: ["etc/systemd/system/dnsbeat.service", "0644"],
    procd: ["etc/init.d/dnsbeat", "0755"],
    sysv: ["etc/init.d/dnsbeat", "0755"],
    cron: ["etc/cron.d/dnsbeat", "0644"],
  };
  for (const [init, [file, fileMode]] of Object.entries(files)) {
    const root = `${s.root}-${init}`;
    const run = await sh(INSTALL, [
      "--binary",
      s.binary,
      "--root",
      root,
      "--init",
      init,
      "--prefix",
      "/usr",
    ], s.env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(await exists(`${root}/usr/bin/dnsbeat`), true);
    const text = await Deno.readTextFile(`${root}/${file}`);
    assert.equal(await mode(`${root}/${file}`), fileMode, init);
    assert.match(text, /\/usr\/bin\/dnsbeat/, init);
    assert.doesNotMatch(text, /\/usr\/local\/bin/, init);
  }
  assert.equal(await mode(`${s.root}-sysv/var/lib/dnsbeat`), "0700");
  assert.equal(await exists(s.calls), false);
});

Deno.test("the init system is detected from the tree under --root", async () => {
  await using s = await installDir();
  const cases: [string, string, string][] = [
    ["openwrt", "etc/openwrt_release", "procd"],
    ["pi", "usr/lib/systemd/systemd", "systemd"],
    ["busybox", "etc/init.d/rcS", "sysv"],
    ["bare", "", "none"],
  ];
  for (const [name, marker, init] of cases) {
    const root = `${s.root}-${name}`;
    await Deno.mkdir(root, { recursive: true });
    if (marker) {
      await Deno.mkdir(`${root}/${marker.slice(0, marker.lastIndexOf("/"))}`, {
        recursive: true,
      });
      await Deno.writeTextFile(`${root}/${marker}`, "", { mode: 0o755 });
    }
    const run = await sh(INSTALL, ["--binary", s.binary, "--root", root], s.env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`\\(init: ${init}\\)`), name);
  }
});

Deno.test("--dry-run prints the plan and changes nothing", async () => {
  await using s = await installDir();
  const run = await sh(INSTALL, [
    "--binary",
    s.binary,
    "--root",
    s.root,
    "--init",
    "sysv",
    "--dry-run",
  ], s.env);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^Dry run: nothing is changed/);
  assert.match(run.stdout, /root\/usr\/local\/bin\/dnsbeat \(mode 0755\)/);
  assert.match(run.stdout, /root\/etc\/dnsbeat\/config\.json \(mode 0600\) <- config template/);
  assert.match(
    run.stdout,
    /root\/etc\/init\.d\/dnsbeat \(mode 0755\) <- .*contrib\/sysv\/dnsbeat/,
  );
  assert.equal(await exists(s.root), false);
});

Deno.test("install.sh refuses a missing binary and bad options", async () => {
  await using s = await installDir();
  const missing = await sh(INSTALL, ["--binary", `${s.dir}/nope`, "--root", s.root], s.env);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no binary at .*nope \(build it with: deno task compile\)/);
  assert.equal((await sh(INSTALL, ["--frobnicate"], s.env)).code, 2);
  assert.equal((await sh(INSTALL, ["--init", "upstart", "--binary", s.binary], s.env)).code, 2);
  assert.equal((await sh(INSTALL, ["--prefix", "usr"], s.env)).code, 2);
  assert.equal((await sh(INSTALL, ["--binary"], s.env)).code, 2);
  assert.equal(await exists(s.root), false);
});

Deno.test("uninstall.sh removes binary and service, keeps config and state unless --purge", async () => {
  await using s = await installDir();
  for (const init of ["systemd", "sysv", "cron"]) {
    assert.equal(
      (await sh(INSTALL, ["--binary", s.binary, "--root", s.root, "--init", init], s.env)).code,
      0,
    );
  }
  await Deno.mkdir(`${s.root}/var/lib/dnsbeat`, { recursive: true });
  await Deno.writeTextFile(`${s.root}/var/lib/dnsbeat/state.json`, "{}\n");

  const keep = await sh(UNINSTALL, ["--root", s.root], s.env);
  assert.equal(keep.code, 0, keep.stderr);
  for (
    const gone of [
      "usr/local/bin/dnsbeat",
      "etc/systemd/system/dnsbeat.service",
      "etc/init.d/dnsbeat",
      "etc/cron.d/dnsbeat",
    ]
  ) {
    assert.equal(await exists(`${s.root}/${gone}`), false, gone);
  }
  assert.equal(await exists(`${s.root}/etc/dnsbeat/config.json`), true);
  assert.equal(await exists(`${s.root}/var/lib/dnsbeat/state.json`), true);
  assert.match(keep.stdout, /Kept the config/);

  const dry = await sh(UNINSTALL, ["--root", s.root, "--purge", "--dry-run"], s.env);
  assert.equal(dry.code, 0);
  assert.match(dry.stdout, /rm -rf .*root\/etc\/dnsbeat/);
  assert.equal(await exists(`${s.root}/etc/dnsbeat/config.json`), true);

  const purge = await sh(UNINSTALL, ["--root", s.root, "--purge"], s.env);
  assert.equal(purge.code, 0, purge.stderr);
  assert.equal(await exists(`${s.root}/etc/dnsbeat`), false);
  assert.equal(await exists(`${s.root}/var/lib/dnsbeat`), false);
  assert.equal(await exists(s.calls), false, "no service manager may be called under --root");
});

Deno.test("every service file wires reload to SIGHUP", async () => {
  const unit = await Deno.readTextFile(`${REPO}contrib/systemd/dnsbeat.service`);
  const service = unit.slice(unit.indexOf("\n[Service]\n"), unit.indexOf("\n[Install]\n"));
  assert.match(service, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  const procd = await Deno.readTextFile(`${REPO}contrib/openwrt/dnsbeat`);
  assert.match(procd, /^reload_service\(\) \{\n(\t#.*\n)*\tprocd_send_signal dnsbeat\n\}$/m);
  const sysv = await Deno.readTextFile(`${REPO}contrib/sysv/dnsbeat`);
  assert.match(sysv, /^reload \| force-reload\) do_reload ;;$/m);
  assert.match(sysv, /^\tkill -HUP "\$pid" \|\| return 1$/m);
  assert.match(sysv, /Usage: \$0 \{start\|stop\|restart\|reload\|force-reload\|status\}/);
});

Deno.test("the unit lets dnsbeat read its boot: cat may run, /proc/uptime and boot_id stay", async () => {
  const unit = await Deno.readTextFile(`${REPO}contrib/systemd/dnsbeat.service`);
  assert.doesNotMatch(unit, /^ProcSubset=pid/m);
  assert.doesNotMatch(unit, /^(NoExecPaths|ExecPaths)=/m);
  assert.doesNotMatch(unit, /^InaccessiblePaths=.*\/proc/m);
});

const SYSTEMD_ANALYZE =
  new Deno.Command("sh", { args: ["-c", "command -v systemd-analyze"] }).outputSync().code === 0;

Deno.test({
  name: "systemd-analyze verify accepts the unit (skipped without systemd-analyze)",
  ignore: !SYSTEMD_ANALYZE,
  async fn() {
    await using s = await installDir();
    // verify checks that ExecStart's binary exists: point it at the fake one.
    const unit = `${s.dir}/dnsbeat.service`;
    const text = await Deno.readTextFile(`${REPO}contrib/systemd/dnsbeat.service`);
    await Deno.writeTextFile(unit, text.replaceAll("/usr/local/bin/dnsbeat", s.binary));
    const out = await new Deno.Command("systemd-analyze", { args: ["verify", unit] }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    assert.doesNotMatch(stderr, /dnsbeat\.service/, "no warning about the unit");
  },
});

Deno.test("the procd script's reload has procd send SIGHUP; start still watches the config", async () => {
  await using s = await installDir();
  // A stand-in for /etc/rc.common: procd.sh's functions print their calls; reload runs
  // reload_service when the script has one, as rc.common does with USE_PROCD.
  const rc = `${s.dir}/rc.common`;
  await Deno.writeTextFile(
    rc,
    [
      "initscript=$1 action=$2",
      "shift 2",
      "for f in procd_open_instance procd_set_param procd_close_instance procd_send_signal; do",
      '\teval "$f() { echo $f \\"\\$*\\"; }"',
      "done",
      '. "$initscript"',
      'start() { start_service "$@"; }',
      'reload() { if type reload_service >/dev/null 2>&1; then reload_service "$@"; else start; fi; }',
      '"$action" "$@"',
      "",
    ].join("\n"),
  );
  const script = `${REPO}contrib/openwrt/dnsbeat`;
  const reload = await sh(rc, [script, "reload"], s.env);
  assert.equal(reload.code, 0, reload.stderr);
  assert.equal(reload.stdout, "procd_send_signal dnsbeat\n");
  const start = await sh(rc, [script, "start"], s.env);
  assert.equal(start.code, 0, start.stderr);
  assert.match(
    start.stdout,
    /^procd_set_param command \/usr\/local\/bin\/dnsbeat run --config \/etc\/dnsbeat\/config\.json --state \/etc\/dnsbeat\/state\.json$/m,
  );
  assert.match(start.stdout, /^procd_set_param file \/etc\/dnsbeat\/config\.json$/m);
});

Deno.test("the SysV script starts, reports and stops dnsbeat, with and without start-stop-daemon", async () => {
  await using s = await installDir();
  const daemon = `${s.dir}/dnsbeat`;
  await Deno.writeTextFile(
    daemon,
    "#!/bin/sh\necho \"started $*\"\ntrap 'echo saved; exit 0' TERM\nwhile :; do sleep 0.1; done\n",
    { mode: 0o755 },
  );
  const defaults = `${s.dir}/defaults`;
  const script = `${s.dir}/init`;
  const original = await Deno.readTextFile(`${REPO}contrib/sysv/dnsbeat`);
  await Deno.writeTextFile(script, original.replaceAll("/etc/default/dnsbeat", defaults), {
    mode: 0o755,
  });
  const settings = [
    `DAEMON=${daemon}`,
    `STATE=${s.dir}/state/state.json`,
    `PIDFILE=${s.dir}/run/dnsbeat.pid`,
    `LOGFILE=${s.dir}/log/dnsbeat.log`,
  ];
  const ssd = new Deno.Command("sh", { args: ["-c", "command -v start-stop-daemon"] })
    .outputSync();
  const variants = ssd.code === 0 ? ["", "START_STOP_DAEMON="] : ["START_STOP_DAEMON="];
  for (const variant of variants) {
    await Deno.writeTextFile(defaults, [...settings, variant, ""].join("\n"));
    const label = variant || "start-stop-daemon";
    assert.equal((await sh(script, ["status"], s.env)).code, 3, label);
    const idle = await sh(script, ["reload"], s.env);
    assert.equal(idle.code, 7, `${label}: reload without dnsbeat`);
    assert.match(idle.stderr, /dnsbeat is not running/, label);
    const start = await sh(script, ["start"], s.env);
    assert.equal(start.code, 0, `${label}: ${start.stdout}${start.stderr}`);
    const pid = Number((await Deno.readTextFile(`${s.dir}/run/dnsbeat.pid`)).trim());
    assert.match(start.stdout, new RegExp(`dnsbeat started \\(pid ${pid}\\)`), label);
    const status = await sh(script, ["status"], s.env);
    assert.equal(status.code, 0, label);
    assert.match((await sh(script, ["start"], s.env)).stdout, /already running/, label);
    for (const action of ["reload", "force-reload"]) {
      // This stand-in started with SIGHUP ignored and, being a shell, cannot undo that: it
      // stays up. The real dnsbeat reads its config again (tests/signals_test.ts).
      const reload = await sh(script, [action], s.env);
      assert.equal(reload.code, 0, `${label} ${action}: ${reload.stderr}`);
      assert.match(
        reload.stdout,
        new RegExp(`dnsbeat \\(pid ${pid}\\) reads /etc/dnsbeat/config\\.json again`),
        label,
      );
      assert.equal((await sh(script, ["status"], s.env)).code, 0, `${label} ${action}`);
    }
    const stop = await sh(script, ["stop"], s.env);
    assert.equal(stop.code, 0, label);
    assert.equal(await exists(`${s.dir}/run/dnsbeat.pid`), false, label);
    assert.equal((await sh(script, ["status"], s.env)).code, 3, label);
  }
  const log = await Deno.readTextFile(`${s.dir}/log/dnsbeat.log`);
  assert.match(
    log,
    new RegExp(`started run --config /etc/dnsbeat/config.json --state ${s.dir}/state/state.json`),
  );
  assert.equal(log.match(/saved/g)?.length, variants.length, "SIGTERM reached dnsbeat each time");
});
