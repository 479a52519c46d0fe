// The loop's tick rate and watchdog: their defaults and plausible ranges, stated once for the bridge
// document (bridge/config.ts), the node's parameters (bridge/node/flux-params.ts) and live changes
// (Bridge.setTickHz, setWatchdogMs). A watchdog that never fires, or a tick rate of 1e400 Hz, would
// leave the robot holding its last command.

export const BRIDGE_DEFAULTS = { tickHz: 1000, watchdogMs: 50 } as const;

/** Engine ticks per second (inclusive bounds). */
export const TICK_HZ = { min: 1, max: 10_000 } as const;

/** No finished tick for this long (ms) sends the safe values: more than 0, at most max. */
export const WATCHDOG_MS = { min: 0, max: 10_000 } as const;

/** Why `hz` is not a tick rate the loop runs at, or null. */
export function tickHzProblem(hz: number): string | null {
  return hz >= TICK_HZ.min && hz <= TICK_HZ.max ? null : `tick rate ${hz} Hz: give a rate in [${TICK_HZ.min}, ${TICK_HZ.max}]`;
}

/** Why `ms` is not a watchdog time, or null. */
export function watchdogMsProblem(ms: number): string | null {
  return ms > WATCHDOG_MS.min && ms <= WATCHDOG_MS.max ? null : `watchdog ${ms} ms: give a time in (0, ${WATCHDOG_MS.max}]`;
}
