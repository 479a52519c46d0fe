// Field paths into ROS 2 messages: `linear.x`, `ranges[0:180]`, `ranges[-1]`, `ranges[0:360:2]`,
// `pose.pose.orientation` (a message of numbers: its numeric fields in definition order). A path is
// compiled once against the message definition, so a typo is reported when the bridge starts, with
// the fields that exist, not at the first message. Reading yields a number or a number array; writing
// (outputs) puts a number or an array into a message object. A message the path does not fit (an index
// outside the array, a slice longer than it, an empty selection) is refused with a FieldPathError, which
// the input path counts as malformed: the input then goes stale as for a silent sensor, instead of
// passing on a shorter slice or an empty one that encodes as NaN.
import type { MessageDefinition, MessageDefinitionField } from '@foxglove/message-definition';
import { FORBIDDEN_SEGMENTS } from '../extensions/names.js';

export class FieldPathError extends Error {}

type Step = { kind: 'field'; name: string } | { kind: 'index'; i: number } | { kind: 'slice'; start?: number; end?: number; step: number };

export interface FieldPath {
  readonly text: string;
  /** Whether reading gives an array (slices, array fields, messages of several numbers). */
  readonly vector: boolean;
  get(msg: unknown): number | number[];
  /** Writes into `msg` (created by Codec.zero()); arrays go into slices, array fields or messages. */
  set(msg: Record<string, unknown>, value: number | ArrayLike<number>): void;
}

/** The shipped definitions give builtin_interfaces Time and Duration as the primitives time/duration. */
const TIME: MessageDefinition = {
  name: 'builtin_interfaces/Time',
  definitions: [
    { name: 'sec', type: 'int32' },
    { name: 'nanosec', type: 'uint32' },
  ],
};

const NUMERIC = /^(u?int(8|16|32|64)|float(32|64)|byte|char|bool|time|duration)$/;

/** Largest index or slice bound a path may name (bounds what writing a slice allocates). */
export const MAX_INDEX = 1 << 20;

function parse(text: string): Step[] {
  const steps: Step[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)|\[(-?\d*)(?::(-?\d*))?(?::(\d*))?\]|(\.)/gy;
  let m: RegExpExecArray | null;
  let expectName = true;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    m = re.exec(text);
    if (!m) throw new FieldPathError(`field path "${text}": unexpected "${text.slice(pos)}" at column ${pos + 1}`);
    pos = re.lastIndex;
    if (m[1] !== undefined) {
      if (!expectName) throw new FieldPathError(`field path "${text}": expected "." or "[" before "${m[1]}"`);
      if (FORBIDDEN_SEGMENTS.has(m[1])) throw new FieldPathError(`field path "${text}": "${m[1]}" is not allowed as a field name`);
      steps.push({ kind: 'field', name: m[1] });
      expectName = false;
    } else if (m[5] !== undefined) {
      if (expectName) throw new FieldPathError(`field path "${text}": a field name is missing at column ${pos}`);
      expectName = true;
    } else {
      const isSlice = m[0].includes(':');
      const num = (s: string | undefined) => {
        if (s === undefined || s === '') return undefined;
        const v = Number(s);
        if (!(Math.abs(v) <= MAX_INDEX)) throw new FieldPathError(`field path "${text}": ${s} is beyond the largest index (${MAX_INDEX})`);
        return v;
      };
      if (!isSlice) {
        if (m[2] === '') throw new FieldPathError(`field path "${text}": empty index`);
        steps.push({ kind: 'index', i: num(m[2])! });
      } else {
        const step = num(m[4]) ?? 1;
        if (step < 1) throw new FieldPathError(`field path "${text}": slice step must be >= 1`);
        const start = num(m[2]);
        const end = num(m[3]);
        // Bounds of the same sign select nothing in any array when start >= end.
        if (start !== undefined && end !== undefined && start < 0 === end < 0 && start >= end)
          throw new FieldPathError(`field path "${text}": slice ${m[0]} selects nothing`);
        steps.push({ kind: 'slice', start, end, step });
      }
    }
  }
  if (steps.length === 0 || expectName) throw new FieldPathError(`field path "${text}": empty or ends with "."`);
  return steps;
}

