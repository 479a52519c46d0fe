// The `dds` transport: Flux on a ROS 2 graph with no ROS install, speaking DDS through Flux's Cyclone
// DDS addon (native/dds) with ROS 2's conventions, as rmw_cyclonedds does:
//   - topic `/scan` is the DDS topic `rt/scan`; type `sensor_msgs/msg/LaserScan` is
//     `sensor_msgs::msg::dds_::LaserScan_`; payloads are the same XCDR1 bytes the codecs write;
//   - the domain is ROS_DOMAIN_ID (default 0);
//   - endpoints carry USER_DATA `typehash=RIHS01_...;` when the installed interface package has
//     the type's hash (Iron and later generate share/<pkg>/msg/<Type>.json); Humble never sets it.
// Namespaces and remaps are applied above this (RemapTransport), as for the memory transport.
// Discovery and network settings come from Cyclone's own configuration (CYCLONEDDS_URI).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ddsAddon, type AddonParticipant, type AddonReader, type AddonWriter, type DdsEvent, type DdsQos } from './dds-addon.js';
import type { GuardEndpoint, Publisher, QoS, Transport } from './transport.js';
import { encodeParticipantEntitiesInfo, gidBytesFor, ROS_DISCOVERY_TOPIC, ROS_DISCOVERY_TYPE } from './ros-graph.js';

export { ddsUnavailable } from './dds-addon.js';

/** `/scan` → `rt/scan` (ROS 2's prefix for topics; services use rq/rr). */
export function ddsTopicName(topic: string): string {
  const abs = topic.startsWith('/') ? topic : `/${topic}`;
  return `rt${abs}`;
}

/** `sensor_msgs/msg/LaserScan` (or `sensor_msgs/LaserScan`) → [`sensor_msgs`, `msg`, `LaserScan`]. */
function typeParts(type: string): [string, string, string] {
  const parts = type.split('/');
  if (parts.length === 2) parts.splice(1, 0, 'msg');
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(p)))
    throw new Error(`not a ROS 2 message type: ${type} (expected package/msg/Type)`);
  return parts as [string, string, string];
}

/** `sensor_msgs/msg/LaserScan` (or `sensor_msgs/LaserScan`) → `sensor_msgs::msg::dds_::LaserScan_`. */
export function ddsTypeName(type: string): string {
  const [pkg, kind, name] = typeParts(type);
  return `${pkg}::${kind}::dds_::${name}_`;
}

/** The domain ROS 2 would use: ROS_DOMAIN_ID, 0 when unset. */
export function rosDomainId(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.ROS_DOMAIN_ID;
  if (v === undefined || v.trim() === '') return 0;
  const n = Number(v);
  // DDS domains map to UDP ports; 232 is the highest that fits RTPS's port formula with room for participants.
  if (!Number.isInteger(n) || n < 0 || n > 232) throw new Error(`ROS_DOMAIN_ID=${v} is not a domain id (an integer 0..232)`);
  return n;
}

/**
 * The type's RIHS01 hash from an installed interface package (Iron and later ship it in
 * share/<pkg>/msg/<Type>.json), or null where none is installed (Humble, or no ROS at all).
 */
export function installedTypeHash(type: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const [pkg, , name] = typeParts(type);
  for (const prefix of (env.AMENT_PREFIX_PATH ?? '').split(':').filter(Boolean)) {
    const file = join(prefix, 'share', pkg, 'msg', `${name}.json`);
    if (!existsSync(file)) continue;
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { type_hashes?: { type_name: string; hash_string: string }[] };
      const own = doc.type_hashes?.find((h) => h.type_name === `${pkg}/msg/${name}`);
      if (own) return own.hash_string;
    } catch {
      // An unreadable description file only costs the typehash; matching is by type name.
    }
  }
  return null;
}

/** One endpoint's state, as `flux` reports it. */
export interface DdsEndpointStatus {
  role: 'reader' | 'writer';
  /** The ROS topic and type, and their DDS names. */
  topic: string;
  type: string;
  ddsTopic: string;
  ddsType: string;
  qos: QoS;
  /** Peers matched now. */
  matched: number;
  /** Peers seen on the topic whose QoS did not match, cumulative, with the last policy at fault. */
  incompatibleQos: number;
  incompatiblePolicy?: string;
  /** Reader: samples lost on the wire, rejected, or dropped because Flux fell behind. */
  lost: number;
  rejected: number;
  dropped: number;
  /** Writer: samples dropped because a reliable writer's history stayed full (writes never queue without bound). */
  writeTimeouts: number;
  samples: number;
  /** The endpoint's DDS GUID in hex (its ROS 2 gid). */
  gid: string | null;
}

