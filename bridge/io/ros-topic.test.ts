// A topic output's wire: the message template built from its fixed fields.
import { describe, it, expect } from 'vitest';
import { topicWire } from './ros-topic.js';

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
