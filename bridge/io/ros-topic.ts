// ROS 2 topics as extensions: `ros_topic_in` subscribes to a topic and streams one field (a number or
// an array) as its `value` port; `ros_topic_out` publishes a message whose fields come from its
// `command` port ({ values, safe }: one number per value path). The bridge's topic bindings are nodes
// of these two types, created through the same API as any other extension.
import { Observable } from 'rxjs';
import { Type, type Static } from '@sinclair/typebox';
import { defineExtension, type PortValue } from '../../extensions/api.js';
import { optionsGuard } from '../../extensions/registry.js';
import { createCodec, type Codec } from '../codec/cdr.js';
import { definitionsFor, type DefinitionSource } from '../codec/definitions.js';
import { compileFieldPath, type FieldPath } from '../fieldpath.js';
import { FORBIDDEN_SEGMENTS } from '../../extensions/names.js';
import { mergePatch } from '../../engine/circuit/merge.js';
import { publishedAs } from '../stamped.js';
import { DEFAULT_QOS, SENSOR_QOS, type Publisher, type QoS } from '../transport/transport.js';
import { need, type IoContext } from './context.js';
import { stringEnum } from '../../extensions/builtin/util.js';
import { nextTurn } from '../../engine/platform/turn.js';

// A document may give part of a QoS; what it leaves out comes from the profile of the node's kind.
export const qosSchema = Type.Object(
  {
    reliability: Type.Optional(stringEnum(['reliable', 'best_effort'])),
    durability: Type.Optional(stringEnum(['volatile', 'transient_local'])),
    depth: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

/** A node's QoS: the document's fields over the profile's (a partial QoS must not reach a transport). */
export function qosOf(given: Partial<QoS> | undefined, profile: QoS): QoS {
  return { ...profile, ...given };
}

const topicInSchema = Type.Object(
  {
    topic: Type.String(),
    type: Type.String({ description: 'e.g. sensor_msgs/msg/LaserScan' }),
    path: Type.String({ description: 'field path, e.g. ranges[0:180]' }),
    qos: Type.Optional(qosSchema),
  },
  { additionalProperties: false },
);

export type TopicInOptions = Static<typeof topicInSchema>;

export const rosTopicIn = defineExtension<TopicInOptions, IoContext>({
  name: 'ros_topic_in',
  kind: 'input',
  doc: 'Subscribes to a ROS 2 topic and streams one field of each message (bridge inputs bound to topics are nodes of this type)',
  options: topicInSchema,
  outputs: { value: { type: 'vector', doc: 'the field: a number, or an array for a slice' } },
  create(o, ctx) {
    const transport = need(ctx.transport, ctx, 'a transport');
    const codec = createCodec(o.type, ctx.definitions);
    const path = compileFieldPath(o.path, definitionsFor(o.type, ctx.definitions).definitions);
    return {
      outputs: {
        value: new Observable<PortValue>((sub) => {
          const decode = (bytes: Uint8Array) => {
            let v: number | number[];
            try {
              v = path.get(codec.decode(bytes)) as number | number[];
            } catch {
              // Bad bytes, or a message the path does not fit, are counted and dropped, never passed on.
              ctx.count?.('malformed');
              return;
            }
            sub.next(v);
          };
          const latest = latestPerTurn(decode, () => ctx.count?.('superseded'));
          const unsubscribe = transport.subscribe(o.topic, o.type, qosOf(o.qos, SENSOR_QOS), (bytes) => {
            ctx.count?.('received');
            latest.offer(bytes);
          });
          return () => {
            latest.close();
            unsubscribe();
          };
        }),
      },
    };
  },
});

/** Samples of one input decoded in one turn of the event loop before later ones are coalesced. */
const DECODES_PER_TURN = 4;

/**
 * Latest-value sampling of a topic input: the engine reads only an input's newest value, so decoding
 * every sample of a flood only costs ticks (a DDS flood cut the loop to 459 ticks/s with 274 ms gaps
 * between commands). The first few samples of a turn of the event loop are decoded at once (no added
 * latency, and a short burst, e.g. after a GC pause, keeps exact counters); later samples of the same
 * turn wait, each replacing the one before (counted as superseded, never decoded), and the newest is
 * decoded in the next turn. So an input costs a bounded number of decodes per turn however many
 * samples a batch holds, and the newest always arrives. Every sample counts as received; malformed
 * counts only the samples decoded.
 */
function latestPerTurn(decode: (bytes: Uint8Array) => void, superseded: () => void): { offer(bytes: Uint8Array): void; close(): void } {
  let pending: Uint8Array | null = null;
  let decoded = 0;
  let scheduled = false;
  let closed = false;
  const onTurn = () => {
    scheduled = false;
    if (closed) return;
    decoded = 0;
    const bytes = pending;
    pending = null;
    if (bytes) run(bytes);
  };
  const run = (bytes: Uint8Array) => {
    decoded++;
    if (!scheduled) {
      scheduled = true;
      nextTurn(onTurn);
    }
    decode(bytes);
  };
  return {
    offer(bytes) {
      if (decoded < DECODES_PER_TURN) return run(bytes);
      if (pending) superseded();
      pending = bytes;
    },
    close() {
      closed = true;
      pending = null;
    },
  };
}

const topicOutSchema = Type.Object(
  {
    topic: Type.String(),
    type: Type.String(),
    paths: Type.Array(Type.String(), { minItems: 1 }),
    safe: Type.Array(Type.Number(), { description: 'one value per path: the command when inputs or the engine stall, and at stop' }),
    stamped: Type.Optional(Type.Boolean()),
    frameId: Type.Optional(Type.String()),
    // Fixed fields of the message (any shape its type allows; checked by encoding a first message).
    fields: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object' })),
    qos: Type.Optional(qosSchema),
  },
  { additionalProperties: false },
);

/**
 * The options as documents give them, except `safe` (the command sent when the host sends the node
 * safe: a stall, a stale input, stop): documents must give it; the bridge's own outputs leave it out,
 * because the bridge sends their limits' safe values.
 */
export type TopicOutOptions = Omit<Static<typeof topicOutSchema>, 'safe'> & { safe?: number[] };

/** A command for an output: one number per value path, and whether they are the safe values. */
export type Command = { values: number[]; safe: boolean };

/** The command a `command` port carries; throws naming what came instead (a wiring mistake in a document). */
export function commandOf(v: PortValue): Command {
  if (typeof v !== 'object' || Array.isArray(v) || !('values' in v) || !('safe' in v) || typeof v.safe !== 'boolean') throw notCommand(v);
  const values: unknown = v.values;
  if (!Array.isArray(values) || !values.every((x): x is number => typeof x === 'number')) throw notCommand(v);
  return { values, safe: v.safe };
}

function notCommand(v: unknown): Error {
  return new Error(`the command port takes { values: number[], safe: boolean }, not ${JSON.stringify(v)}`);
}

export interface TopicWire {
  type: string;
  codec: Codec;
  paths: FieldPath[];
  template: Record<string, unknown>;
  stamp: { sec: number; nanosec: number } | null;
}

/** Codec, value paths and message template of an output as published; throws on a bad combination. */
export function topicWire(o: TopicOutOptions, definitions?: DefinitionSource): TopicWire {
  const type = publishedAs(o.type, '', !!o.stamped).type;
  const codec = createCodec(type, definitions);
  const defs = definitionsFor(type, definitions).definitions;
  const paths = o.paths.map((p) => compileFieldPath(publishedAs(o.type, p, !!o.stamped).path, defs));
  // Fixed fields override the zero message as a circuit override does (JSON Merge Patch); their keys
  // come from the document and become property keys, so prototype names are refused first.
  forbiddenKey(o.fields ?? {}, 'fields');
  const template = mergePatch(codec.zero(), o.fields ?? {}) as Record<string, unknown>;
  const header = template.header as { stamp?: { sec: number; nanosec: number }; frame_id?: string } | undefined;
  if (o.stamped && header && !(o.fields as { header?: unknown } | undefined)?.header) header.frame_id = o.frameId ?? 'base_link';
  codec.encode(template); // a bad fixed field fails here, not at the first publish
  return { type, codec, paths, template, stamp: header?.stamp ?? null };
}

/** Throws naming the JSON path of the first key of `x` (at any depth) that is a prototype name. */
function forbiddenKey(x: unknown, where: string, depth = 0): void {
  if (x === null || typeof x !== 'object' || depth > 32) return;
  for (const [k, v] of Object.entries(x)) {
    const at = Array.isArray(x) ? `${where}[${k}]` : `${where}.${k}`;
    if (FORBIDDEN_SEGMENTS.has(k)) throw new Error(`${at}: "${k}" is not allowed as a field name`);
    forbiddenKey(v, at, depth + 1);
  }
}

export const rosTopicOut = defineExtension<TopicOutOptions, IoContext>({
  name: 'ros_topic_out',
  kind: 'output',
  doc: 'Publishes a ROS 2 message whose value paths come from the command port (bridge outputs bound to topics are nodes of this type)',
  options: topicOutSchema,
  inputs: { command: { type: 'message', doc: '{ values: number[] (one per path), safe: boolean }' } },
  create(o, ctx) {
    const transport = need(ctx.transport, ctx, 'a transport');
    const wire = topicWire(o, ctx.definitions);
    let pub: Publisher | null = null;
    const publish = (command: PortValue) => {
      if (!pub) return;
      try {
        const c = commandOf(command);
        // One message object, rewritten in place: every published field is set each time, and the
        // encoder keeps no reference (a clone per publish at 1 kHz was measurable garbage).
        wire.paths.forEach((p, k) => p.set(wire.template, c.values[k]));
        if (wire.stamp) {
          const ms = ctx.rosTime?.() ?? Date.now();
          wire.stamp.sec = Math.floor(ms / 1000);
          wire.stamp.nanosec = Math.min(999_999_999, Math.round((ms - wire.stamp.sec * 1000) * 1e6));
        }
        pub.publish(wire.codec.encode(wire.template));
        ctx.count?.('published');
      } catch (e) {
        ctx.fail?.(e);
      }
    };
    return {
      consume(inputs) {
        inputs.command?.subscribe(publish);
      },
      start() {
        pub = transport.advertise(o.topic, wire.type, qosOf(o.qos, DEFAULT_QOS));
      },
      safe() {
        if (o.safe) publish({ values: o.safe, safe: true });
      },
      stop() {
        if (o.safe) publish({ values: o.safe, safe: true });
        pub?.close();
        pub = null;
      },
    };
  },
});

/** Whether a node's options are ros_topic_out's (the guard thread reads a node's safe values through this). */
export const isTopicOutOptions = optionsGuard(rosTopicOut);