export interface DdsDiagnostic {
  topic: string;
  role: 'reader' | 'writer';
  message: string;
}

export interface DdsTransportOptions {
  /** Default: ROS_DOMAIN_ID, else 0. */
  domainId?: number;
  /** How long a reliable write may wait for room before the sample is dropped (default 5 ms: the tick loop must not stall). */
  maxBlockingMs?: number;
  /** Called for events that explain missing data: incompatible QoS, lost, rejected or dropped samples. */
  onDiagnostic?: (d: DdsDiagnostic) => void;
  /** The ROS node this participant hosts, announced on ros_discovery_info (default /flux); null: none. */
  node?: { name: string; namespace: string } | null;
  /**
   * GID size in ros_discovery_info: 16 (Iron and later) or 24 (Humble). Default: FLUX_ROS_GID_BYTES,
   * else by ROS_DISTRO, else 16. Set it when talking to Humble robots from a machine without ROS.
   */
  gidBytes?: 16 | 24;
  env?: NodeJS.ProcessEnv;
}

interface Endpoint {
  status: DdsEndpointStatus;
  handle: AddonReader | AddonWriter;
  /** The endpoint's DDS GUID, for ros_discovery_info. */
  gid: Buffer | null;
}

export class DdsTransport implements Transport {
  readonly name = 'dds';
  readonly domainId: number;
  private readonly participant: AddonParticipant;
  private readonly endpoints = new Set<Endpoint>();
  private closed = false;

  private constructor(private readonly options: DdsTransportOptions) {
    const env = options.env ?? process.env;
    this.domainId = options.domainId ?? rosDomainId(env);
    // rmw_cyclonedds marks its participants with their security enclave; ROS 2 tools read it.
    this.participant = new (ddsAddon().Participant)(this.domainId, 'enclave=/;');
    const node = options.node === undefined ? { name: 'flux', namespace: '/' } : options.node;
    if (node) {
      const gidBytes =
        options.gidBytes ?? (env.FLUX_ROS_GID_BYTES === '24' ? 24 : env.FLUX_ROS_GID_BYTES === '16' ? 16 : gidBytesFor(env.ROS_DISTRO));
      this.graph = {
        node,
        gidBytes,
        writer: new (ddsAddon().Writer)(
          this.participant,
          ROS_DISCOVERY_TOPIC,
          ROS_DISCOVERY_TYPE,
          { reliability: 'reliable', durability: 'transient_local', depth: 1, maxBlockingMs: 5 },
          () => undefined,
        ),
      };
      this.announce();
    }
  }

  private graph: { node: { name: string; namespace: string }; gidBytes: number; writer: AddonWriter } | null = null;
  private announcing = false;

  /**
   * Publishes this participant's node and the GIDs of its readers and writers on ros_discovery_info
   * (once per batch of endpoint changes), as every ROS 2 participant does.
   */
  private announce(): void {
    if (!this.graph || this.announcing) return;
    this.announcing = true;
    queueMicrotask(() => {
      this.announcing = false;
      if (!this.graph || this.closed) return;
      const eps = [...this.endpoints];
      const gids = (role: 'reader' | 'writer') => eps.filter((e) => e.status.role === role && e.gid).map((e) => e.gid!);
      const self = this.participant.guid();
      if (!self) return;
      this.graph.writer.write(
        encodeParticipantEntitiesInfo(
          self,
          [{ namespace: this.graph.node.namespace, name: this.graph.node.name, readers: gids('reader'), writers: gids('writer') }],
          this.graph.gidBytes,
        ),
      );
    });
  }

  static open(options: DdsTransportOptions = {}): DdsTransport {
    return new DdsTransport(options);
  }

  private qos(q: QoS, type: string): DdsQos {
    const hash = installedTypeHash(type, this.options.env ?? process.env);
    return { ...q, maxBlockingMs: this.options.maxBlockingMs ?? 5, ...(hash ? { userData: `typehash=${hash};` } : {}) };
  }

  private track(role: 'reader' | 'writer', topic: string, type: string, qos: QoS): DdsEndpointStatus {
    return {
      role,
      topic,
      type,
      ddsTopic: ddsTopicName(topic),
      ddsType: ddsTypeName(type),
      qos: { ...qos },
      matched: 0,
      incompatibleQos: 0,
      lost: 0,
      rejected: 0,
      dropped: 0,
      writeTimeouts: 0,
      samples: 0,
      gid: null,
    };
  }

