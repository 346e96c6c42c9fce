import assert from "node:assert/strict";
import { PERMISSION_FLAGS } from "../lib/permissions.ts";
import { RELEASE_TARGETS, releaseOutput, sha256Hex, sha256sums } from "../scripts/build.ts";
import { compileArgs, DIST, isRuntimeDownloadFailure, offlineHint } from "../scripts/compile.ts";
import { tempDir } from "./helpers/temp_dir.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

Deno.test("compileArgs bakes in exactly PERMISSION_FLAGS and compiles main.ts into dist/", () => {
  const args = compileArgs();
  assert.deepEqual(args, ["compile", ...PERMISSION_FLAGS, "--output", `${DIST}/dnsbeat`, MAIN]);
  assert.ok(!args.includes("--no-check"), "type checking stays on");
  assert.ok(!args.some((a) => a === "-A" || a === "--allow-all"));
  assert.equal(args.filter((a) => a.startsWith("--allow-")).length, PERMISSION_FLAGS.length);
});

Deno.test("compileArgs passes the target through and names the output after it", () => {
  assert.deepEqual(compileArgs("aarch64-unknown-linux-gnu"), [
    "compile",
    ...PERMISSION_FLAGS,
    "--target",
    "aarch64-unknown-linux-gnu",
    "--output",
    `${DIST}/dnsbeat-aarch64-unknown-linux-gnu`,
    MAIN,
  ]);
  assert.deepEqual(compileArgs(undefined, "/tmp/x/dnsbeat").slice(-3), [
    "--output",
    "/tmp/x/dnsbeat",
    MAIN,
  ]);
});

Deno.test("the runtime download failure is told apart from other failures", () => {
  const download = [
    "error: Writing deno compile executable to temporary file 'dist/dnsbeat.tmp-1'",
    "Caused by:",
    "    0: Setting up base binary.",
    "    1: error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-unknown-linux-gnu.zip)",
  ].join("\n");
  assert.equal(isRuntimeDownloadFailure(download), true);
  assert.equal(isRuntimeDownloadFailure("    0: Could not find denort at '/x/denort'"), true);
  assert.equal(isRuntimeDownloadFailure("error: Type checking failed."), false);
  const hint = offlineHint("aarch64-apple-darwin");
  assert.match(
    hint,
    /DENORT_BIN=\/path\/to\/denort deno task compile --target aarch64-apple-darwin/,
  );
  assert.match(hint, new RegExp(`\\(${Deno.version.deno.replaceAll(".", "\\.")}\\)`));
});

Deno.test("release outputs: one per target, .exe for Windows only", () => {
  assert.equal(RELEASE_TARGETS.length, 5);
  assert.deepEqual(RELEASE_TARGETS.map((t) => releaseOutput("dist", t)), [
    "dist/dnsbeat-x86_64-unknown-linux-gnu",
    "dist/dnsbeat-aarch64-unknown-linux-gnu",
    "dist/dnsbeat-x86_64-apple-darwin",
    "dist/dnsbeat-aarch64-apple-darwin",
    "dist/dnsbeat-x86_64-pc-windows-msvc.exe",
  ]);
});

Deno.test("SHA256SUMS lines are what sha256sum -c reads", async () => {
  assert.equal(
    await sha256Hex(new TextEncoder().encode("abc")),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  await using tmp = await tempDir("test");
  const dir = tmp.path;
  await Deno.writeTextFile(`${dir}/dnsbeat-a`, "abc");
  await Deno.writeTextFile(`${dir}/dnsbeat-b.exe`, "");
  const text = await sha256sums([`${dir}/dnsbeat-a`, `${dir}/dnsbeat-b.exe`]);
  assert.equal(
    text,
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  dnsbeat-a\n" +
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  dnsbeat-b.exe\n",
  );
  await Deno.writeTextFile(`${dir}/SHA256SUMS`, text);
  const check = await new Deno.Command("sha256sum", { args: ["-c", "SHA256SUMS"], cwd: dir })
    .output();
  assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
});
