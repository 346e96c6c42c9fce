/**
 * How a password is read: the first line of a `passwordFile` or a `passwordEnv` value, without a
 * BOM, a trailing CR or trailing blanks; what `dnsbeat check` is told of it (never the password);
 * and the warning for an inline password in a config every user can read.
 */
import assert from "node:assert/strict";
import { type ConfigDeps, type ConfigResult, parseConfig } from "../lib/config/mod.ts";
import { describePasswordLine, passwordLine } from "../lib/config/password_line.ts";
import { dynamipProvider, noipProvider } from "./helpers/fixtures.ts";
import { assertNoSecret } from "./helpers/secret.ts";

const PW = "S3cr3t-PW!";
const PATH = "/etc/dnsbeat/config.json";
const FILE = "/etc/dnsbeat/noip.secret";

interface World {
  file?: string;
  env?: Record<string, string>;
  configMode?: number | null;
  fileWorldReadable?: boolean;
}

function deps(world: World): ConfigDeps {
  return {
    readSecretFile: (path) =>
      path === FILE && world.file !== undefined
        ? { text: world.file, worldReadable: world.fileWorldReadable ?? false }
        : { error: "file not found" },
    env: (name) => world.env?.[name],
    fileMode: (path) => (path === PATH ? world.configMode ?? 0o600 : null),
  };
}

function noip(password: Record<string, string>): unknown {
  return {
    providers: [{ type: "noip", username: "u", hostnames: ["a.ddns.net"], ...password }],
  };
}

async function parse(password: Record<string, string>, world: World): Promise<ConfigResult> {
  const result = await parseConfig(noip(password), PATH, deps(world));
  const texts = result.ok ? result.warnings : result.errors;
  assertNoSecret(texts, PW, "a message");
  if (result.ok) {
    const source = result.config.providers[0]?.passwordSource ?? "";
    assertNoSecret(source, PW, "the password's source");
  }
  return result;
}

Deno.test("passwordLine: the first line, without BOM, trailing CR and trailing blanks", () => {
  const cases: [string, string, Partial<ReturnType<typeof passwordLine>>][] = [
    ["pw", "pw", { bom: false, cr: false, blanks: 0, ignoredLines: 0 }],
    ["pw\n", "pw", { ignoredLines: 0 }],
    ["pw\r\n", "pw", { cr: true, ignoredLines: 0 }],
    ["\uFEFFpw\n", "pw", { bom: true }],
    ["pw \t \n", "pw", { blanks: 3 }],
    ["pw  \r\n", "pw", { cr: true, blanks: 2 }],
    ["pw\r \n", "pw", { cr: true, blanks: 1 }],
    [" pw", " pw", { blanks: 0 }],
    ["p w\n", "p w", { blanks: 0 }],
    ["pw\nsecond\nthird\n", "pw", { ignoredLines: 2 }],
    ["pw\nsecond\nthird", "pw", { ignoredLines: 2 }],
    ["pw\n\n", "pw", { ignoredLines: 1 }],
    ["\npw\n", "", { blank: false, ignoredLines: 1 }],
    ["  \t\npw", "", { blank: false, blanks: 3 }],
    ["", "", { blank: true }],
    ["\uFEFF\r\n \n", "", { blank: true, bom: true }],
    ["pässwörd ✓🔑\n", "pässwörd ✓🔑", {}],
    ["a\uFEFFb", "a\uFEFFb", { bom: false }],
  ];
  for (const [text, value, parts] of cases) {
    const line = passwordLine(text);
    assert.equal(line.value, value, JSON.stringify(text));
    for (const [key, expected] of Object.entries(parts)) {
      assert.equal(line[key as keyof typeof line], expected, `${JSON.stringify(text)}: ${key}`);
    }
  }
});

Deno.test("describePasswordLine: where, how long, what was stripped; never the password", () => {
  const text = `\uFEFF${PW}  \r\nline 2\nline 3\nline 4\n`;
  assert.equal(
    describePasswordLine("/etc/x.secret", passwordLine(text)),
    "password from /etc/x.secret: first line, 10 characters (stripped: a BOM, a trailing CR, 2 trailing blanks; 3 more lines ignored)",
  );
  assert.equal(
    describePasswordLine("/p", passwordLine(`${PW}\n`)),
    "password from /p: first line, 10 characters",
  );
  assert.equal(
    describePasswordLine("/p", passwordLine(`${PW} \nx`)),
    "password from /p: first line, 10 characters (stripped: 1 trailing blank; 1 more line ignored)",
  );
  assert.equal(
    describePasswordLine("/p", passwordLine("🔑\r")),
    "password from /p: first line, 1 character (stripped: a trailing CR)",
  );
});

Deno.test("passwordFile: the first line is the password; check is told how it was read", async () => {
  const result = await parse({ passwordFile: FILE }, {
    file: `\uFEFF${PW} \t\r\nusername\nnotes\n`,
  });
  assert.ok(result.ok, result.ok ? "" : result.errors.join("\n"));
  assert.deepEqual(result.warnings, []);
  const p = result.config.providers[0]!;
  assert.equal(p.password, PW);
  assert.equal(
    p.passwordSource,
    `password from ${FILE}: first line, 10 characters (stripped: a BOM, a trailing CR, 2 trailing blanks; 2 more lines ignored)`,
  );
});

