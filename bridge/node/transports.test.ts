// The transport table: lookup by name, and the node name, parameters and topic names an in-process
// entry resolves from the ROS arguments.
import { describe, expect, it } from 'vitest';
import { MemoryGraph } from '../transport/memory.js';
import { parseRosArgs } from './rosargs.js';
import { TRANSPORTS, TRANSPORT_NAMES, findTransport, isTransportName } from './transports.js';

describe('transport table', () => {
  it('lists every entry, each with a description, and refuses an unknown name naming the known ones', () => {
    expect(TRANSPORT_NAMES).toEqual(Object.keys(TRANSPORTS));
    expect(TRANSPORT_NAMES).toEqual(expect.arrayContaining(['ros', 'dds', 'memory']));
    for (const name of TRANSPORT_NAMES) expect(TRANSPORTS[name].description.length, name).toBeGreaterThan(20);
    expect(findTransport('memory')).toBe(TRANSPORTS.memory);
    expect(isTransportName('toString')).toBe(false);
    expect(() => findTransport('udp')).toThrow(`unknown transport "udp": expected ${TRANSPORT_NAMES.join(', ')}`);
  });

  it('memory: the node name, namespace, remaps and -p overrides apply as rcl applies them', async () => {
    const graph = new MemoryGraph();
    const rosArgs = ['--ros-args', '-r', '__node:=brain', '-r', '__ns:=/robot1', '-r', 'scan:=front/scan', '-p', 'tick_hz:=50.0'];
    const t = await TRANSPORTS.memory.open({ rosArgs, args: parseRosArgs(rosArgs), graph, log: () => undefined });
    expect([t.nodeName, t.namespace, t.transport.name]).toEqual(['brain', '/robot1', 'memory']);
    expect(t.resolve('scan')).toBe('/robot1/front/scan');
    expect(t.resolve('~/spikes')).toBe('/robot1/brain/spikes');
    expect(t.params.declare({ name: 'tick_hz', type: 'double', value: 1000, description: 'tick rate' })).toBe(50);
    // Topics reach the shared graph under their resolved names.
    t.transport.advertise('scan', 'std_msgs/msg/Float64', { reliability: 'reliable', durability: 'volatile', depth: 1 });
    expect([...graph.topics.keys()]).toEqual(['/robot1/front/scan']);
    await t.transport.close();
  });
});
