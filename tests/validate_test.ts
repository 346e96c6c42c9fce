import assert from "node:assert/strict";
import { Validator } from "../lib/config/validate.ts";

function validator(): Validator {
  return new Validator({ readSecretFile: () => ({ error: "none" }), env: () => undefined }, "");
}

Deno.test("Validator.error: the field, what was expected, and what was found by the one rule", () => {
  const v = validator();
  v.error("a", "a string", 5);
  v.error("b", "a string", { token: "s3cr3t-tok" });
  v.error("c", "a password", "s3cr3t-tok", true);
  assert.deepEqual(v.errors, [
    "a: expected a string, found 5",
    "b: expected a string, found an object",
    "c: expected a password, found a string of 10 characters",
  ]);
});

Deno.test("Validator.duration: a default when absent, the range in the config's words", () => {
  const v = validator();
  const obj = { a: "90s", b: "50ms", c: "11m", d: "30s", e: 30 };
  assert.equal(v.duration(obj, "absent", "x.", 7, 0), 7);
  assert.equal(v.duration(obj, "a", "x.", 7, 0), 90_000);
  assert.equal(v.duration(obj, "b", "x.", 7, 100, 600_000), 7);
  assert.equal(v.duration(obj, "c", "x.", 7, 100, 600_000), 7);
  assert.equal(v.duration(obj, "d", "x.", 7, 60_000), 7);
  assert.equal(v.duration(obj, "e", "x.", 7, 0), 7);
  assert.deepEqual(v.errors, [
    'x.b: must be between 100ms and 10m, found "50ms"',
    'x.c: must be between 100ms and 10m, found "11m"',
    'x.d: must be at least 1m, found "30s"',
    'x.e: expected a duration like "90s", "5m", "1h30m" or "25d", found 30',
  ]);
});

Deno.test("Validator.oneOf: the options, and the one they nearly wrote", () => {
  const v = validator();
  const obj = { a: "GET", b: "get", c: "PATCH", d: ["GET"] };
  const methods = ["GET", "POST"] as const;
  assert.equal(v.oneOf(obj, "a", "", methods, "POST"), "GET");
  assert.equal(v.oneOf(obj, "absent", "", methods, "POST"), "POST");
  assert.equal(v.oneOf(obj, "b", "", methods, "POST"), "POST");
  assert.equal(v.oneOf(obj, "c", "", methods, "POST"), "POST");
  assert.equal(v.oneOf(obj, "d", "", methods, "POST"), "POST");
  assert.deepEqual(v.errors, [
    'b: expected one of "GET", "POST", found "get" (did you mean "GET"?)',
    'c: expected one of "GET", "POST", found "PATCH"',
    'd: expected one of "GET", "POST", found a list',
  ]);
});

Deno.test("Validator.unknownKeys: a name with the nearest known one; a pasted token not shown", () => {
  const v = validator();
  const token = "ghp_16C7e42F292c6912E7710c838347Ae178B4a";
  v.unknownKeys({ name: 1, nmae: 2, [token]: 3 }, ["name", "events"], "notify[0].");
  assert.deepEqual(v.errors, [
    'notify[0].nmae: unknown field (did you mean "name"?); known: name, events',
    "notify[0].(a field name that is not shown): unknown field; known: name, events",
  ]);
});
