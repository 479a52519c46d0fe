// A bounds pass over a CDR message before @foxglove/rosmsg2-serialization decodes it.
//
// Why a pass of our own in front of the library rather than the library alone: its reader allocates
// before it reads. A sequence of strings, booleans or times starts with `new Array(count)` for the count
// the message announces, so 16 bytes announcing 2^24 strings cost ~400 ms and 130 MB before the first
// string ran out of bytes; numeric sequences become views over the sample's ArrayBuffer checked against
// that buffer, not against the message (a DDS sample in a shared pool would read its neighbours' bytes).
// Writing a whole decoder instead would replace one that is checked against Cyclone DDS's bytes
// (tests/reference/cdr). This pass walks the message exactly as the library will (same alignment, same
// order, no allocation) and checks every count and length against the bytes left, with each element's
// smallest size, and bounded sequences and strings against their bounds. Only a message that passes is
// handed to the library, which then never reads past the message nor allocates more than it holds.
import type { MessageDefinition, MessageDefinitionField } from '@foxglove/message-definition';

/** Thrown when a message does not fit its bytes; the codec wraps it in its CodecError. */
export class BoundsError extends Error {}

/** Size and alignment of the fixed-size primitives as the library reads them (plain CDR: 8-byte alignment for 64-bit). */
const FIXED: ReadonlyMap<string, number> = new Map([
  ['bool', 1],
  ['int8', 1],
  ['uint8', 1],
  ['byte', 1],
  ['char', 1],
  ['int16', 2],
  ['uint16', 2],
  ['int32', 4],
  ['uint32', 4],
  ['float32', 4],
  ['int64', 8],
  ['uint64', 8],
  ['float64', 8],
]);

/** Nested messages deeper than this are refused (a recursive .msg would otherwise overflow the stack). */
const MAX_DEPTH = 64;

export interface BoundsChecker {
  /** Throws a BoundsError naming the field when `bytes` (with its 4-byte header) does not hold a whole message; returns the bytes read. */
  check(bytes: Uint8Array): number;
}

/** A checker for the root type of `definitions` (root first, as definitionsFor returns them). */
export function boundsChecker(definitions: MessageDefinition[]): BoundsChecker {
  const byName = new Map(definitions.map((d) => [d.name ?? '', d.definitions]));
  const root = definitions[0].definitions;
  const minSizes = new Map<MessageDefinitionField[], number>();

  /** The fewest bytes one message of `fields` takes (padding ignored: a lower bound). */
  const minSize = (fields: MessageDefinitionField[]): number => {
    const known = minSizes.get(fields);
    if (known !== undefined) return known;
    // A type that contains itself can only do so through a sequence (4 bytes): 1 is a safe floor meanwhile.
    minSizes.set(fields, 1);
    const data = fields.filter((f) => f.isConstant !== true);
    let n = data.length === 0 ? 1 : 0;
    for (const f of data) {
      if (f.isArray === true && f.arrayLength === undefined) n += 4;
      else n += (f.arrayLength ?? 1) * elementMin(f);
    }
    minSizes.set(fields, Math.max(1, n));
    return Math.max(1, n);
  };
  const elementMin = (f: MessageDefinitionField): number => {
    if (f.isComplex === true) return minSize(nested(f));
    if (f.type === 'string') return 4;
    if (f.type === 'time' || f.type === 'duration') return 8;
    return FIXED.get(f.type) ?? 1;
  };
  const nested = (f: MessageDefinitionField): MessageDefinitionField[] => {
    const d = byName.get(f.type);
    if (!d) throw new BoundsError(`${f.name}: unknown type ${f.type}`);
    return d;
  };

  return {
    check(bytes) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const little = bytes[1] === 1;
      const end = bytes.byteLength;
      let offset = 4;
      const path: string[] = [];
      const where = () => (path.length ? path.map((p, i) => (i > 0 && !p.startsWith('[') ? `.${p}` : p)).join('') : 'message');
      const fail = (why: string): never => {
        throw new BoundsError(`${where()}: ${why}`);
      };
      const align = (size: number) => {
        const r = (offset - 4) % size;
        if (r > 0) offset += size - r;
      };
      const take = (n: number, what: string) => {
        if (n > end - offset) fail(`${what} needs ${n} bytes, ${Math.max(0, end - offset)} left`);
        offset += n;
      };
      const u32 = (what: string): number => {
        align(4);
        if (end - offset < 4) fail(`${what} needs 4 bytes, ${Math.max(0, end - offset)} left`);
        const v = view.getUint32(offset, little);
        offset += 4;
        return v;
      };
      const string = (f: MessageDefinitionField) => {
        const length = u32('a string length');
        if (length > end - offset) fail(`a string of ${length} bytes, ${end - offset} left`);
        // The length counts the terminating NUL; the library drops the last byte unseen.
        if (length > 0 && bytes[offset + length - 1] !== 0) fail('a string without its terminating NUL');
        if (f.upperBound !== undefined && length - 1 > f.upperBound)
          fail(`a string of ${length - 1} bytes, longer than its bound ${f.upperBound}`);
        offset += length;
      };
      const one = (f: MessageDefinitionField, depth: number) => {
        if (f.isComplex === true) return message(nested(f), depth + 1);
        if (f.type === 'string') return string(f);
        if (f.type === 'time' || f.type === 'duration') {
          align(4);
          return take(8, f.type);
        }
        const size = FIXED.get(f.type);
        if (size === undefined) fail(`unsupported type ${f.type}`);
        align(size!);
        take(size!, f.type);
      };
      const array = (f: MessageDefinitionField, depth: number) => {
        const count = f.arrayLength ?? u32('a sequence length');
        if (f.arrayUpperBound !== undefined && count > f.arrayUpperBound)
          fail(`${count} elements, more than its bound ${f.arrayUpperBound}`);
        // The bound that matters: no count the remaining bytes cannot hold reaches an allocation.
        const min = elementMin(f);
        if (count * min > end - offset) fail(`${count} elements need at least ${count * min} bytes, ${end - offset} left`);
        const size = f.isComplex === true ? undefined : FIXED.get(f.type);
        if (size !== undefined) {
          // Numbers and booleans are read in one piece; the library aligns only a non-empty sequence.
          if (count === 0) return;
          if (size > 1) align(size);
          return take(count * size, `${count} ${f.type} elements`);
        }
        for (let i = 0; i < count; i++) {
          path.push(`[${i}]`);
          one(f, depth);
          path.pop();
        }
      };
      const message = (fields: MessageDefinitionField[], depth: number) => {
        if (depth > MAX_DEPTH) fail(`messages nested deeper than ${MAX_DEPTH}`);
        let data = false;
        for (const f of fields) {
          if (f.isConstant === true) continue;
          data = true;
          path.push(f.name);
          if (f.isArray === true) array(f, depth);
          else one(f, depth);
          path.pop();
        }
        // ROS 2 gives an empty message one uint8 member on the wire.
        if (!data) take(1, 'an empty message');
      };
      message(root, 0);
      return offset;
    },
  };
}