Deno.test("passwordFile: an empty first line is an error naming the field and the file", async () => {
  for (const file of ["\n" + PW + "\n", "  \r\n" + PW, "\uFEFF\n" + PW]) {
    const result = await parse({ passwordFile: FILE }, { file });
    assert.deepEqual(result.ok ? [] : result.errors, [
      `providers[0].passwordFile: the first line of ${FILE} is empty: dnsbeat reads the password from the first line only; put the password on the first line`,
    ], JSON.stringify(file));
  }
  for (const file of ["", "\n", " \t\r\n\n", "\uFEFF"]) {
    const result = await parse({ passwordFile: FILE }, { file });
    assert.deepEqual(result.ok ? [] : result.errors, [
      `providers[0].passwordFile: ${FILE} is empty or blank; put the password on its first line`,
    ], JSON.stringify(file));
  }
});

Deno.test("passwordFile: a relative path is not shown, in case it is the password", async () => {
  const result = await parseConfig(
    noip({ passwordFile: "secret.txt" }),
    PATH,
    {
      ...deps({}),
      readSecretFile: () => ({ text: `${PW}\n`, worldReadable: false }),
    },
  );
  assert.ok(result.ok);
  assert.equal(
    result.config.providers[0]?.passwordSource,
    "password from the file it names: first line, 10 characters",
  );
});

Deno.test("passwordEnv: the same rule; a value with a newline gives its first line", async () => {
  const multi = await parse({ passwordEnv: "DNSBEAT_PW" }, {
    env: { DNSBEAT_PW: `${PW}\r\nextra` },
  });
  assert.ok(multi.ok);
  assert.equal(multi.config.providers[0]?.password, PW);
  assert.equal(
    multi.config.providers[0]?.passwordSource,
    "password from the variable DNSBEAT_PW: first line, 10 characters (stripped: a trailing CR; 1 more line ignored)",
  );

  const plain = await parse({ passwordEnv: "DNSBEAT_PW" }, {
    env: { DNSBEAT_PW: `\uFEFF${PW}  ` },
  });
  assert.ok(plain.ok);
  assert.equal(plain.config.providers[0]?.password, PW);
  assert.equal(
    plain.config.providers[0]?.passwordSource,
    "password from the variable DNSBEAT_PW: first line, 10 characters (stripped: a BOM, 2 trailing blanks)",
  );

  const cases: [string, string][] = [
    [
      `\n${PW}`,
      "providers[0].passwordEnv: the first line of the variable DNSBEAT_PW is empty: dnsbeat reads the password from the first line only; put the password on the first line",
    ],
    [
      " \t",
      "providers[0].passwordEnv: the variable DNSBEAT_PW is empty or blank; put the password on its first line",
    ],
    [
      "",
      "providers[0].passwordEnv: the variable DNSBEAT_PW is not set or empty; set it to the password in dnsbeat's environment",
    ],
  ];
  for (const [value, error] of cases) {
    const result = await parse({ passwordEnv: "DNSBEAT_PW" }, { env: { DNSBEAT_PW: value } });
    assert.deepEqual(result.ok ? [] : result.errors, [error], JSON.stringify(value));
  }
});

Deno.test("password inline: taken as written; check is told its length only", async () => {
  const result = await parse({ password: ` ${PW} ` }, {});
  assert.ok(result.ok);
  assert.equal(result.config.providers[0]?.password, ` ${PW} `);
  assert.equal(
    result.config.providers[0]?.passwordSource,
    "password inline in the config: 12 characters",
  );
});

Deno.test("password inline in a config every user can read: the passwordFile warning", async () => {
  const warning =
    `providers[0].password: the config can be read by every user and holds this password inline; run: chmod 600 ${PATH}`;
  for (const [mode, warnings] of [[0o644, [warning]], [0o604, [warning]], [0o100644, [warning]]]) {
    const result = await parse({ password: PW }, { configMode: mode as number });
    assert.ok(result.ok);
    assert.deepEqual(result.warnings, warnings, (mode as number).toString(8));
  }
  // Group-readable is not warned: systemd's LoadCredential copy shows its ACL as group bits.
  for (const mode of [0o600, 0o640, 0o400, 0o440, null]) {
    const result = await parse({ password: PW }, { configMode: mode });
    assert.ok(result.ok);
    assert.deepEqual(result.warnings, [], String(mode));
  }
  // No inline password, no warning; a world-readable passwordFile keeps its own.
  const file = await parse({ passwordFile: FILE }, {
    configMode: 0o644,
    file: `${PW}\n`,
    fileWorldReadable: true,
  });
  assert.ok(file.ok);
  assert.deepEqual(file.warnings, [
    `providers[0].passwordFile: ${FILE} can be read by every user; run: chmod 600 ${FILE}`,
  ]);
  // Deps without the config's mode (tests, simulations): nothing checked.
  const blind = await parseConfig(noip({ password: PW }), PATH, {
    readSecretFile: () => ({ error: "none" }),
    env: () => undefined,
  });
  assert.ok(blind.ok);
  assert.deepEqual(blind.warnings, []);
});

Deno.test("password inline: one warning per provider, each naming its field", async () => {
  const data = {
    providers: [
      noipProvider({ password: PW }),
      dynamipProvider({ password: PW }),
    ],
  };
  const result = await parseConfig(data, PATH, deps({ configMode: 0o666 }));
  assert.ok(result.ok);
  assert.deepEqual(result.warnings.map((w) => w.split(":")[0]), [
    "providers[0].password",
    "providers[1].password",
  ]);
  assert.equal(
    result.config.providers[1]?.passwordSource,
    "password inline in the config: 10 characters",
  );
});
