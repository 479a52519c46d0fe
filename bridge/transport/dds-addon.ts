// Loads Flux's Cyclone DDS addon (native/dds, built at install time by native/dds/build.mjs). The
// only module that touches it; the addon is optional, so its absence is a reason, not a crash.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DdsQos {
  reliability: 'reliable' | 'best_effort';
  durability: 'volatile' | 'transient_local';
  depth: number;
  /** USER_DATA of the endpoint (ROS 2 Iron and later put `typehash=RIHS01_...;` there). */
  userData?: string;
  /** How long a reliable writer's write may wait for room in its history before the sample is dropped. */
  maxBlockingMs?: number;
}

/** A status change Cyclone reported on an endpoint. */
export interface DdsEvent {
  kind:
    | 'subscription_matched'
    | 'publication_matched'
    | 'requested_incompatible_qos'
    | 'offered_incompatible_qos'
    | 'sample_lost'
    | 'sample_rejected';
  /** Cumulative count of this status. */
  total: number;
  /** Matched peers now (matched statuses). */
  current: number;
  /** The policy that did not match (incompatible QoS statuses). */
  policy?: string;
}

export type OnBatch = (samples: Buffer[], events: DdsEvent[], dropped: number) => void;

export interface AddonParticipant {
  readonly handle: number;
  close(): void;
  guid(): Buffer | null;
}

export interface AddonWriter {
  /** False when a reliable writer's history stayed full for maxBlockingMs (the sample is dropped). */
  write(bytes: Uint8Array): boolean;
  matched(): number;
  waitForAcks(timeoutMs: number): Promise<boolean>;
  /** The writer's GUID (16 bytes), null once closed. */
  guid(): Buffer | null;
  close(): void;
}

export interface AddonReader {
  matched(): number;
  /** Samples dropped because JavaScript fell more than 65,536 samples or 256 MB behind. */
  dropped(): number;
  /** The reader's GUID (16 bytes), null once closed. */
  guid(): Buffer | null;
  close(): void;
}

export interface DdsAddon {
  readonly version: string;
  Participant: new (domainId: number, userData?: string) => AddonParticipant;
  Writer: new (participant: AddonParticipant, topic: string, type: string, qos: DdsQos, onBatch: OnBatch) => AddonWriter;
  Reader: new (participant: AddonParticipant, topic: string, type: string, qos: DdsQos, onBatch: OnBatch) => AddonReader;
}

// From dist/bridge/transport (built) or bridge/transport (sources run by vitest). Found when first
// asked, not on import: a page bundles this module and has no file URLs.
function candidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, '../../../native/dds/build/Release/flux_dds.node'), join(here, '../../native/dds/build/Release/flux_dds.node')];
}

let cached: { addon: DdsAddon | null; why: string | null } | undefined;

function load(): { addon: DdsAddon | null; why: string | null } {
  if (cached) return cached;
  const path = candidates().find((p) => existsSync(p));
  if (!path) {
    cached = {
      addon: null,
      why: 'the DDS addon is not built: install Cyclone DDS (apt-get install cyclonedds-dev g++ pkg-config, or source a ROS 2 setup.bash), then npm run build:dds',
    };
    return cached;
  }
  try {
    cached = { addon: createRequire(import.meta.url)(path) as DdsAddon, why: null };
  } catch (e) {
    // Typically libddsc was removed or replaced by another version after the build.
    cached = { addon: null, why: `the DDS addon at ${path} does not load (${(e as Error).message}); rebuild it with npm run build:dds` };
  }
  return cached;
}

/** Why the DDS transport cannot run here, in one line with the fix, or null when it can. */
export function ddsUnavailable(): string | null {
  return load().why;
}

export function ddsAddon(): DdsAddon {
  const { addon, why } = load();
  if (!addon) throw new Error(why!);
  return addon;
}
