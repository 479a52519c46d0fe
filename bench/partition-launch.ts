// What the partition benches (bench/partition.ts, bench/partition-full.ts) share: one `flux run
// <circuit> --partition N` to its end, what each of its processes said when it stopped, and the
// spikes they wrote (--spikes: <base>.part<k>.csv, one row per spike: step,population,neuron).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ROOT } from './networks.js';

export interface PartitionedRun {
  /** Everything the command printed. */
  text: string;
  /** Per process, in the order they stopped: ticks run, spike-link messages and spikes sent. */
  processes: { ticks: number; messages: number; spikes: number }[];
  /** The processes' tick (one exchange period), where they printed it. */
  tickHz: number | null;
}

/** `flux run <file> --partition <n> ...args` on ROS domain `domain`, to its end; throws unless it ends well with n reports. */
export async function launchPartitioned(file: string, n: number, args: string[], domain: number): Promise<PartitionedRun> {
  const out: string[] = [];
  const code = await new Promise<number | null>((resolve) => {
    const p = spawn(process.execPath, ['bin/flux.js', 'run', file, '--partition', String(n), ...args], {
      cwd: ROOT,
      env: { ...process.env, ROS_DOMAIN_ID: String(domain) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    p.stdout.on('data', (b: Buffer) => out.push(b.toString()));
    p.stderr.on('data', (b: Buffer) => out.push(b.toString()));
    p.on('exit', resolve);
  });
  const text = out.join('');
  if (code !== 0) throw new Error(`flux run --partition ${n} failed (${code}):\n${text}`);
  const done = [
    ...text.matchAll(
      /\[partition \d+\] flux: done after [\d.]+ s: .*?; (\d+) ticks, \d+ messages published(?:; spike links: sent (\d+) messages with (\d+) spikes)?/g,
    ),
  ];
  if (done.length !== n) throw new Error(`expected ${n} processes to report, got ${done.length}:\n${text}`);
  const tick = /tick (\d+(?:\.\d+)?) Hz/.exec(text);
  return {
    text,
    processes: done.map((m) => ({ ticks: Number(m[1]), messages: Number(m[2] ?? 0), spikes: Number(m[3] ?? 0) })),
    tickHz: tick ? Number(tick[1]) : null,
  };
}

/** Spikes by population in the n processes' --spikes files, of the steps `keep` takes. */
export function countSpikes(base: string, n: number, keep: (step: number) => boolean = () => true): Map<string, number> {
  const counts = new Map<string, number>();
  for (let k = 0; k < n; k++)
    for (const row of readFileSync(`${base}.part${k}.csv`, 'utf8').trim().split('\n').slice(1)) {
      const [step, population] = row.split(',');
      if (keep(Number(step))) counts.set(population, (counts.get(population) ?? 0) + 1);
    }
  return counts;
}

/** Rates by population as --rates takes them (L23E=0.97,...). */
export const ratesArg = (rates: Iterable<[string, number]>): string => [...rates].map(([p, hz]) => `${p}=${hz}`).join(',');
