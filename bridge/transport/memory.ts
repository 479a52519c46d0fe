// An in-process topic graph with ROS 2's matching rules (same type, compatible reliability, transient
// local late-joiners get the last sample) and asynchronous delivery like a real middleware. Used by the
// tests and by the simulated robot; it is not a fake of ROS (nothing pretends to be rclnodejs).
import { qosCompatible, type Publisher, type QoS, type TopicInfo, type Transport } from './transport.js';
import { nextTurn } from '../../engine/platform/turn.js';

interface Sub {
  type: string;
  qos: QoS;
  onMessage: (bytes: Uint8Array) => void;
}

interface Topic {
  type: string | null;
  subs: Set<Sub>;
  pubs: Set<QoS>;
  latched: Uint8Array | null;
}

export class MemoryGraph {
  readonly topics = new Map<string, Topic>();
  /** Samples dropped because publisher and subscriber did not match (type or QoS). */
  unmatched = 0;

  topic(name: string): Topic {
    let t = this.topics.get(name);
    if (!t) this.topics.set(name, (t = { type: null, subs: new Set(), pubs: new Set(), latched: null }));
    return t;
  }
}

export class MemoryTransport implements Transport {
  readonly name = 'memory';
  private readonly closers = new Set<() => void>();

  constructor(readonly graph = new MemoryGraph()) {}

  subscribe(topic: string, type: string, qos: QoS, onMessage: (bytes: Uint8Array) => void): () => void {
    const t = this.graph.topic(topic);
    const sub: Sub = { type, qos, onMessage };
    t.subs.add(sub);
    if (t.latched && t.type === type && qos.durability === 'transient_local') {
      const last = t.latched;
      nextTurn(() => t.subs.has(sub) && onMessage(last));
    }
    const close = () => {
      t.subs.delete(sub);
      this.closers.delete(close);
    };
    this.closers.add(close);
    return close;
  }

  topics(): TopicInfo[] {
    const out: TopicInfo[] = [];
    for (const [name, t] of this.graph.topics) {
      // A topic's type is its publishers'; one with subscribers only shows the types they ask for.
      const types = t.type !== null ? [t.type] : [...new Set([...t.subs].map((s) => s.type))];
      if (types.length) out.push({ name, types });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  advertise(topic: string, type: string, qos: QoS): Publisher {
    const t = this.graph.topic(topic);
    if (t.type !== null && t.type !== type) throw new Error(`topic ${topic} carries ${t.type}; cannot publish ${type} on it`);
    t.type = type;
    // One entry per publisher, even when two share a QoS object.
    const entry = { ...qos };
    t.pubs.add(entry);
    let open = true;
    const close = () => {
      open = false;
      t.pubs.delete(entry);
      // As in ROS 2, a topic's type lives as long as its publishers: the last one gone, another type
      // may be published there (subscribers of the old type then match nothing and count as unmatched).
      if (t.pubs.size === 0) t.type = null;
      this.closers.delete(close);
    };
    this.closers.add(close);
    return {
      publish: (bytes) => {
        if (!open) throw new Error(`publisher on ${topic} is closed`);
        // Each subscriber gets its own copy, delivered after the publisher returns.
        const copy = bytes.slice();
        if (qos.durability === 'transient_local') t.latched = copy;
        for (const s of t.subs) {
          if (s.type !== type || !qosCompatible(qos, s.qos)) {
            this.graph.unmatched++;
            continue;
          }
          nextTurn(() => t.subs.has(s) && s.onMessage(copy));
        }
      },
      close,
    };
  }

  async close(): Promise<void> {
    for (const c of [...this.closers]) c();
  }
}
