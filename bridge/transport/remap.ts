// Topic name resolution for transports that have no rcl to do it (memory, the simulated robot): the
// node's namespace and the --ros-args remaps apply here exactly as rcl applies them on the ROS
// transport, so one launch line means the same topics everywhere.
import type { GuardEndpoint, Publisher, QoS, TopicInfo, Transport } from './transport.js';

export class RemapTransport implements Transport {
  readonly name: string;
  /** The graph's topics (resolved names, as the graph has them), where the inner transport lists them. */
  readonly topics?: () => TopicInfo[];

  constructor(
    private readonly inner: Transport,
    private readonly resolve: (topic: string) => string,
  ) {
    this.name = inner.name;
    if (inner.topics) this.topics = () => inner.topics!();
  }

  subscribe(topic: string, type: string, qos: QoS, onMessage: (bytes: Uint8Array) => void): () => void {
    return this.inner.subscribe(this.resolve(topic), type, qos, onMessage);
  }

  advertise(topic: string, type: string, qos: QoS): Publisher {
    return this.inner.advertise(this.resolve(topic), type, qos);
  }

  guardEndpoint(topic: string, type: string, qos: QoS): GuardEndpoint | null {
    return this.inner.guardEndpoint?.(this.resolve(topic), type, qos) ?? null;
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
