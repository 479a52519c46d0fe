// A topic output's wire: the message template built from its fixed fields.
import { describe, it, expect } from 'vitest';
import { qosOf, rosTopicIn, topicWire } from './ros-topic.js';
import type { IoContext } from './context.js';
import { DEFAULT_QOS, SENSOR_QOS, type QoS, type Transport } from '../transport/transport.js';

describe('topic outputs', () => {
  it("an output's fixed fields may not name prototype keys (they are merged into the message template)", () => {
    const out = (fields: unknown) =>
      topicWire({ topic: '/cmd', type: 'geometry_msgs/msg/Twist', paths: ['linear.x'], fields: fields as Record<string, unknown> });
    expect(() => out(JSON.parse('{"__proto__": {"polluted": 1}}'))).toThrow(/fields.__proto__: "__proto__" is not allowed/);
    expect(() => out({ angular: { constructor: 1 } })).toThrow(/fields.angular.constructor/);
    expect(out({ angular: { z: 0.5 } }).template).toMatchObject({ angular: { z: 0.5 } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('QoS of topic nodes declared in documents', () => {
  // A document may give part of a QoS (the schema makes every field optional); a transport needs all of it.
  it('fills what the document leaves out from the profile of the node kind', () => {
    expect(qosOf({ depth: 3 }, SENSOR_QOS)).toEqual({ reliability: 'best_effort', durability: 'volatile', depth: 3 });
    expect(qosOf({ reliability: 'best_effort' }, DEFAULT_QOS)).toEqual({ reliability: 'best_effort', durability: 'volatile', depth: 10 });
    expect(qosOf(undefined, DEFAULT_QOS)).toEqual(DEFAULT_QOS);
  });

  it('a ros_topic_in node with a partial QoS subscribes with a whole one', () => {
    const asked: QoS[] = [];
    const transport: Transport = {
      name: 'recording',
      subscribe: (_topic, _type, qos) => (asked.push(qos), () => undefined),
      advertise: () => ({ publish: () => undefined, close: () => undefined }),
      close: async () => undefined,
    };
    const ctx: IoContext = { name: 'range', dir: '.', log: () => undefined, transport };
    const node = rosTopicIn.create({ topic: '/range', type: 'sensor_msgs/msg/Range', path: 'range', qos: { depth: 2 } }, ctx);
    const sub = node.outputs.value.subscribe();
    sub.unsubscribe();
    expect(asked).toEqual([{ reliability: 'best_effort', durability: 'volatile', depth: 2 }]);
  });
});