/** Compiles `text` against the definitions of `type` (root first, as definitionsFor returns them). */
export function compileFieldPath(text: string, definitions: MessageDefinition[]): FieldPath {
  const steps = parse(text);
  const byName = new Map(definitions.map((d) => [d.name, d]));
  // Walk the definition to check every field and find what the path ends on.
  let def: MessageDefinition | undefined = definitions[0] as MessageDefinition | undefined;
  let fieldType: string | null = null;
  let isArray = false;
  let fixedLength: number | undefined;
  let vector = false;
  for (const s of steps) {
    if (s.kind === 'field') {
      if (isArray) throw new FieldPathError(`field path "${text}": "${s.name}" follows an array; index it first`);
      if (!def) throw new FieldPathError(`field path "${text}": "${s.name}" follows a ${fieldType}, which has no fields`);
      const f: MessageDefinitionField | undefined = def.definitions.find((d) => d.name === s.name && !d.isConstant);
      if (!f)
        throw new FieldPathError(
          `field path "${text}": ${def.name} has no field "${s.name}"; it has ${def.definitions
            .filter((d) => !d.isConstant)
            .map((d) => d.name)
            .join(', ')}`,
        );
      fieldType = f.type;
      isArray = f.isArray === true;
      fixedLength = f.arrayLength;
      def = f.isComplex ? byName.get(f.type) : f.type === 'time' || f.type === 'duration' ? TIME : undefined;
    } else {
      if (!isArray)
        throw new FieldPathError(`field path "${text}": [${s.kind === 'index' ? s.i : '…'}] applies to a field that is not an array`);
      isArray = false;
      if (s.kind === 'slice') vector = true;
      // A fixed-size array's length is known now: a path outside it is a mistake in the document.
      if (fixedLength !== undefined) {
        if (s.kind === 'index' && (s.i >= fixedLength || s.i < -fixedLength))
          throw new FieldPathError(`field path "${text}": index ${s.i} is outside the field's ${fixedLength} elements`);
        if (s.kind === 'slice') fittedSlice(s, fixedLength, text);
      }
    }
  }
  if (isArray) vector = true;
  if (def && !isArray) {
    const leaves = def.definitions.filter((d) => !d.isConstant);
    if (!leaves.every((d) => !d.isComplex && !d.isArray && NUMERIC.test(d.type)))
      throw new FieldPathError(`field path "${text}": ends on ${def.name}, which is not a message of numbers; name one of its fields`);
    vector = true;
  } else if (!def && fieldType !== null && !NUMERIC.test(fieldType)) {
    throw new FieldPathError(`field path "${text}": ends on a ${fieldType}, not a number`);
  }
  const leafNames = def ? def.definitions.filter((d) => !d.isConstant).map((d) => d.name) : null;
  const wantsArray = isArray;

  const toNumber = (x: unknown): number => (typeof x === 'bigint' ? Number(x) : typeof x === 'boolean' ? (x ? 1 : 0) : (x as number));
  const flatten = (x: unknown): number | number[] => {
    if (leafNames && x && typeof x === 'object' && !ArrayBuffer.isView(x) && !Array.isArray(x))
      return leafNames.map((n) => toNumber((x as Record<string, unknown>)[n]));
    if (ArrayBuffer.isView(x) || Array.isArray(x)) return Array.from(x as ArrayLike<unknown>, toNumber);
    return toNumber(x);
  };

  return {
    text,
    vector,
    get(msg) {
      let cur: unknown = msg;
      for (const s of steps) {
        if (s.kind === 'field') cur = own(cur, s.name, text);
        else {
          const arr = cur as ArrayLike<unknown>;
          if (s.kind === 'index') {
            const i = s.i < 0 ? arr.length + s.i : s.i;
            if (i < 0 || i >= arr.length) throw new FieldPathError(`field path "${text}": index ${s.i} outside an array of ${arr.length}`);
            cur = arr[i];
          } else {
            const [a, b] = fittedSlice(s, arr.length, text);
            const out: unknown[] = [];
            for (let i = a; i < b; i += s.step) out.push(arr[i]);
            cur = out;
          }
        }
      }
      if ((ArrayBuffer.isView(cur) || Array.isArray(cur)) && (cur as ArrayLike<unknown>).length === 0)
        throw new FieldPathError(`field path "${text}": the message's array is empty`);
      return flatten(cur);
    },
    set(msg, value) {
      let parent: unknown = msg;
      for (let k = 0; k < steps.length - 1; k++) {
        const s = steps[k];
        parent = s.kind === 'field' ? (parent as Record<string, unknown>)[s.name] : (parent as unknown[])[(s as { i: number }).i];
      }
      const last = steps[steps.length - 1];
      const values = typeof value === 'number' ? [value] : Array.from(value);
      if (last.kind === 'field') {
        if (leafNames) {
          const target = (parent as Record<string, unknown>)[last.name] as Record<string, number>;
          leafNames.forEach((n, j) => (target[n] = values[j] ?? 0));
        } else if (wantsArray) (parent as Record<string, unknown>)[last.name] = values;
        else (parent as Record<string, unknown>)[last.name] = values[0];
      } else if (last.kind === 'index') (parent as number[])[last.i] = values[0];
      else {
        const arr = parent as number[];
        const [a, b] = sliceBounds(last, Math.max(arr.length, last.end ?? 0));
        for (let i = arr.length; i < a; i++) arr[i] = 0;
        let j = 0;
        for (let i = a; i < b; i += last.step) arr[i] = values[j++] ?? 0;
      }
    },
  };
}

/** An own field of a decoded message (never an inherited property). */
function own(x: unknown, name: string, text: string): unknown {
  if (x === null || typeof x !== 'object' || !Object.hasOwn(x, name))
    throw new FieldPathError(`field path "${text}": the message has no field "${name}"`);
  return (x as Record<string, unknown>)[name];
}

/**
 * The bounds of slice `s` in an array of `n`, which must hold every element the slice names: `[0:360]`
 * of 100 beams, or `[-10:]` of 5, does not fit (reading it anyway gave a silently shorter slice).
 */
function fittedSlice(s: { start?: number; end?: number }, n: number, text: string): [number, number] {
  const at = (x: number) => (x < 0 ? n + x : x);
  const a = s.start === undefined ? 0 : at(s.start);
  const b = s.end === undefined ? n : at(s.end);
  if (a < 0 || b > n || a >= b) throw new FieldPathError(`field path "${text}": the slice does not fit the message's array of ${n}`);
  return [a, b];
}

function sliceBounds(s: { start?: number; end?: number }, n: number): [number, number] {
  const clampIdx = (x: number) => Math.max(0, Math.min(n, x < 0 ? n + x : x));
  return [clampIdx(s.start ?? 0), clampIdx(s.end ?? n)];
}
