// Names that reach an object's prototype machinery when used as keys (`obj[name]`): never a field,
// port or input name. Here, below both bridge/ (field paths, message fields) and extensions/builtin/
// (expression inputs), so each imports it without importing the other.

/** Names that reach an object's prototype machinery when used as keys: never a path segment or input name. */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