  private onEvents(s: DdsEndpointStatus, events: DdsEvent[], dropped: number): void {
    const say = (message: string) => this.options.onDiagnostic?.({ topic: s.topic, role: s.role, message });
    for (const e of events) {
      if (e.kind === 'subscription_matched' || e.kind === 'publication_matched') s.matched = e.current;
      else if (e.kind === 'requested_incompatible_qos' || e.kind === 'offered_incompatible_qos') {
        s.incompatibleQos = e.total;
        s.incompatiblePolicy = e.policy;
        const other = s.role === 'reader' ? 'a publisher' : 'a subscriber';
        say(
          `${s.role} on ${s.topic} (${s.qos.reliability}, ${s.qos.durability}) found ${other} whose ${e.policy} QoS does not match: nothing flows between them (${e.total} so far)`,
        );
      } else if (e.kind === 'sample_lost') {
        s.lost = e.total;
        say(`reader on ${s.topic} lost samples on the wire (${e.total} so far)`);
      } else if (e.kind === 'sample_rejected') {
        s.rejected = e.total;
        say(`reader on ${s.topic} rejected samples (history full; ${e.total} so far)`);
      }
    }
    if (dropped > s.dropped) {
      s.dropped = dropped;
      say(`reader on ${s.topic} dropped samples because Flux fell behind (${dropped} so far)`);
    }
  }

  subscribe(topic: string, type: string, qos: QoS, onMessage: (bytes: Uint8Array) => void): () => void {
    if (this.closed) throw new Error('the DDS transport is closed');
    const status = this.track('reader', topic, type, qos);
    const reader = new (ddsAddon().Reader)(
      this.participant,
      status.ddsTopic,
      status.ddsType,
      this.qos(qos, type),
      (samples, events, dropped) => {
        this.onEvents(status, events, dropped);
        for (const b of samples) {
          status.samples++;
          onMessage(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
        }
      },
    );
    const ep: Endpoint = { status, handle: reader, gid: reader.guid() };
    status.gid = ep.gid?.toString('hex') ?? null;
    this.endpoints.add(ep);
    this.announce();
    return () => {
      if (!this.endpoints.delete(ep)) return;
      reader.close();
      this.announce();
    };
  }

  advertise(topic: string, type: string, qos: QoS): DdsPublisher {
    if (this.closed) throw new Error('the DDS transport is closed');
    const status = this.track('writer', topic, type, qos);
    const writer = new (ddsAddon().Writer)(this.participant, status.ddsTopic, status.ddsType, this.qos(qos, type), (_s, events) =>
      this.onEvents(status, events, 0),
    );
    const ep: Endpoint = { status, handle: writer, gid: writer.guid() };
    status.gid = ep.gid?.toString('hex') ?? null;
    this.endpoints.add(ep);
    this.announce();
    let open = true;
    return {
      status,
      publish: (bytes) => {
        if (!open || this.closed) throw new Error(`publisher on ${topic} is closed`);
        if (writer.write(bytes)) status.samples++;
        else status.writeTimeouts++;
      },
      matched: () => (open ? writer.matched() : 0),
      flush: (timeoutMs = 1000) => (open ? writer.waitForAcks(timeoutMs) : Promise.resolve(true)),
      close: () => {
        if (!open) return;
        open = false;
        if (this.endpoints.delete(ep)) writer.close();
        this.announce();
      },
    };
  }

  /** Every open endpoint's state: what matched, what did not and why, what was lost. */
  diagnostics(): DdsEndpointStatus[] {
    return [...this.endpoints].map((e) => ({ ...e.status, qos: { ...e.status.qos } }));
  }

  /** The same topic, type and QoS for the guard thread's own writer (bridge/safety). */
  guardEndpoint(topic: string, type: string, qos: QoS): GuardEndpoint {
    const q = this.qos(qos, type);
    return {
      kind: 'dds',
      domainId: this.domainId,
      ddsTopic: ddsTopicName(topic),
      ddsType: ddsTypeName(type),
      reliability: q.reliability,
      durability: q.durability,
      depth: q.depth,
      ...(q.userData ? { userData: q.userData } : {}),
    };
  }

  /** The participant's GUID (16 bytes), for matching Flux in a DDS tool's participant list. */
  guid(): Buffer | null {
    return this.closed ? null : this.participant.guid();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const e of this.endpoints) e.handle.close();
    this.endpoints.clear();
    this.graph?.writer.close();
    this.graph = null;
    this.participant.close();
  }
}

export interface DdsPublisher extends Publisher {
  readonly status: DdsEndpointStatus;
  /** Readers matched now. */
  matched(): number;
  /** Resolves true once every matched reliable reader has acknowledged what was written. */
  flush(timeoutMs?: number): Promise<boolean>;
}
