// Shared by the property-based fuzz suites (tests/fuzz-*.test.ts): how many runs, how a run is judged,
// and the tally that `npm run fuzz` prints and the README keeps.
//
// In `npm test` every property runs its CI count (bounded so the suite stays well under CI's limit);
// `npm run fuzz` (tests/fuzz-campaign.mjs) runs the campaign counts and collects each property's
// tally (inputs, crashes, hangs, non-finite states accepted) in the JSON-lines file FLUX_FUZZ_REPORT.
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * A property's number of runs: its CI count in `npm test`; in the campaign (`npm run fuzz` sets
 * FLUX_FUZZ_CAMPAIGN) its campaign count, or its CI count times FLUX_FUZZ_SCALE (default 100).
 */
export function runs(ciCount: number, campaignCount?: number): number {
  if (!process.env.FLUX_FUZZ_CAMPAIGN) return ciCount;
  if (campaignCount !== undefined) return campaignCount;
  const scale = Number(process.env.FLUX_FUZZ_SCALE ?? '100');
  return Math.max(1, Math.round(ciCount * (Number.isFinite(scale) && scale > 0 ? scale : 100)));
}

/** One input taking longer than this (ms) is a hang (the bound: 1 s per input). */
export const HANG_MS = 1000;

export interface Tally {
  inputs: number;
  /** Exceptions that were not the parser's own refusal (TypeError, RangeError, a crash of the process). */
  crashes: number;
  /** Inputs that took longer than HANG_MS. */
  hangs: number;
  /** Inputs accepted with a non-finite number in the result. */
  nonFinite: number;
  /** Inputs refused with a proper error (counted to show the fuzzer reaches the checks). */
  refused: number;
  /** The slowest input (ms). */
  slowestMs: number;
}

const tallies = new Map<string, Tally>();

/** The tally of a named property (created on first use). */
export function tally(name: string): Tally {
  let t = tallies.get(name);
  if (!t) tallies.set(name, (t = { inputs: 0, crashes: 0, hangs: 0, nonFinite: 0, refused: 0, slowestMs: 0 }));
  return t;
}

type Judged<T> = { ok: true; value: T; ms: number } | { ok: false; error: unknown; refused: boolean; ms: number };

/** Counts one finished input under `name`: its time, and a refusal or a crash when it threw. */
function record<T>(name: string, start: number, outcome: { value: T } | { error: unknown }, isRefusal: (e: unknown) => boolean): Judged<T> {
  const t = tally(name);
  t.inputs++;
  const ms = performance.now() - start;
  note(t, ms);
  if ('value' in outcome) return { ok: true, value: outcome.value, ms };
  const refused = isRefusal(outcome.error);
  if (refused) t.refused++;
  else t.crashes++;
  return { ok: false, error: outcome.error, refused, ms };
}

/**
 * Runs one fuzz input: `fn` either returns (accepted) or throws; `isRefusal` tells a proper refusal
 * from a crash. Counts it under `name` and returns what happened, for the property's own assertion.
 */
export function judge<T>(name: string, fn: () => T, isRefusal: (e: unknown) => boolean): Judged<T> {
  const start = performance.now();
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: fn() };
  } catch (error) {
    outcome = { error };
  }
  return record(name, start, outcome, isRefusal);
}

/** The async form of judge, for entry points that answer later (HTTP, workers). */
export async function judgeAsync<T>(name: string, fn: () => Promise<T>, isRefusal: (e: unknown) => boolean): Promise<Judged<T>> {
  const start = performance.now();
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: await fn() };
  } catch (error) {
    outcome = { error };
  }
  return record(name, start, outcome, isRefusal);
}

function note(t: Tally, ms: number): void {
  if (ms > HANG_MS) t.hangs++;
  if (ms > t.slowestMs) t.slowestMs = ms;
}

/** Counts an accepted result that holds a non-finite number (the caller decides what to look at). */
export function countNonFinite(name: string): void {
  tally(name).nonFinite++;
}

/** True when any number reachable in `value` (arrays, typed arrays, plain objects) is NaN or infinite. */
export function hasNonFinite(value: unknown, depth = 0): boolean {
  if (depth > 64) return false;
  if (typeof value === 'number') return !Number.isFinite(value);
  if (typeof value === 'bigint' || value === null || typeof value !== 'object') return false;
  if (ArrayBuffer.isView(value)) {
    if (value instanceof Float32Array || value instanceof Float64Array) {
      for (const x of value) if (!Number.isFinite(x)) return true;
    }
    return false;
  }
  const items = Array.isArray(value) ? value : Object.values(value as object);
  return items.some((v) => hasNonFinite(v, depth + 1));
}

/** Writes every tally of this file to FLUX_FUZZ_REPORT (one JSON line each); call in afterAll. */
export function flushTallies(suite: string): void {
  const file = process.env.FLUX_FUZZ_REPORT;
  if (!file) return;
  for (const [name, t] of tallies) appendFileSync(file, JSON.stringify({ suite, name, ...t }) + '\n');
  tallies.clear();
}
