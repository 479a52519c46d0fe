// CDR (de)serialization of ROS 2 messages with @foxglove/rosmsg2-serialization. Transports move
// serialized bytes; this turns them into plain objects and back. Decoding accepts any encapsulation
// options value and trailing padding (Cyclone DDS pads samples to 4 bytes and counts the padding in
// the options; rmw and the foxglove writer do not), and fails with a CodecError on anything malformed.
import { CdrWriter } from '@foxglove/cdr';
import { MessageReader, MessageWriter } from '@foxglove/rosmsg2-serialization';
import type { MessageDefinition } from '@foxglove/message-definition';
import { definitionsFor, splitType, type DefinitionSource } from './definitions.js';
import { boundsChecker } from './bounds.js';

export class CodecError extends Error {}

// @foxglove/cdr 3.5.0 (the newest release) writes a string's length as its count of UTF-16 code units,
// not of UTF-8 bytes: "héllo" went out as 6 bytes with its last letter cut (checked against Cyclone
// DDS). Fixed upstream (foxglove/cdr#35) but not released; until then this replaces the one method, on
// the class the serializer itself uses. Decoding was right.
const utf8 = new TextEncoder();
CdrWriter.prototype.string = function (this: CdrWriter, value: string, writeLength = true): CdrWriter {
  const bytes = utf8.encode(value);
  if (writeLength) this.uint32(bytes.length + 1);
  this.uint8Array(bytes, false);
  this.uint8(0);
  return this;
};

export interface Codec {
  /** "package/msg/Type" */
  readonly type: string;
  decode(bytes: Uint8Array): Record<string, unknown>;
  encode(message: Record<string, unknown>): Uint8Array;
  /** A message of this type with every field zero, empty or false (a template for outputs). */
  zero(): Record<string, unknown>;
}

/** CDR little-endian (00 01) and big-endian (00 00) plain encapsulations; others are refused. */
const PLAIN_CDR = new Set([0x0000, 0x0001]);

export function createCodec(type: string, src: DefinitionSource = {}): Codec {
  const [pkg, name] = splitType(type);
  const { definitions } = definitionsFor(type, src);
  const wire = withPlaceholder(definitions);
  const reader = new MessageReader(wire);
  const writer = new MessageWriter(wire);
  const bounds = boundsChecker(wire);
  const full = `${pkg}/msg/${name}`;
  const zero = () => zeroOf(`${pkg}/${name}`, definitions);
  // Read-only: complete() only copies references out of it into the message being written.
  const base = zero();
  return {
    type: full,
    decode(bytes) {
      if (bytes.byteLength < 4) throw new CodecError(`${full}: ${bytes.byteLength} bytes, shorter than the CDR header`);
      const kind = (bytes[0] << 8) | bytes[1];
      if (!PLAIN_CDR.has(kind)) throw new CodecError(`${full}: unsupported encapsulation 0x${kind.toString(16).padStart(4, '0')}`);
      let msg: Record<string, unknown>;
      try {
        // Every count and length is checked against the bytes left before the library allocates for it
        // (bounds.ts says why this pass exists).
        bounds.check(bytes);
        msg = reader.readMessage(bytes) as Record<string, unknown>;
      } catch (e) {
        throw new CodecError(`${full}: malformed CDR (${(e as Error).message})`);
      }
      // Cyclone's padding is at most 3 bytes; more left over means the bytes are of another type.
      const rest = bytes.byteLength - reader.lastReadByteLength();
      if (rest > 3) throw new CodecError(`${full}: ${rest} bytes left after the message (another type or distro?)`);
      if (wire !== definitions) delete msg[PLACEHOLDER];
      return msg;
    },
    encode(message) {
      try {
        // A missing sequence field would be written as length 0 followed by its .msg default's elements
        // (unreadable bytes), so missing fields are filled from the default message first.
        return writer.writeMessage(complete(message, base));
      } catch (e) {
        throw new CodecError(`${full}: cannot encode (${(e as Error).message})`);
      }
    },
    zero,
  };
}

/** The member ROS 2 gives a message without fields when it converts it to IDL (one uint8 on the wire). */
const PLACEHOLDER = 'structure_needs_at_least_one_member';

/**
 * The definitions with that member made explicit in a root of constants only (rcl_interfaces/ParameterType
 * and the like): the library reads such a root as a module of constants and refuses to build a reader.
 */
function withPlaceholder(definitions: MessageDefinition[]): MessageDefinition[] {
  const [root, ...rest] = definitions;
  if (root.definitions.some((f) => f.isConstant !== true)) return definitions;
  return [{ ...root, definitions: [...root.definitions, { name: PLACEHOLDER, type: 'uint8' }] }, ...rest];
}

/** `message` with every field it lacks taken from `base` (recursively into nested messages). */
function complete(message: Record<string, unknown>, base: Record<string, unknown>): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(base)) {
    const m = message[k];
    if (m === undefined) (out ??= { ...message })[k] = v;
    else if (
      v &&
      typeof v === 'object' &&
      !Array.isArray(v) &&
      !ArrayBuffer.isView(v) &&
      m &&
      typeof m === 'object' &&
      !Array.isArray(m) &&
      !ArrayBuffer.isView(m)
    ) {
      const c = complete(m as Record<string, unknown>, v as Record<string, unknown>);
      if (c !== m) (out ??= { ...message })[k] = c;
    }
  }
  return out ?? message;
}

function zeroOf(type: string, defs: ReturnType<typeof definitionsFor>['definitions']): Record<string, unknown> {
  const def = defs.find((d) => d.name === type) ?? defs[0];
  const out: Record<string, unknown> = {};
  for (const f of def.definitions) {
    if (f.isConstant) continue;
    const one = () =>
      f.isComplex
        ? zeroOf(f.type, defs)
        : f.type === 'time' || f.type === 'duration'
          ? { sec: 0, nanosec: 0 } // the shipped sets' builtin_interfaces
          : f.type === 'string' || f.type === 'wstring'
            ? ''
            : f.type === 'bool'
              ? false
              : /int64/.test(f.type)
                ? 0n
                : 0;
    // Fields with a default in their .msg (test_msgs/Defaults, some ROS types) start at it, as in rclcpp.
    if (f.defaultValue !== undefined) out[f.name] = Array.isArray(f.defaultValue) ? [...f.defaultValue] : f.defaultValue;
    else if (f.isArray) out[f.name] = f.arrayLength !== undefined ? Array.from({ length: f.arrayLength }, one) : [];
    else out[f.name] = one();
  }
  return out;
}
