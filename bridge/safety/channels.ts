// Each output's way to its actuator that the guard thread (guard-worker.ts) can use without the loop's
// thread, with its safe message already serialized: a DDS endpoint of the transport and the CDR bytes
// of the safe message, or a device's descriptor (serial port, Firmata board) and its safe frame. For
// the bridge's outputs and for extension output nodes that declare a `safe` value.
import { fstatSync } from 'node:fs';
import type { Device } from '../devices.js';
import type { DefinitionSource } from '../codec/definitions.js';
import { DEFAULT_QOS, type GuardEndpoint, type QoS, type Transport } from '../transport/transport.js';
import { isTopicOutOptions, qosOf, topicWire, type TopicOutOptions } from '../io/ros-topic.js';
import { isDeviceOutOptions } from '../io/device.js';
import type { NodeSpec } from '../../extensions/host.js';
import type { GuardChannel } from './protocol.js';

/** What the guard needs to know of one bridge output. */
export interface GuardedOutput {
  /** Identity for the cache: replaced when the output is rebound (another topic, stamped). */
  key: object;
  name: string;
  rateHz: number;
  /** One safe value per value path. */
  safe: number[];
  /** A device output: value paths name its fields. */
  device: Device | null;
  paths: string[];
  /** A topic output: how it is published (its wire type follows from `stamped`). */
  topic: TopicOutOptions | null;
}

interface Context {
  transport: Transport;
  definitions?: DefinitionSource;
  devices?: Map<string, Device>;
  report: (message: string) => void;
}

export class GuardChannels {
  /** Topic channels, encoded once per output spec or node spec: the refresh runs on the loop's thread. */
  private readonly cache = new WeakMap<object, { endpoint: GuardEndpoint | null; bytes: Uint8Array }>();

  constructor(private readonly ctx: Context) {}

  /** Whether any output could ever have a channel (a serial device that connects later included). */
  couldHold(outputs: GuardedOutput[], nodes: readonly NodeSpec[]): boolean {
    return (
      outputs.some((o) =>
        o.device ? typeof o.device.guardFrame === 'function' : this.topicChannel(o.key, o.topic!, o.safe, o.name, 1) !== null,
      ) || nodes.some((n) => this.forNode(n) !== null)
    );
  }

  /** The channels as they are now (a device not connected yet has none). */
  list(outputs: GuardedOutput[], nodes: readonly NodeSpec[]): GuardChannel[] {
    const channels: GuardChannel[] = [];
    for (const o of outputs) {
      const periodMs = 1000 / o.rateHz;
      const c = o.device
        ? this.deviceChannel(o.device, Object.fromEntries(o.paths.map((p, k) => [p, o.safe[k]])), o.name, periodMs)
        : this.topicChannel(o.key, o.topic!, o.safe, o.name, periodMs);
      if (c) channels.push(c);
    }
    for (const n of nodes) {
      const c = this.forNode(n);
      if (c) channels.push(c);
    }
    return channels;
  }

  /** An output extension node with a safe value in its document (ros_topic_out, device_out). */
  private forNode(spec: NodeSpec): GuardChannel | null {
    const o = spec.options;
    const name = `node ${spec.name}`;
    const periodMs = spec.rateHz ? 1000 / spec.rateHz : 50;
    // The host checked these options against the type's schema before the node started; the guards
    // say so to the type checker (and leave out a node whose options were changed since).
    if (spec.type === 'ros_topic_out') return isTopicOutOptions(o) && o.safe ? this.topicChannel(spec, o, o.safe, name, periodMs) : null;
    if (spec.type !== 'device_out' || !isDeviceOutOptions(o) || !o.safe) return null;
    const safe = o.safe;
    const device = this.ctx.devices?.get(o.device);
    return device ? this.deviceChannel(device, Object.fromEntries(o.fields.map((f, k) => [f, safe[k] ?? 0])), name, periodMs) : null;
  }

  private deviceChannel(device: Device, values: Record<string, number>, name: string, periodMs: number): GuardChannel | null {
    try {
      const f = device.guardFrame?.(values);
      if (!f) return null;
      const st = fstatSync(f.fd);
      return { kind: 'fd', name, fd: f.fd, dev: st.dev, ino: st.ino, bytes: f.bytes, periodMs };
    } catch (e) {
      this.ctx.report(`guard: no safe channel for ${name}: ${(e as Error).message}`);
      return null;
    }
  }

  private topicChannel(key: object, options: TopicOutOptions, safe: number[], name: string, periodMs: number): GuardChannel | null {
    let cached = this.cache.get(key);
    if (!cached) {
      try {
        const wire = topicWire(options, this.ctx.definitions);
        const qos: QoS = qosOf(options.qos, DEFAULT_QOS);
        const endpoint = this.ctx.transport.guardEndpoint?.(options.topic, wire.type, qos) ?? null;
        wire.paths.forEach((p, k) => p.set(wire.template, safe[k] ?? 0));
        // A zero stamp: ros2_control's diff_drive_controller takes it as "now" rather than as an old command.
        if (wire.stamp) {
          wire.stamp.sec = 0;
          wire.stamp.nanosec = 0;
        }
        cached = { endpoint, bytes: endpoint ? wire.codec.encode(wire.template) : new Uint8Array(0) };
      } catch (e) {
        this.ctx.report(`guard: no safe channel for ${name}: ${(e as Error).message}`);
        cached = { endpoint: null, bytes: new Uint8Array(0) };
      }
      this.cache.set(key, cached);
    }
    return cached.endpoint ? { ...cached.endpoint, name, bytes: cached.bytes, periodMs } : null;
  }
}
