// What stands between a decoder and an actuator: clamp to [min, max], a slew-rate limit (units per
// second), and the safe value the output jumps to when its inputs go stale or the engine stalls (a
// stop is not slew-limited: stopping wins over smoothness).

export interface LimitSpec {
  min?: number;
  max?: number;
  /** Largest change per second (default: none). */
  slewRate?: number;
  /** Value published when unsafe (default 0). */
  safe?: number;
}

export class Limiter {
  private last: number | null = null;
  constructor(readonly spec: LimitSpec) {}

  /** The next published value for a target, `dtS` seconds after the previous one. Non-finite targets give the safe value. */
  apply(target: number, dtS: number): number {
    if (!Number.isFinite(target)) return this.stop();
    let v = Math.min(this.spec.max ?? Infinity, Math.max(this.spec.min ?? -Infinity, target));
    if (this.spec.slewRate !== undefined && this.last !== null) {
      const step = this.spec.slewRate * dtS;
      v = Math.min(this.last + step, Math.max(this.last - step, v));
    }
    this.last = v;
    return v;
  }

  /** The safe value, at once; slewing restarts from it. */
  stop(): number {
    this.last = this.spec.safe ?? 0;
    return this.last;
  }
}
