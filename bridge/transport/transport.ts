// The one small interface every transport implements: topics carry serialized CDR bytes of a named
// ROS 2 type with a QoS. Encoding and decoding happen above it (bridge/codec), so the ROS transport
// (rclnodejs, raw subscriptions and publish(Buffer)) and the in-memory one move the same bytes.

export interface QoS {
  reliability: 'reliable' | 'best_effort';
  durability: 'volatile' | 'transient_local';
  /** History depth (keep last). */
  depth: number;
}

/** Sensors: best effort, so both reliable and best-effort publishers match (ROS 2's sensor data profile). */
export const SENSOR_QOS: QoS = { reliability: 'best_effort', durability: 'volatile', depth: 5 };
/** Commands and other state: reliable, depth 10 (ROS 2's default profile). */
export const DEFAULT_QOS: QoS = { reliability: 'reliable', durability: 'volatile', depth: 10 };

export interface TopicInfo {
  name: string;
  types: string[];
}

export interface Publisher {
  publish(bytes: Uint8Array): void;
  close(): void;
}

/**
 * A transport endpoint that another thread of this process can open by itself (plain data): the guard
 * thread (bridge/safety) writes safe commands through its own endpoint when the loop's thread is frozen.
 */
export interface GuardEndpoint {
  kind: 'dds';
  domainId: number;
  ddsTopic: string;
  ddsType: string;
  reliability: QoS['reliability'];
  durability: QoS['durability'];
  depth: number;
  userData?: string;
}

export interface Transport {
  readonly name: string;
  /**
   * Where a guard thread can publish on `topic` without this thread (null or absent: nowhere, e.g. an
   * in-process transport, which freezes with the loop anyway).
   */
  guardEndpoint?(topic: string, type: string, qos: QoS): GuardEndpoint | null;
  /** Calls `onMessage` for every sample received; returns the unsubscribe function. */
  subscribe(topic: string, type: string, qos: QoS, onMessage: (bytes: Uint8Array) => void): () => void;
  advertise(topic: string, type: string, qos: QoS): Publisher;
  /**
   * The topics the graph has now, with their types (what `ros2 topic list -t` prints), for the IDE's
   * topic picker; absent where the transport cannot list them.
   */
  topics?(): TopicInfo[];
  close(): Promise<void>;
}

/** ROS 2's matching rule: a reliable subscription does not match a best-effort publisher. */
export function qosCompatible(pub: QoS, sub: QoS): boolean {
  return !(sub.reliability === 'reliable' && pub.reliability === 'best_effort');
}
