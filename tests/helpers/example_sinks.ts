/**
 * The notification sinks of `examples/notify.json`, by name: the tests send events through each,
 * so every example the README points to is known to validate and to reach its service as expected.
 *
 * @module
 */

const file = new URL("../../examples/notify.json", import.meta.url);
const config = JSON.parse(await Deno.readTextFile(file)) as { notify: Record<string, unknown>[] };

/** Each example sink's config entry, by its `name`. */
export const EXAMPLE_SINKS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = Object
  .fromEntries(config.notify.map((sink) => [String(sink.name), sink]));
