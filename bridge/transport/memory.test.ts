import { describe, it, expect } from 'vitest';
import { MemoryGraph, MemoryTransport } from './memory.js';
import { RemapTransport } from './remap.js';
import { DEFAULT_QOS, SENSOR_QOS } from './transport.js';

describe('MemoryTransport.topics: what the IDE lists', () => {
  it("lists each topic with its publishers' type, or the types its subscribers ask for; a remapping wrapper lists the same", () => {
    const graph = new MemoryGraph();
    const sim = new MemoryTransport(graph);
    const flux = new RemapTransport(new MemoryTransport(graph), (t) => (t.startsWith('/') ? t : `/robot1/${t}`));
    expect(flux.topics!()).toEqual([]);
    const pub = sim.advertise('/robot1/scan', 'sensor_msgs/msg/LaserScan', SENSOR_QOS);
    const unsub = flux.subscribe('cmd_vel_in', 'geometry_msgs/msg/Twist', DEFAULT_QOS, () => undefined);
    expect(flux.topics!()).toEqual([
      { name: '/robot1/cmd_vel_in', types: ['geometry_msgs/msg/Twist'] },
      { name: '/robot1/scan', types: ['sensor_msgs/msg/LaserScan'] },
    ]);
    // A topic whose last publisher and subscriber are gone is not listed.
    pub.close();
    unsub();
    expect(sim.topics()).toEqual([]);
  });

  it('a wrapper of a transport that cannot list topics cannot either', () => {
    const inner = { name: 'x', subscribe: () => () => undefined, advertise: () => ({ publish() {}, close() {} }), close: async () => {} };
    expect(new RemapTransport(inner, (t) => t).topics).toBeUndefined();
  });
});
