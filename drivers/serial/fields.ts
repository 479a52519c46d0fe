// Field mappings for serial devices: how numbers are read out of a received frame (inputs) and how
// output values become a frame (outputs). Compiled once from the device declaration, so a bad regex,
// offset or type is reported when the device is created, not at the first frame.
import type { FramingSpec } from './framing.js';

export type BinType =
  'u8' | 'i8' | 'u16le' | 'u16be' | 'i16le' | 'i16be' | 'u32le' | 'u32be' | 'i32le' | 'i32be' | 'f32le' | 'f32be' | 'f64le' | 'f64be';

const BIN: Record<BinType, { size: number; int?: [number, number] }> = {
  u8: { size: 1, int: [0, 0xff] },
  i8: { size: 1, int: [-0x80, 0x7f] },
  u16le: { size: 2, int: [0, 0xffff] },
  u16be: { size: 2, int: [0, 0xffff] },
  i16le: { size: 2, int: [-0x8000, 0x7fff] },
  i16be: { size: 2, int: [-0x8000, 0x7fff] },
  u32le: { size: 4, int: [0, 0xffffffff] },
  u32be: { size: 4, int: [0, 0xffffffff] },
  i32le: { size: 4, int: [-0x80000000, 0x7fffffff] },
  i32be: { size: 4, int: [-0x80000000, 0x7fffffff] },
  f32le: { size: 4 },
  f32be: { size: 4 },
  f64le: { size: 8 },
  f64be: { size: 8 },
};

export function binSize(type: BinType): number {
  const t = BIN[type];
  if (!t) throw new FieldError(`unknown binary type "${type}" (one of ${Object.keys(BIN).join(', ')})`);
  return t.size;
}

export function readBin(view: DataView, offset: number, type: BinType): number {
  switch (type) {
    case 'u8':
      return view.getUint8(offset);
    case 'i8':
      return view.getInt8(offset);
    case 'u16le':
      return view.getUint16(offset, true);
    case 'u16be':
      return view.getUint16(offset, false);
    case 'i16le':
      return view.getInt16(offset, true);
    case 'i16be':
      return view.getInt16(offset, false);
    case 'u32le':
      return view.getUint32(offset, true);
    case 'u32be':
      return view.getUint32(offset, false);
    case 'i32le':
      return view.getInt32(offset, true);
    case 'i32be':
      return view.getInt32(offset, false);
    case 'f32le':
      return view.getFloat32(offset, true);
    case 'f32be':
      return view.getFloat32(offset, false);
    case 'f64le':
      return view.getFloat64(offset, true);
    case 'f64be':
      return view.getFloat64(offset, false);
  }
}

/** Writes `v`; integer types are rounded and saturated (a command never wraps around). */
export function writeBin(view: DataView, offset: number, type: BinType, v: number): void {
  const int = BIN[type].int;
  if (int) v = Number.isFinite(v) ? Math.min(int[1], Math.max(int[0], Math.round(v))) : 0;
  switch (type) {
    case 'u8':
      return view.setUint8(offset, v);
    case 'i8':
      return view.setInt8(offset, v);
    case 'u16le':
      return view.setUint16(offset, v, true);
    case 'u16be':
      return view.setUint16(offset, v, false);
    case 'i16le':
      return view.setInt16(offset, v, true);
    case 'i16be':
      return view.setInt16(offset, v, false);
    case 'u32le':
      return view.setUint32(offset, v, true);
    case 'u32be':
      return view.setUint32(offset, v, false);
    case 'i32le':
      return view.setInt32(offset, v, true);
    case 'i32be':
      return view.setInt32(offset, v, false);
    case 'f32le':
      return view.setFloat32(offset, v, true);
    case 'f32be':
      return view.setFloat32(offset, v, false);
    case 'f64le':
      return view.setFloat64(offset, v, true);
    case 'f64be':
      return view.setFloat64(offset, v, false);
  }
}

export class FieldError extends Error {}

/**
 * One input field. Text (`lines`): `regex` (first capture group, or the whole match), `key`
 * (`key=value` or `key:value` tokens separated by spaces, commas or semicolons) or `column` (0-based,
 * `separator` default ","). JSON: `path` (`a.b.c`, `a.b[0]` or `a.b.0`). Bytes (binary, SLIP, COBS):
 * `offset` and `type`. The number read is `value * scale + bias` (defaults 1 and 0).
 */
export type InputField = { name: string; scale?: number; bias?: number } & (
  { regex: string } | { key: string } | { column: number; separator?: string } | { path: string } | { offset: number; type: BinType }
);

