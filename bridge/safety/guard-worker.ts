// The guard thread (see protocol.ts for why it exists). It polls the loop's heartbeat on its own
// timer; when no tick has been kicked within the deadline it writes every output's safe message through
// its own channels at once, then again at each output's period, until the loop clears the trip. It
// never waits for the loop's thread, so a frozen loop cannot freeze it.
import { parentPort, workerData } from 'node:worker_threads';
import { ddsAddon, type AddonParticipant, type AddonWriter } from '../transport/dds-addon.js';
import { SLOT, type FromGuard, type GuardChannel, type ToGuard } from './protocol.js';
import { writeSafeFrame } from './descriptor.js';

interface Open {
  spec: GuardChannel;
  write: () => boolean;
  close: () => void;
  dueAt: number;
}

const beat = new Int32Array(workerData.heartbeat as SharedArrayBuffer);
let deadlineMs: number = workerData.deadlineMs;
let open: Open[] = [];
const participants = new Map<number, AddonParticipant>();
let lastKick = Atomics.load(beat, SLOT.kick);
let lastKickAt = performance.now();
let timer: NodeJS.Timeout | null = null;

function post(m: FromGuard): void {
  parentPort!.postMessage(m);
}

function participant(domainId: number): AddonParticipant {
  let p = participants.get(domainId);
  if (!p) participants.set(domainId, (p = new (ddsAddon().Participant)(domainId, 'enclave=/;')));
  return p;
}

function openChannel(spec: GuardChannel): Open {
  if (spec.kind === 'dds') {
    const w: AddonWriter = new (ddsAddon().Writer)(
      participant(spec.domainId),
      spec.ddsTopic,
      spec.ddsType,
      {
        reliability: spec.reliability,
        durability: spec.durability,
        depth: spec.depth,
        maxBlockingMs: 1,
        ...(spec.userData ? { userData: spec.userData } : {}),
      },
      () => undefined,
    );
    return { spec, write: () => w.write(spec.bytes), close: () => w.close(), dueAt: 0 };
  }
  return {
    spec,
    write: () => writeSafeFrame(spec),
    close: () => undefined,
    dueAt: 0,
  };
}

function setChannels(channels: GuardChannel[]): void {
  const keep = new Map(open.map((o) => [key(o.spec), o]));
  const next: Open[] = [];
  const report: { name: string; kind: GuardChannel['kind']; error: string | null }[] = [];
  for (const spec of channels) {
    const k = key(spec);
    const same = keep.get(k);
    if (same) {
      keep.delete(k);
      same.spec = spec;
      next.push(same);
      report.push({ name: spec.name, kind: spec.kind, error: null });
      continue;
    }
    try {
      next.push(openChannel(spec));
      report.push({ name: spec.name, kind: spec.kind, error: null });
    } catch (e) {
      report.push({ name: spec.name, kind: spec.kind, error: (e as Error).message });
    }
  }
  for (const o of keep.values()) o.close();
  open = next;
  post({ type: 'ready', channels: report });
}

/** Channels are the same when they reach the same endpoint (the safe bytes may change). */
function key(s: GuardChannel): string {
  return s.kind === 'dds'
    ? `dds ${s.domainId} ${s.ddsTopic} ${s.ddsType} ${s.reliability} ${s.durability} ${s.depth}`
    : `fd ${s.fd} ${s.dev} ${s.ino}`;
}

function writeAll(now: number, force: boolean): void {
  for (const o of open) {
    if (!force && now < o.dueAt) continue;
    o.dueAt = now + o.spec.periodMs;
    try {
      if (o.write()) Atomics.add(beat, SLOT.written, 1);
    } catch (e) {
      // A port that went away: the next period tries again; the loop's thread reports the device.
      post({ type: 'error', message: `guard: writing the safe value of ${o.spec.name} failed: ${(e as Error).message}` });
    }
  }
}

function poll(): void {
  try {
    check();
  } catch (e) {
    // The guard must outlive any fault of its own: report it and keep polling.
    post({ type: 'error', message: `guard: ${(e as Error).message}` });
  } finally {
    timer = setTimeout(poll, pollMs());
  }
}

function check(): void {
  const now = performance.now();
  const kick = Atomics.load(beat, SLOT.kick);
  if (kick !== lastKick) {
    lastKick = kick;
    lastKickAt = now;
  }
  if (Atomics.exchange(beat, SLOT.panic, 0) === 1) {
    writeAll(now, true);
    Atomics.add(beat, SLOT.panicDone, 1);
    Atomics.notify(beat, SLOT.panicDone);
  }
  if (Atomics.load(beat, SLOT.armed) !== 1) {
    lastKickAt = now;
  } else if (Atomics.load(beat, SLOT.tripped) === 1) {
    writeAll(now, false);
  } else if (now - lastKickAt > deadlineMs) {
    // Counted before it shows: a loop that sees the trip has always seen its count.
    Atomics.add(beat, SLOT.trips, 1);
    Atomics.store(beat, SLOT.tripped, 1);
    const before = Atomics.load(beat, SLOT.written);
    writeAll(now, true);
    post({ type: 'tripped', silentMs: now - lastKickAt, written: Atomics.load(beat, SLOT.written) - before });
  }
}

/** A tenth of the deadline, 1 to 5 ms: a trip comes within the deadline and 5 ms (an idle thread's poll costs nothing). */
function pollMs(): number {
  return Math.max(1, Math.min(5, deadlineMs / 10));
}

parentPort!.on('message', (m: ToGuard) => {
  if (m.type === 'channels') setChannels(m.channels);
  else if (m.type === 'deadline') deadlineMs = m.ms;
  else if (m.type === 'stop') {
    if (timer) clearTimeout(timer);
    for (const o of open) o.close();
    open = [];
    for (const p of participants.values()) p.close();
    participants.clear();
    parentPort!.close();
  }
});

setChannels(workerData.channels as GuardChannel[]);
timer = setTimeout(poll, pollMs());
