// `flux run <circuit> --partition N`: one circuit over N Flux processes on this machine (issue 22). The
// plan places whole populations (bridge/partition/plan.ts), the documents each process runs are written
// to a folder (bridge/partition/split.ts), and each runs as `flux run <its bridge document> --dds`: they
// find each other by DDS discovery in the ROS domain and exchange spikes in lockstep. A process that
// ends before the others is reported at once and the others are stopped (each publishes its safe
// outputs as it stops); a signal to this one stops them all. A bridge document in place of the circuit
// runs the robot's bindings in the partition that holds the populations they name
// (bridge/partition/bridge-constraints.ts), its topics on the same DDS domain.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadCircuit, type BackendChoice } from '../engine/engine.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { partitionCircuit, placementPlan, type PartitionPlan } from '../bridge/partition/plan.js';
import type { Circuit } from '../engine/circuit/circuit.js';
import { partitionDocuments } from '../bridge/partition/split.js';
import { bridgeConstraints } from '../bridge/partition/bridge-constraints.js';
import type { BridgeConstraints } from '../bridge/partition/plan.js';
import { ddsUnavailable } from '../bridge/transport/dds.js';
import { isBridgeDocument, loadBridge } from '../bridge/config.js';
import { parseFile } from '../engine/circuit/parse.js';

export interface PartitionRunOptions {
  /** Processes of an automatic plan; with a placement section, its node count (or left out). */
  partitions?: number;
  backend: BackendChoice;
  threads?: number;
  durationMs?: number;
  /** Where the documents go (default: a new temporary folder). */
  dir?: string;
  /** Firing rate assumed for the plan's balance (Hz), and by population. */
  rateHz: number;
  rates?: Record<string, number>;
  /** Every partition's spikes, to <spikes without .csv>.part<k>.csv. */
  spikes?: string;
  /** Ticks as fast as the processes run (lockstep keeps them together) instead of in real time. */
  fast?: boolean;
  /**
   * Run only this partition here (the others run on other machines, with the same plan and run id): a
   * node name of the circuit's placement section, or the index of a partition of an automatic plan.
   */
  node?: string;
  /** Keeps runs on one DDS domain apart, in the topics: the same on every machine of one run. */
  runId?: string;
}

const FLUX = fileURLToPath(new URL('../../bin/flux.js', import.meta.url));

/** Set in a partition's environment to the launcher's pid (see stopWithLauncher). */
const LAUNCHER_ENV = 'FLUX_PARTITION_LAUNCHER';

/**
 * In a partition a launcher started: stops it as SIGTERM would (its outputs safe, then exit) once the
 * launcher is gone. A launcher killed outright (SIGKILL, out of memory) cannot stop its partitions,
 * and a partition left running would drive its robot with no one watching the others. Checked every
 * 250 ms: the process's parent changes when its parent dies.
 */
export function stopWithLauncher(): void {
  const launcher = Number(process.env[LAUNCHER_ENV]);
  if (!Number.isInteger(launcher) || launcher <= 0 || process.ppid !== launcher) return;
  const timer = setInterval(() => {
    if (process.ppid === launcher) return;
    clearInterval(timer);
    console.log(`flux: the partition launcher (pid ${launcher}) is gone: stopping`);
    process.kill(process.pid, 'SIGTERM');
  }, 250);
  timer.unref();
}