/** Reads one field out of one frame; undefined when the frame does not carry it. */
type Reader = (frame: unknown) => number | undefined;

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const t = s.trim();
  if (t === '') return undefined;
  const v = Number(t);
  return Number.isFinite(v) ? v : undefined;
}

/**
 * Names that reach an object's prototype when used as keys (`o.__proto__.x = 1` pollutes every object):
 * never a field name or a JSON path step. (drivers/serial stands alone; bridge/fieldpath.ts refuses the
 * same names in ROS field paths.)
 */
export const PROTOTYPE_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** Largest array index a JSON path may name. */
const MAX_INDEX = 1 << 16;

/** Throws when a document's field name is a prototype name. */
export function checkFieldName(name: string, where: string): void {
  if (PROTOTYPE_NAMES.has(name)) throw new FieldError(`${where}: not allowed as a field name`);
}

export function parsePath(path: string, where?: string): (string | number)[] {
  const fail = (why: string): never => {
    throw new FieldError(`${where ? `${where}: ` : ''}JSON path "${path}": ${why}`);
  };
  const parts: (string | number)[] = [];
  for (const p of path.split(/\.|(?=\[)/)) {
    if (p === '') fail('empty step');
    const m = /^\[(\d+)\]$/.exec(p) ?? /^(\d+)$/.exec(p);
    if (m) {
      const i = Number(m[1]);
      if (i > MAX_INDEX) fail(`index ${m[1]} is beyond the largest (${MAX_INDEX})`);
      parts.push(i);
    } else if (/^[^[\]]+$/.test(p)) {
      if (PROTOTYPE_NAMES.has(p)) fail(`"${p}" is not allowed as a step`);
      parts.push(p);
    } else fail(`bad step "${p}"`);
  }
  return parts;
}

export function compileInput(field: InputField, framing: FramingSpec): Reader {
  const scale = field.scale ?? 1;
  const bias = field.bias ?? 0;
  const post = (v: number | undefined) => (v === undefined ? undefined : v * scale + bias);
  const textual = framing.kind === 'lines';
  const bytes = framing.kind === 'binary' || framing.kind === 'slip' || framing.kind === 'cobs';
  const where = `input field "${field.name}"`;
  checkFieldName(field.name, where);
  if ('regex' in field) {
    if (!textual) throw new FieldError(`${where}: regex needs "lines" framing`);
    let re: RegExp;
    try {
      re = new RegExp(field.regex);
    } catch (e) {
      throw new FieldError(`${where}: bad regex: ${(e as Error).message}`);
    }
    return (f) => {
      const m = re.exec(f as string);
      return m ? post(num(m[1] ?? m[0])) : undefined;
    };
  }
  if ('key' in field) {
    if (!textual) throw new FieldError(`${where}: key needs "lines" framing`);
    const key = field.key;
    return (f) => {
      for (const tok of (f as string).split(/[\s,;]+/)) {
        const i = tok.search(/[=:]/);
        if (i > 0 && tok.slice(0, i) === key) return post(num(tok.slice(i + 1)));
      }
      return undefined;
    };
  }
  if ('column' in field) {
    if (!textual) throw new FieldError(`${where}: column needs "lines" framing`);
    if (!Number.isInteger(field.column) || field.column < 0) throw new FieldError(`${where}: column must be an integer >= 0`);
    const sep = field.separator ?? ',';
    const col = field.column;
    return (f) => post(num((f as string).split(sep)[col]));
  }
  if ('path' in field) {
    if (framing.kind !== 'json') throw new FieldError(`${where}: path needs "json" framing`);
    const parts = parsePath(field.path, where);
    return (f) => {
      let v: unknown = f;
      for (const p of parts) {
        // Own properties only: an inherited one (an array's length, a prototype's method) is not in the frame.
        if (v === null || typeof v !== 'object' || !Object.hasOwn(v, p)) return undefined;
        v = (v as Record<string | number, unknown>)[p];
      }
      if (typeof v === 'boolean') return post(v ? 1 : 0);
      return typeof v === 'number' && Number.isFinite(v) ? post(v) : undefined;
    };
  }
  if ('offset' in field) {
    if (!bytes) throw new FieldError(`${where}: offset/type needs "binary", "slip" or "cobs" framing`);
    const size = binSize(field.type);
    if (!Number.isInteger(field.offset) || field.offset < 0) throw new FieldError(`${where}: offset must be an integer >= 0`);
    if (framing.kind === 'binary' && field.offset + size > framing.length)
      throw new FieldError(`${where}: ${field.type} at ${field.offset} runs past the ${framing.length}-byte payload`);
    const { offset, type } = field;
    return (f) => {
      const b = f as Uint8Array;
      if (offset + size > b.length) return undefined;
      const v = readBin(new DataView(b.buffer, b.byteOffset, b.byteLength), offset, type);
      return Number.isFinite(v) ? post(v) : undefined;
    };
  }
  throw new FieldError(`${where}: needs one of regex, key, column, path or offset+type`);
}

/**
 * The output frame. `lines`: `template` with `{field}` placeholders (`M {left} {right}`; the newline
 * is added), numbers printed with `precision` decimals (default: up to 6, trailing zeros dropped).
 * `json`: `json` maps each field to a dotted path in the object sent. Bytes: `layout` gives the payload
 * length (for `binary` framing: the framing's length) and each field's offset and type.
 */
export interface OutputSpec {
  template?: string;
  precision?: number;
  json?: Record<string, string>;
  layout?: { length: number; fields: { name: string; offset: number; type: BinType }[] };
}

export interface CompiledOutput {
  fields: string[];
  /** The message for `encodeFrame`: a line, a JSON object or payload bytes. */
  build(values: Record<string, number>): unknown;
}

export function compileOutput(spec: OutputSpec, framing: FramingSpec): CompiledOutput {
  if (framing.kind === 'lines') {
    if (spec.template === undefined) throw new FieldError('output: "lines" framing needs a template');
    const tpl = spec.template.replace(/\n$/, '');
    const fields = [...new Set([...tpl.matchAll(/\{([A-Za-z_][\w.]*)\}/g)].map((m) => m[1]))];
    for (const k of fields) checkFieldName(k, `output field "${k}"`);
    const fmt = (v: number) => (spec.precision !== undefined ? v.toFixed(spec.precision) : String(Number(v.toFixed(6))));
    return { fields, build: (vals) => tpl.replace(/\{([A-Za-z_][\w.]*)\}/g, (_, k: string) => fmt(valueOf(vals, k))) };
  }
  if (framing.kind === 'json') {
    if (!spec.json) throw new FieldError('output: "json" framing needs a json field map');
    const entries = Object.entries(spec.json).map(([k, p]) => {
      checkFieldName(k, `output field "${k}"`);
      return [k, parsePath(p, `output field "${k}"`)] as const;
    });
    refuseOverlaps(entries);
    return {
      fields: entries.map(([k]) => k),
      build: (vals) => {
        // Objects without a prototype: no key of the document can reach one (and JSON.stringify is the same).
        const root: Record<string | number, unknown> = Object.create(null);
        for (const [k, parts] of entries) {
          let o = root;
          for (let i = 0; i < parts.length - 1; i++) o = (o[parts[i]] ??= Object.create(null)) as Record<string | number, unknown>;
          o[parts[parts.length - 1]] = valueOf(vals, k);
        }
        return root;
      },
    };
  }
  const layout = spec.layout;
  if (!layout) throw new FieldError(`output: "${framing.kind}" framing needs a layout`);
  if (framing.kind === 'binary' && layout.length !== framing.length)
    throw new FieldError(`output: layout length ${layout.length} differs from the framing's ${framing.length}`);
  for (const f of layout.fields) checkFieldName(f.name, `output field "${f.name}"`);
  for (const f of layout.fields)
    if (!Number.isInteger(f.offset) || f.offset < 0 || f.offset + binSize(f.type) > layout.length)
      throw new FieldError(`output field "${f.name}": ${f.type} at ${f.offset} runs past the ${layout.length}-byte payload`);
  return {
    fields: layout.fields.map((f) => f.name),
    build: (vals) => {
      const b = new Uint8Array(layout.length);
      const view = new DataView(b.buffer);
      for (const f of layout.fields) writeBin(view, f.offset, f.type, valueOf(vals, f.name));
      return b;
    },
  };
}

/** An output field's value: own properties only (a caller's plain object inherits `constructor`). */
function valueOf(vals: Record<string, number>, k: string): number {
  return Object.hasOwn(vals, k) ? vals[k] : 0;
}

/** JSON output paths where one lies inside the other would overwrite it, or write into a number. */
function refuseOverlaps(entries: readonly (readonly [string, (string | number)[]])[]): void {
  for (let i = 0; i < entries.length; i++)
    for (let j = i + 1; j < entries.length; j++) {
      const [a, pa] = entries[i];
      const [b, pb] = entries[j];
      const n = Math.min(pa.length, pb.length);
      if (pa.slice(0, n).every((p, k) => String(p) === String(pb[k])))
        throw new FieldError(`output fields "${a}" and "${b}": JSON paths ${pa.join('.')} and ${pb.join('.')} overlap`);
    }
}
