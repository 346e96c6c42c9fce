import assert from "node:assert/strict";
import fc from "fast-check";
import { didYouMean, kind, nameLike, nearest, show } from "../lib/config/shown.ts";

Deno.test("show: scalars as JSON cut at 60 characters; lists and objects by kind only", () => {
  assert.equal(show("5 minutes"), '"5 minutes"');
  assert.equal(show(30), "30");
  assert.equal(show(null), "null");
  assert.equal(show(undefined), "nothing");
  assert.equal(show("x".repeat(100)), `"${"x".repeat(56)}...`);
  assert.equal(show({ token: "s3cr3t-tok" }), "an object");
  assert.equal(show(["s3cr3t-tok"]), "a list");
  assert.equal(show([]), "an empty list");
});

Deno.test("kind: what a value is, a string by its length only", () => {
  assert.equal(kind("s3cr3t-tok"), "a string of 10 characters");
  assert.equal(kind(""), "a string of 0 characters");
  assert.equal(kind(1234), "a number");
  assert.equal(kind(true), "a boolean");
  assert.equal(kind({}), "an object");
});

Deno.test("show and kind: no message shows any part of a token inside a list or an object", () => {
  fc.assert(
    fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{8,40}$/), (t) => {
      for (const value of [{ token: t }, [t], { a: [{ b: t }] }, [[t]]]) {
        for (const text of [show(value), kind(value)]) assert.ok(!text.includes(t.slice(0, 8)));
      }
      assert.ok(!kind(t).includes(t));
    }),
  );
});

Deno.test("nearest: a slip of one edit, two in a longer name; case does not count", () => {
  const keys = ["interval", "hostnames", "password", "siteId", "events"];
  assert.equal(nearest("intervall", keys), "interval");
  assert.equal(nearest("passwd", keys), "password");
  assert.equal(nearest("siteID", keys), "siteId");
  assert.equal(nearest("evnets", keys), "events", "two neighbours swapped are one edit");
  assert.equal(nearest("titel", ["type", "title"]), "title");
  assert.equal(nearest("post", ["GET", "POST"]), "POST");
  assert.equal(nearest("PUT", ["GET", "POST"]), undefined, "two edits from a short name");
  assert.equal(nearest("color", keys), undefined);
  assert.equal(nearest("ab", ["abc", "ab_"]), "abc", "the first of equally near names");
});

Deno.test("didYouMean: the hint, or nothing for a value that is not text", () => {
  assert.equal(didYouMean("stoped", ["updated", "stopped"]), ' (did you mean "stopped"?)');
  assert.equal(didYouMean("zzz", ["updated", "stopped"]), "");
  assert.equal(didYouMean({ token: "stopped" }, ["stopped"]), "");
});

Deno.test("nameLike: names are shown, what may be a pasted token is not", () => {
  for (const name of ["intervall", "ipv6Source", "user_agent", "x-token"]) {
    assert.ok(nameLike(name), name);
  }
  for (const text of ["", "Bearer abc", "9lives", "a".repeat(21), "tok=1", "ÿ"]) {
    assert.ok(!nameLike(text), text);
  }
});