/** Runs until every partition has ended; resolves with the exit code this command should give. */
export async function runPartitioned(file: string, o: PartitionRunOptions): Promise<number> {
  const why = ddsUnavailable();
  if (why !== null) throw new Error(`--partition runs its processes over DDS, which is not available here: ${why}`);
  // A bridge document: its circuit, split so that one partition runs the bindings.
  const robot = isBridgeDocument(file) ? loadBridge(file) : null;
  const circuitFile = robot ? robot.circuitFile : file;
  const { circuit } = robot ? robot : loadCircuit(file);
  const bridge = robot ? bridgeConstraints(robot) : undefined;
  const plan = planOf(circuit, { ...o, bridge });
  const node = o.node === undefined ? undefined : nodeIndex(plan, o.node);
  const name = (k: number) => plan.nodes?.[k] ?? `partition ${k}`;
  const dir = o.dir ? resolve(o.dir) : mkdtempSync(join(tmpdir(), 'flux-partition-'));
  mkdirSync(dir, { recursive: true });
  // One machine of several: every machine makes the same plan (it is deterministic) and must use the same run id.
  const runId = o.runId ?? (node === undefined ? `r${process.pid}` : 'shared');
  const bridgeDoc = robot ? (parseFile(file).doc as Record<string, unknown>) : undefined;
  const all = partitionDocuments(
    loadFlat(circuitFile),
    circuit,
    plan,
    join(dir, circuit.name.replace(/[^A-Za-z0-9_.-]/g, '_')),
    runId,
    bridgeDoc,
  );
  const docs = node === undefined ? all : all.filter((d) => d.index === node);
  for (const d of docs) {
    writeFileSync(d.circuitFile, JSON.stringify(d.circuit, null, 2));
    writeFileSync(d.bridgeFile, JSON.stringify(d.bridge, null, 2));
  }
  console.log(
    `flux: ${circuit.name} on ${plan.partitions.length} processes${plan.nodes ? ' (its placement section)' : ''} (documents in ${dir}), exchanging spikes ${plan.exchangeSteps === null ? 'never (nothing crosses)' : `every ${plan.exchangeSteps * plan.dt} ms`}:`,
  );
  for (const p of plan.partitions)
    console.log(
      `  ${name(p.index)}: ${p.slices.map((s) => s.population).join(' ') || '(nothing)'}${plan.bridge?.partition === p.index ? ` (and the bridge of ${file})` : ''}${node === undefined || node === p.index ? '' : ' (on another machine)'}`,
    );

  for (const p of plan.partitions)
    if (p.slices.length === 0)
      console.log(
        `flux: ${name(p.index)} has nothing to run: fewer parts of the circuit may run apart than there are partitions (a projection with delays under ${plan.bridge ? "the bridge's tick" : 'one step'} keeps its populations together${plan.bridge ? ", and so do the populations the bridge's bindings name" : ''})`,
      );
  const children = docs.map((d) => {
    const args = [FLUX, 'run', d.bridgeFile, '--dds', '--no-dashboard', '--status', '0', '--backend', o.backend];
    if (o.threads) args.push('--threads', String(o.threads));
    if (o.fast) args.push('--paced', '0');
    if (o.durationMs !== undefined) args.push('--duration', `${o.durationMs}ms`);
    if (o.spikes) args.push('--spikes', `${o.spikes.replace(/\.csv$/i, '')}.part${d.index}.csv`);
    // A node name of its own on the ROS graph.
    const rosName = `flux_${circuit.name}_${plan.nodes?.[d.index] ?? `part${d.index}`}`.replace(/[^A-Za-z0-9_]/g, '_');
    args.push('--ros-args', '-r', `__node:=${rosName}`);
    const child = spawn(process.execPath, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [LAUNCHER_ENV]: String(process.pid) },
    });
    console.log(`flux: ${name(d.index)}: pid ${child.pid}`);
    prefixLines(child, `[${name(d.index)}] `);
    return child;
  });
  let stopping = false;
  let failed = false;
  const stopAll = () => {
    stopping = true;
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
  };
  const onSignal = () => stopAll();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  await Promise.all(
    children.map(
      (c, k) =>
        new Promise<void>((done) =>
          c.on('exit', (code, signal) => {
            // Ending by itself is normal only with --duration and exit code 0; anything else stops the rest.
            const normal = code === 0 && o.durationMs !== undefined;
            if (!stopping && !normal) {
              failed = true;
              const how = signal ?? `exit code ${code}`;
              console.log(
                `flux: ${name(docs[k].index)} (pid ${c.pid}) ended (${how}) while the others ran: stopping them (each publishes its safe outputs)`,
              );
              stopAll();
            }
            done();
          }),
        ),
    ),
  );
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  console.log(`flux: ${failed ? 'a partition failed' : 'every partition ended'}`);
  return failed ? 1 : 0;
}

/**
 * The plan a run follows: the circuit's placement section where it has one (then --partition, if given,
 * must be its node count), else an automatic plan over --partition processes.
 */
export function planOf(
  circuit: Circuit,
  o: Pick<PartitionRunOptions, 'partitions' | 'rateHz' | 'rates'> & { bridge?: BridgeConstraints },
): PartitionPlan {
  if (circuit.placement) {
    const plan = placementPlan(circuit, o);
    if (o.partitions !== undefined && o.partitions !== plan.partitions.length)
      throw new Error(
        `--partition ${o.partitions}: the circuit places its populations on ${plan.partitions.length} nodes (${plan.nodes!.join(', ')}) in its placement section; leave --partition out or give ${plan.partitions.length}`,
      );
    return plan;
  }
  if (o.partitions === undefined) throw new Error('--node needs --partition <n>, or a placement section in the circuit naming its nodes');
  return partitionCircuit(circuit, {
    partitions: o.partitions,
    rateHz: o.rateHz,
    rates: o.rates,
    wholePopulations: true,
    bridge: o.bridge,
  });
}

/** The partition `--node` names: a node of the placement section, or an index of an automatic plan. */
export function nodeIndex(plan: PartitionPlan, node: string): number {
  if (plan.nodes) {
    const k = plan.nodes.indexOf(node);
    if (k < 0) throw new Error(`--node ${node}: the circuit's placement section names ${plan.nodes.join(', ')}`);
    return k;
  }
  const k = /^\d{1,6}$/.test(node) ? Number(node) : NaN;
  if (!(k < plan.partitions.length)) throw new Error(`--node ${node}: a partition of this run, from 0 to ${plan.partitions.length - 1}`);
  return k;
}

/** A child's output, line by line, with `prefix`. */
function prefixLines(child: ChildProcess, prefix: string): void {
  for (const stream of [child.stdout!, child.stderr!]) {
    let rest = '';
    stream.on('data', (b: Buffer) => {
      const lines = (rest + b.toString()).split('\n');
      rest = lines.pop()!;
      for (const l of lines) console.log(prefix + l);
    });
    stream.on('end', () => rest && console.log(prefix + rest));
  }
}
