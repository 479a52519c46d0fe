// FAKE rclnodejs: the subset of rclnodejs 2.x's API that bridge/transport/ros.ts uses, with the same
// names, signatures and enum values (types/node.d.ts, types/qos.d.ts of rclnodejs), over an in-process
// graph. ROS 2 cannot be installed on these machines; the real module is exercised by
// tests/ros-contract.test.ts where ROS_DISTRO is set.
import type { RclnodejsModule, RclNode } from '../../bridge/transport/ros.js';

class FakeQoS {
  static HistoryPolicy = { RMW_QOS_POLICY_HISTORY_SYSTEM_DEFAULT: 0, RMW_QOS_POLICY_HISTORY_KEEP_LAST: 1, RMW_QOS_POLICY_HISTORY_KEEP_ALL: 2 };
  static ReliabilityPolicy = { RMW_QOS_POLICY_RELIABILITY_SYSTEM_DEFAULT: 0, RMW_QOS_POLICY_RELIABILITY_RELIABLE: 1, RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: 2 };
  static DurabilityPolicy = { RMW_QOS_POLICY_DURABILITY_SYSTEM_DEFAULT: 0, RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: 1, RMW_QOS_POLICY_DURABILITY_VOLATILE: 2 };
  constructor(
    public history = 0,
    public depth = 0,
    public reliability = 0,
    public durability = 0,
  ) {}
}

export interface FakeGraph {
  subs: { node: string; type: string; topic: string; options: { isRaw?: boolean; qos?: unknown }; callback: (m: Buffer) => void }[];
  pubs: { type: string; topic: string; qos: unknown }[];
  calls: string[];
}

export function fakeRclnodejs(): { module: RclnodejsModule; graph: FakeGraph } {
  const graph: FakeGraph = { subs: [], pubs: [], calls: [] };
  class FakeNode implements RclNode {
    constructor(
      private readonly nodeName: string,
      private readonly ns = '',
    ) {
      graph.calls.push(`Node(${nodeName},${ns})`);
    }
    createSubscription(typeClass: string, topic: string, options: { isRaw?: boolean; qos?: unknown }, callback: (message: Buffer) => void): object {
      const s = { node: this.nodeName, type: typeClass, topic, options, callback };
      graph.subs.push(s);
      return s;
    }
    createPublisher(typeClass: string, topic: string, options: { qos?: unknown } = {}) {
      const p = { type: typeClass, topic, qos: options.qos };
      graph.pubs.push(p);
      return {
        ...p,
        // rclnodejs publishes a Buffer as already serialized bytes.
        publish: (message: Buffer) => {
          for (const s of graph.subs) if (s.topic === topic && s.type === typeClass && s.options.isRaw) s.callback(Buffer.from(message));
        },
      };
    }
    destroySubscription(subscription: object): void {
      graph.subs = graph.subs.filter((s) => s !== subscription);
    }
    destroyPublisher(): void {
      graph.calls.push('destroyPublisher');
    }
    spin(): void {
      graph.calls.push('spin');
    }
    destroy(): void {
      graph.calls.push('destroy');
    }
  }
  const module: RclnodejsModule = {
    init: async () => void graph.calls.push('init'),
    shutdown: () => void graph.calls.push('shutdown'),
    Node: FakeNode,
    QoS: FakeQoS as unknown as RclnodejsModule['QoS'],
  };
  return { module, graph };
}
