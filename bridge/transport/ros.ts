// The ROS 2 transport through rclnodejs, the only module that imports it, lazily. rclnodejs builds
// only against a sourced ROS 2, so it is not a dependency of Flux: on a robot it is installed with
// ROS sourced (see the Dockerfile issue). Bytes cross as serialized CDR both ways: raw subscriptions
// (options.isRaw) hand over a Buffer, and Publisher.publish accepts a Buffer, so rclnodejs's own
// message classes are never generated or used.
import { type Publisher, type QoS, type TopicInfo, type Transport } from './transport.js';

/** rclnodejs's ParameterType enum (types/parameter.d.ts). */
export const PARAMETER_TYPE = { NOT_SET: 0, BOOL: 1, INTEGER: 2, DOUBLE: 3, STRING: 4 } as const;

export interface RclParameter {
  readonly name: string;
  readonly type: number;
  value: unknown;
}

export interface SetParametersResult {
  successful: boolean;
  reason: string;
}

/** The part of rclnodejs 2.x this transport uses (signatures as in its types/index.d.ts, node.d.ts, parameter.d.ts and qos.d.ts). */
export interface RclnodejsModule {
  /** argv defaults to process.argv; rcl reads its --ros-args from it (node name, namespace, remaps, parameters). */
  init(context?: unknown, argv?: string[]): Promise<void>;
  shutdown(): void;
  /** Removes rclnodejs's own SIGINT handler, which would shut ROS down before Flux publishes its safe command. */
  removeSignalHandlers(): void;
  Node: new (nodeName: string, namespace?: string) => RclNode;
  Parameter: new (name: string, type: number, value?: unknown) => RclParameter;
  ParameterDescriptor: new (name: string, type: number, description?: string, readOnly?: boolean) => unknown;
  QoS: {
    new (history?: number, depth?: number, reliability?: number, durability?: number): unknown;
    HistoryPolicy: { RMW_QOS_POLICY_HISTORY_KEEP_LAST: number };
    ReliabilityPolicy: { RMW_QOS_POLICY_RELIABILITY_RELIABLE: number; RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT: number };
    DurabilityPolicy: { RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL: number; RMW_QOS_POLICY_DURABILITY_VOLATILE: number };
  };
}

export interface RclNode {
  createSubscription(
    typeClass: string,
    topic: string,
    options: { isRaw?: boolean; qos?: unknown },
    callback: (message: Buffer) => void,
  ): object;
  createPublisher(typeClass: string, topic: string, options?: { qos?: unknown }): { publish(message: Buffer): void };
  destroySubscription(subscription: object): void;
  destroyPublisher(publisher: object): void;
  spin(timeout?: number): void;
  destroy(): void;
  name(): string;
  namespace(): string;
  /** Every topic of the ROS graph with its types (rcl_get_topic_names_and_types). */
  getTopicNamesAndTypes(): { name: string; types: string[] }[];
  /** The fully qualified name after rcl's expansion and remapping. */
  resolveTopicName(topic: string): string;
  declareParameter(parameter: RclParameter, descriptor?: unknown, ignoreOverride?: boolean): RclParameter;
  hasParameter(name: string): boolean;
  getParameter(name: string): RclParameter;
  setParameter(parameter: RclParameter): SetParametersResult;
  addOnSetParametersCallback(callback: (parameters: RclParameter[]) => SetParametersResult): void;
}

export interface RosTransportOptions {
  nodeName?: string;
  namespace?: string;
  /** Command-line arguments for rcl (with their --ros-args markers); default none. */
  rosArgs?: string[];
  /** The rclnodejs module; by default imported on first use. */
  module?: RclnodejsModule;
}

/** Why the ROS transport cannot start here, in one line, or null when it can. */
export function rosUnavailable(): string | null {
  if (!process.env.ROS_DISTRO) return 'no sourced ROS 2 (ROS_DISTRO is not set): source /opt/ros/<distro>/setup.bash first';
  return null;
}

async function loadRclnodejs(): Promise<RclnodejsModule> {
  const why = rosUnavailable();
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the package at build time.
    const name = 'rclnodejs';
    const m = (await import(name)) as { default?: RclnodejsModule } & RclnodejsModule;
    return m.default ?? m;
  } catch (e) {
    throw new Error(
      `the ROS 2 transport needs rclnodejs, which installs only with ROS 2 sourced (npm install rclnodejs after sourcing setup.bash)${why ? `; ${why}` : ''}: ${(e as Error).message}`,
      { cause: e },
    );
  }
}

export class RosTransport implements Transport {
  readonly name = 'ros';
  private closed = false;

  private constructor(
    /** The module and node, for ROS parameters (bridge/node/parameters.ts). */
    readonly rcl: RclnodejsModule,
    readonly node: RclNode,
  ) {}

  static async open(options: RosTransportOptions = {}): Promise<RosTransport> {
    const rcl = options.module ?? (await loadRclnodejs());
    // rcl takes argv[0] as the program; only the ROS arguments follow, so Flux's own options never
    // reach rcl's parser. Remaps, the node name and namespace and parameter overrides apply inside rcl.
    await rcl.init(undefined, [process.argv[0] ?? 'node', ...(options.rosArgs ?? [])]);
    rcl.removeSignalHandlers();
    const node = new rcl.Node(options.nodeName ?? 'flux', options.namespace ?? '');
    node.spin();
    return new RosTransport(rcl, node);
  }

  private qos(q: QoS): unknown {
    const Q = this.rcl.QoS;
    return new Q(
      Q.HistoryPolicy.RMW_QOS_POLICY_HISTORY_KEEP_LAST,
      q.depth,
      q.reliability === 'reliable'
        ? Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_RELIABLE
        : Q.ReliabilityPolicy.RMW_QOS_POLICY_RELIABILITY_BEST_EFFORT,
      q.durability === 'transient_local'
        ? Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_TRANSIENT_LOCAL
        : Q.DurabilityPolicy.RMW_QOS_POLICY_DURABILITY_VOLATILE,
    );
  }

  topics(): TopicInfo[] {
    return this.node.getTopicNamesAndTypes().map((t) => ({ name: t.name, types: [...t.types] }));
  }

  subscribe(topic: string, type: string, qos: QoS, onMessage: (bytes: Uint8Array) => void): () => void {
    const sub = this.node.createSubscription(type, topic, { isRaw: true, qos: this.qos(qos) }, (buf) =>
      onMessage(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)),
    );
    return () => {
      if (!this.closed) this.node.destroySubscription(sub);
    };
  }

  advertise(topic: string, type: string, qos: QoS): Publisher {
    const pub = this.node.createPublisher(type, topic, { qos: this.qos(qos) });
    let open = true;
    return {
      publish: (bytes) => {
        if (!open || this.closed) throw new Error(`publisher on ${topic} is closed`);
        pub.publish(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      },
      close: () => {
        if (open && !this.closed) this.node.destroyPublisher(pub);
        open = false;
      },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.node.destroy();
    this.rcl.shutdown();
  }
}
