/**
 * The machine, the versions, and each client's size on disk.
 *
 * @module
 */
import type { ClientName, Machine } from "./types.ts";

/** Describes this machine and the versions of deno, ddclient and inadyn. */
export async function describeMachine(): Promise<Machine> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo");
  const meminfo = await Deno.readTextFile("/proc/meminfo");
  const osRelease = await Deno.readTextFile("/etc/os-release").catch(() => "");
  const memKb = Number(/^MemTotal:\s+(\d+) kB$/m.exec(meminfo)?.[1] ?? 0);
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? "unknown",
    nproc: navigator.hardwareConcurrency,
    memoryMb: Math.round(memKb / 1024),
    kernel: Deno.osRelease(),
    os: /^PRETTY_NAME="?([^"\n]+)"?$/m.exec(osRelease)?.[1] ?? Deno.build.os,
    versions: {
      deno: Deno.version.deno,
      ddclient: await packageVersion("ddclient"),
      inadyn: await packageVersion("inadyn"),
    },
  };
}

/** Each client's size on disk, with what it counts. */
export async function sizes(
  repo: string,
): Promise<Record<ClientName, { bytes: number; note: string }>> {
  const source = (await Deno.stat(`${repo}/main.ts`)).size + await treeSize(`${repo}/lib`);
  const deno = (await Deno.stat(Deno.execPath())).size;
  const ddclient = (await Deno.stat(await which("ddclient"))).size;
  const perlKb = await installedSize("perl-base");
  const inadyn = await which("inadyn");
  const libs = await sharedLibraries(inadyn);
  const libBytes = await sum(libs.map(async (lib) => (await Deno.stat(lib)).size));
  const inadynBytes = (await Deno.stat(inadyn)).size;
  return {
    dnsbeat: {
      bytes: source + deno,
      note: `${kib(source)} of TypeScript (main.ts and lib/) plus the ${
        mib(deno)
      } deno binary; a compiled binary is at most their sum`,
    },
    ddclient: {
      bytes: ddclient,
      note: `the Perl script; Perl itself (perl-base: ${mib(perlKb * 1024)}) not counted`,
    },
    inadyn: {
      bytes: inadynBytes + libBytes,
      note: `${kib(inadynBytes)} binary plus ${libs.length} shared libraries (GnuTLS and its ` +
        `dependencies, libConfuse; ${mib(libBytes)}) beyond glibc`,
    },
  };
}

async function packageVersion(name: string): Promise<string> {
  return (await output("dpkg-query", ["-W", "-f=${Version}", name])).trim();
}

async function installedSize(name: string): Promise<number> {
  return Number((await output("dpkg-query", ["-W", "-f=${Installed-Size}", name])).trim());
}

async function which(program: string): Promise<string> {
  const path = (await output("bash", ["-c", `command -v ${program}`])).trim();
  return await Deno.realPath(path);
}

/** The shared libraries `ldd` lists for `binary`, without glibc's own. */
async function sharedLibraries(binary: string): Promise<string[]> {
  const text = await output("ldd", [binary]);
  const glibc = /^(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so/;
  const paths = [...text.matchAll(/^\s*(\S+) => (\/\S+)/gm)]
    .filter((m) => !glibc.test(m[1]!))
    .map((m) => Deno.realPath(m[2]!));
  return [...new Set(await Promise.all(paths))];
}

async function treeSize(dir: string): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) total += await treeSize(path);
    else if (entry.isFile) total += (await Deno.stat(path)).size;
  }
  return total;
}

async function sum(values: Promise<number>[]): Promise<number> {
  return (await Promise.all(values)).reduce((a, b) => a + b, 0);
}

async function output(program: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(program, { args, stdout: "piped", stderr: "null" }).output();
  return new TextDecoder().decode(out.stdout);
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
