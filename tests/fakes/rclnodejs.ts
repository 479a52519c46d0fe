// FAKE rclnodejs: the subset of rclnodejs 2.x's API that bridge/transport/ros.ts uses, with the same
// names, signatures and enum values (types/node.d.ts, types/qos.d.ts of rclnodejs), over an in-process
// graph. ROS 2 cannot be installed on these machines; the real module is exercised by
// tests/ros-contract.test.ts where ROS_DISTRO is set. What rcl does with the arguments given to
// init() (remaps, __node, __ns, parameter overrides) is NOT modelled: the fake records the arguments,
// expands relative names with the node's namespace, and keeps parameters the way rclnodejs's
// lib/node.js does (declare -> set callbacks -> store; setParameter -> type check -> callbacks -> store).
import type { RclnodejsModule, RclNode, RclParameter, SetParametersResult } from '../../bridge/transport/ros.js';

/** rclnodejs's ParameterType values. */
const PT = { PARAMETER_NOT_SET: 0, PARAMETER_BOOL: 1, PARAMETER_INTEGER: 2, PARAMETER_DOUBLE: 3, PARAMETER_STRING: 4 };

class FakeParameter implements RclParameter {
  value: unknown;
  constructor(
    readonly name: string,
    readonly type: number,
    value?: unknown,
  ) {
    this.value = value;
  }
}

class FakeParameterDescriptor {
  constructor(
    readonly name: string,
    readonly type: number,
    readonly description = '',
    readonly readOnly = false,
  ) {}
}

class FakeQoS {
  static HistoryPolicy = {
    RMW_QOS_POLICY_HISTORY_SYSTEM_DEFAULT: 0,
    RMW_QOS_POLICY_HISTORY_KEEP_LAST: 1,
    RMW_QOS_POLICY_HISTORY_KEEP_ALL: 2,
  };
  static ReliabilityPolicy = {
    RMW_QOS_POLICY_RELIABILITY_SYSTEM_DEFAULT: 0,
    RMW_QOS_POLICY_RELIABILITY_RELIABLE: 1,
    RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: 2,
  };
  static DurabilityPolicy = {
    RMW_QOS_POLICY_DURABILITY_SYSTEM_DEFAULT: 0,
    RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: 1,
    RMW_QOS_POLICY_DURABILITY_VOLATILE: 2,
  };
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
  /** The argv given to init(). */
  argv: string[] | undefined;
  nodes: FakeNodeApi[];
}

export interface FakeNodeApi extends RclNode {
  descriptors: Map<string, FakeParameterDescriptor>;
}

export function fakeRclnodejs(): { module: RclnodejsModule; graph: FakeGraph } {
  const graph: FakeGraph = { subs: [], pubs: [], calls: [], argv: undefined, nodes: [] };
  class FakeNode implements FakeNodeApi {
    private readonly params = new Map<string, RclParameter>();
    readonly descriptors = new Map<string, FakeParameterDescriptor>();
    private readonly callbacks: ((ps: RclParameter[]) => SetParametersResult)[] = [];
    constructor(
      private readonly nodeName: string,
      private readonly ns = '',
    ) {
      graph.calls.push(`Node(${nodeName},${ns})`);
      graph.nodes.push(this);
      // rclnodejs's TimeSource declares use_sim_time on every node.
      this.declareParameter(new FakeParameter('use_sim_time', PT.PARAMETER_BOOL, false));
    }
    name(): string {
      return this.nodeName;
    }
    namespace(): string {
      return this.ns || '/';
    }
    getTopicNamesAndTypes(): { name: string; types: string[] }[] {
      // rcl lists every topic some node publishes or subscribes, with the types seen there.
      const seen = new Map<string, Set<string>>();
      for (const e of [...graph.subs, ...graph.pubs]) (seen.get(e.topic) ?? seen.set(e.topic, new Set()).get(e.topic)!).add(e.type);
      return [...seen].map(([name, types]) => ({ name, types: [...types] }));
    }
    resolveTopicName(topic: string): string {
      if (topic.startsWith('/')) return topic;
      const ns = this.namespace() === '/' ? '' : this.namespace();
      return topic.startsWith('~/') ? `${ns}/${this.nodeName}/${topic.slice(2)}` : `${ns}/${topic}`;
    }
    declareParameter(parameter: RclParameter, descriptor?: unknown): RclParameter {
      if (this.params.has(parameter.name)) throw new Error(`Parameter(${parameter.name}) already declared.`);
      const d = (descriptor as FakeParameterDescriptor | undefined) ?? new FakeParameterDescriptor(parameter.name, parameter.type);
      this.descriptors.set(parameter.name, d);
      const r = this.setAtomically([parameter], true);
      if (!r.successful) {
        this.descriptors.delete(parameter.name);
        throw new Error(r.reason);
      }
      return parameter;
    }
    hasParameter(name: string): boolean {
      return this.params.has(name);
    }
    getParameter(name: string): RclParameter {
      return this.params.get(name) ?? new FakeParameter(name, PT.PARAMETER_NOT_SET);
    }
    setParameter(parameter: RclParameter): SetParametersResult {
      return this.setAtomically([parameter], false);
    }
    addOnSetParametersCallback(callback: (ps: RclParameter[]) => SetParametersResult): void {
      this.callbacks.unshift(callback);
    }
    private setAtomically(ps: RclParameter[], declaring: boolean): SetParametersResult {
      for (const p of ps) {
        const d = this.descriptors.get(p.name);
        if (!d) return { successful: false, reason: `Parameter ${p.name} has not been declared` };
        if (!declaring && d.readOnly) return { successful: false, reason: `Parameter ${p.name} is readonly` };
        if (p.type !== d.type) return { successful: false, reason: `Parameter ${p.name} type mismatch` };
      }
      for (const cb of this.callbacks) {
        const r = cb(ps);
        if (!r.successful) return r;
      }
      for (const p of ps) this.params.set(p.name, p);
      return { successful: true, reason: '' };
    }
    createSubscription(
      typeClass: string,
      topic: string,
      options: { isRaw?: boolean; qos?: unknown },
      callback: (message: Buffer) => void,
    ): object {
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
    init: async (_context?: unknown, argv?: string[]) => {
      graph.calls.push('init');
      graph.argv = argv;
    },
    shutdown: () => void graph.calls.push('shutdown'),
    removeSignalHandlers: () => void graph.calls.push('removeSignalHandlers'),
    Node: FakeNode,
    Parameter: FakeParameter,
    ParameterDescriptor: FakeParameterDescriptor,
    QoS: FakeQoS,
  };
  return { module, graph };
}
