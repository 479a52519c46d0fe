// The `flux` command.
import { Command, InvalidArgumentError, Option } from 'commander';
import { resolve, join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BACKEND_CHOICES, loadCircuit, type BackendChoice } from '../engine/engine.js';
import type { Backend } from '../engine/backends/backend.js';
import { WebGpuBackend } from '../engine/backends/webgpu/webgpu.js';
import { CpuBackend } from '../engine/backends/cpu.js';
import { CircuitError } from '../engine/circuit/errors.js';
import { circuitSchema } from '../engine/circuit/schema.js';
import { parseQuantity } from '../engine/units.js';
import { simulate, type SimulateOptions } from './simulate.js';
import { inspect, isBridge } from './inspect.js';
import { inspectPartition } from './inspect-partition.js';
import { runPartitioned } from './partition-run.js';
import { shareLink } from './share.js';
import { fluxAdd, fluxPack } from '../sharing/packages.js';
import { nirExport, nirImport } from './nir.js';
import { bridgeSchemaWith, loadBridge, prepareExtensions, STANDARD_EXTENSIONS } from '../bridge/config.js';
import { ExtensionRegistry } from '../extensions/registry.js';
import { run } from './run.js';
import { edit, type EditOptions } from './edit.js';
import { splitRosArgs } from '../bridge/node/rosargs.js';
import { TRANSPORTS, TRANSPORT_NAMES, type TransportName } from '../bridge/node/transports.js';
import { writeFileSync } from 'node:fs';
import { findArena } from '../sim/arena.js';
import { arenaToSdf } from '../sim/sdf.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function time(text: string): number {
  const q = parseQuantity(text);
  if (typeof q === 'string') throw new InvalidArgumentError(q);
  if (q.dimension !== 'time' && q.dimension !== 'dimensionless')
    throw new InvalidArgumentError(`"${text}" is not a duration (e.g. 1s, 500ms)`);
  return q.value;
}

function threads(text: string): number {
  if (text !== '1' && text !== '2') throw new InvalidArgumentError('threads must be 1 or 2');
  return Number(text);
}

function wiringWorkers(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 64) throw new InvalidArgumentError(`"${text}" is not a worker count (0 to 64)`);
  return n;
}

function seed(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 4294967295)
    throw new InvalidArgumentError(`"${text}" is not a seed (an integer from 0 to 4294967295)`);
  return n;
}

/** Options of `flux simulate`, as commander parses them: simulate()'s, before the duration and the record list are read. */
type SimulateFlags = Omit<SimulateOptions, 'durationMs' | 'record' | 'backend'> & {
  duration?: number;
  record: string;
  backend: BackendChoice;
};

/** Options of `flux run`, as commander parses them. */
interface RunFlags {
  transport?: TransportName;
  ros?: boolean;
  dds?: boolean;
  sim?: string;
  paced: number;
  seed?: number;
  plot: string;
  reward?: boolean;
  threads?: number;
  status: number;
  duration?: number;
  backend: BackendChoice;
  dashboard?: string | false;
  dashboardNoToken?: boolean;
  spikes?: string;
  partition?: number;
  rate: number;
  rates?: Record<string, number>;
  node?: string;
  runId?: string;
  dir?: string;
}

/** Options of `flux nir import`, as commander parses them. */
interface NirImportFlags {
  partial?: boolean;
  dt?: number;
  spikeIntegral?: number;
  inputs: 'spikes' | 'current';
  verbose?: boolean;
}

/** Options of `flux demo`, as commander parses them. */
interface DemoFlags {
  outDir: string;
  backend: BackendChoice;
  arena: string;
  paced: number;
  duration?: number;
  dashboard?: string | false;
  dashboardNoToken?: boolean;
}

export function buildCli(rosArgs: string[] = []): Command {
  const program = new Command('flux').description('Flux: spiking neural circuits for robots').showHelpAfterError();
  addValidate(program);
  addInspect(program);
  addShare(program);
  addSimulate(program);
  addRun(program, rosArgs);
  addEdit(program);
  addGazeboWorld(program);
  addNir(program);
  addPackages(program);
  addSchema(program);
  addDemo(program);
  return program;
}

function addValidate(program: Command): void {
  program
    .command('validate')
    .description('check circuit and bridge documents against their schemas and each other; prints every problem')
    .argument('<documents...>', 'circuit or bridge files (JSON or YAML)')
    .action(async (files: string[]) => {
      let failed = false;
      for (const f of files) {
        try {
          console.log(await validated(f));
        } catch (e) {
          if (!(e instanceof CircuitError)) throw e;
          failed = true;
          console.error(e.message);
        }
      }
      if (failed) process.exitCode = 1;
    });
}

/** The "ok" line of a valid document; throws CircuitError with every problem otherwise. */
async function validated(file: string): Promise<string> {
  if (isBridge(file)) {
    // A bridge document: its circuit, bindings, and every extension node's options.
    const b = loadBridge(file);
    await prepareExtensions(b);
    const { inputs, outputs } = b.config;
    const nodes = b.extensions.nodes.length;
    return `ok ${file}: bridge for ${b.circuitFile}; ${inputs.length} inputs, ${outputs.length} outputs, ${nodes} extension nodes`;
  }
  const { circuit } = loadCircuit(file);
  const n = circuit.populations.reduce((a, p) => a + p.size, 0);
  return `ok ${file}: ${circuit.populations.length} populations (${n} neurons), ${circuit.projections.length} projections`;
}

/** `name=hz,name=hz`: rates by population (checked as numbers here, as rates by the plan). */
function rateList(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of text.split(',')) {
    const m = /^\s*([A-Za-z_][\w.]*)\s*=\s*([^\s]+)\s*$/.exec(item);
    if (!m || !Number.isFinite(Number(m[2]))) throw new InvalidArgumentError(`expected name=Hz pairs separated by commas, not "${item}"`);
    Object.defineProperty(out, m[1], { value: Number(m[2]), enumerable: true });
  }
  return out;
}

function addInspect(program: Command): void {
  program
    .command('inspect')
    .description('compile a circuit and print neuron and synapse counts, memory and the module tree')
    .argument('<circuit>')
    .option('--seed <n>', "seed (default: the circuit's)", seed)
    .option('--dt <time>', 'integration step, e.g. 0.1ms', time)
    .option('--json', 'machine-readable output')
    .option('--code', 'print the code generated for each model defined by equations, per backend')
    .option(
      '--partition <n>',
      'how the circuit would run on n processes (from the document, nothing built): partitions, exchange period, spikes and bytes between them',
      Number,
    )
    .option('--rate <hz>', 'with --partition: the firing rate to assume for every population (Hz)', Number, 10)
    .option('--rates <list>', 'with --partition: rates by population, e.g. L23E=0.97,L4E=4.7 (Hz)', rateList)
    .action(
      (
        file: string,
        o: { seed?: number; dt?: number; json?: boolean; code?: boolean; partition?: number; rate: number; rates?: Record<string, number> },
      ) => {
        if (o.partition !== undefined)
          return void console.log(inspectPartition(file, { partitions: o.partition, rateHz: o.rate, rates: o.rates, json: o.json }));
        console.log(inspect(file, o));
      },
    );
}

function addShare(program: Command): void {
  program
    .command('share')
    .description(
      "print a link that opens a circuit or a bridge document in Flux's page (npm run build:web), carrying the documents it reads",
    )
    .argument('<document>', 'a circuit, or a bridge document (which then drives the simulated robot)')
    .option('--page <url>', 'where the page is served', 'http://localhost:4173/')
    .option('--arena <name|file>', "a bridge document's arena: default, cluttered or a file", 'default')
    .option('--seed <n>', "the arena's seed (random obstacles, sensor noise)", seed)
    .action(async (file: string, o: { page: string; arena: string; seed?: number }) => {
      const { link, documents } = await shareLink(file, o);
      console.error(`flux share: ${Object.keys(documents).length} documents: ${Object.keys(documents).join(', ')}`);
      console.log(link);
    });
}

const KERNELS_HELP = 'wasm (default), or js: the TypeScript reference models, bit-identical and slower';

function addSimulate(program: Command): void {
  program
    .command('simulate')
    .description('run a circuit for a duration and write the recording')
    .argument('<circuit>')
    .option('--duration <time>', 'simulated time, e.g. 1s or 500ms (default: 1s)', time)
    .option('--dt <time>', "integration step, e.g. 0.1ms (default: the circuit's)", time)
    .option('--seed <n>', "seed (default: the circuit's)", seed)
    .option('--record <what>', 'comma-separated: spikes and/or state variables (v, u, w, ge, gi, ie, ii)', 'spikes')
    .option('--out <file>', 'recording file (.json, or .csv: spikes, with state in <name>.state.csv)')
    .addOption(new Option('--format <fmt>', 'recording format (default: from the file extension)').choices(['json', 'csv']))
    .option('--raster <file>', 'write a raster and rate plot (SVG)')
    .option('--quiet', 'no progress lines')
    .option(
      '--threads <n>',
      'CPU kernel threads, 1 or 2 (default: measured in the first steps on a multi-core machine when a step has enough work)',
      threads,
    )
    .option(
      '--wiring-workers <n>',
      'threads that wire the projections, the same network for any count (default: one per core from a million synapses; 0: this thread)',
      wiringWorkers,
    )
    .addOption(new Option('--kernels <kind>', KERNELS_HELP).choices(['wasm', 'js']))
    .addOption(backendOption())
    .addOption(
      new Option(
        '--gpu-stepping <mode>',
        'WebGPU: resident (one dispatch runs a chunk of steps, for small networks), dispatch (a few per step), or auto',
      ).choices(['auto', 'resident', 'dispatch']),
    )
    .action(async (file: string, o: SimulateFlags) => {
      const r = await simulate(file, {
        durationMs: o.duration ?? 1000,
        dt: o.dt,
        seed: o.seed,
        record: o.record
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
        out: o.out,
        format: o.format,
        raster: o.raster,
        quiet: o.quiet,
        threads: o.threads,
        wiringWorkers: o.wiringWorkers,
        kernels: o.kernels,
        backend: o.backend,
        gpuStepping: o.gpuStepping,
      });
      console.log(`backend: ${describeBackend(r.engine.backend)}`);
      const secs = (r.steps * r.engine.backend.dt) / 1000;
      for (const [pop, n] of Object.entries(r.spikes)) {
        const size = r.engine.circuit.populations.find((p) => p.name === pop)?.size ?? 1;
        console.log(`${pop.padEnd(24)} ${String(n).padStart(9)} spikes  ${(n / size / secs).toFixed(2)} Hz`);
      }
      if (o.out) console.log(`recording: ${o.out}`);
      if (o.raster) console.log(`raster: ${o.raster}`);
    });
}

function addRun(program: Command, rosArgs: string[]): void {
  program
    .command('run')
    .description('run a bridge document (topics <-> circuit) as a robot node until SIGINT/SIGTERM; ROS arguments follow --ros-args')
    .argument('<bridge>', 'bridge document (YAML or JSON) naming its circuit; with --partition or --node, also a circuit')
    .option('--ros', 'use ROS 2 through rclnodejs (needs a sourced ROS 2)')
    .option('--dds', "join the ROS 2 graph over DDS with Flux's own Cyclone DDS participant (no ROS install; domain from ROS_DOMAIN_ID)")
    .addOption(new Option('--transport <name>', transportHelp()).choices(TRANSPORT_NAMES))
    .option('--sim <arena>', 'drive the built-in simulated robot: an arena name (default, cluttered) or file')
    .option('--paced <factor>', 'real-time factor to pace at (without --sim: 1), 0 for as fast as it runs', Number, 1)
    .option('--seed <n>', "with --sim: re-place the arena's random obstacles", seed)
    .option('--plot <file>', 'with --sim: the trajectory plot written at the end', 'out/trajectory.svg')
    .option('--reward', 'with --sim: publish a reward for progress without collision on /reward (sim/reward.ts), for circuits that learn')
    .option('--threads <n>', 'CPU kernel threads (1 or 2)', threads)
    .option('--status <seconds>', 'seconds between status lines (0: none)', Number, 5)
    .option('--duration <time>', 'stop after this long (e.g. 10s; simulated time with --sim); default: until a signal', time)
    .option(
      '--dashboard <address>',
      "the dashboard's host:port (default with --sim and any transport but memory: 127.0.0.1:8765, a free port if taken; " +
        'any host but loopback needs the token it prints)',
    )
    .option('--no-dashboard', 'do not start the dashboard')
    .option(
      '--dashboard-no-token',
      'serve the dashboard on loopback without a token (any local process can then edit, save or stop the robot)',
    )
    .option('--spikes <file>', "write every population's spikes to this CSV file (step,population,neuron) when the node stops")
    .option(
      '--partition <n>',
      'run the circuit on n processes on this machine, linked over DDS (see flux inspect --partition); a bridge document runs its bindings in the partition that holds the populations they name, on DDS',
      Number,
    )
    .option(
      '--rate <hz>',
      'with --partition: the firing rate the plan assumes for every population, to balance the processes (Hz)',
      Number,
      10,
    )
    .option('--rates <list>', 'with --partition: rates by population, e.g. L23E=0.97,L4E=4.7 (Hz)', rateList)
    .option(
      '--node <name>',
      "run only this node of the circuit's placement section here (or, with --partition, partition k); the others run on other machines with the same --run-id",
    )
    .option(
      '--run-id <id>',
      'with --partition or --node: keeps runs on one DDS domain apart (default: one per launch; with --node: "shared")',
    )
    .option(
      '--dir <folder>',
      'with --partition or --node: where the documents each process runs are written (default: a new temporary folder)',
    )
    .addOption(backendOption())
    .action(async (file: string, o: RunFlags) => {
      if (o.partition !== undefined || o.node !== undefined) {
        if (o.sim !== undefined || o.ros || o.transport !== undefined)
          throw new InvalidArgumentError(
            "--partition and --node run processes over DDS (a bridge document's topics too): no --sim (the simulated robot talks to one process in memory), --ros or --transport",
          );
        if (typeof o.dashboard === 'string' || o.dashboardNoToken)
          throw new InvalidArgumentError(
            '--partition and --node run without a dashboard: live edits do not run across partitions yet (an edit would have to reach every process that holds a part of the circuit, and a structural one would re-partition it)',
          );
        process.exitCode = await runPartitioned(file, {
          partitions: o.partition,
          backend: o.backend,
          threads: o.threads,
          durationMs: o.duration,
          rateHz: o.rate,
          rates: o.rates,
          spikes: o.spikes,
          fast: o.paced === 0,
          node: o.node,
          runId: o.runId,
          dir: o.dir,
        });
        return;
      }
      if ([o.transport !== undefined, o.ros, o.dds, o.sim !== undefined].filter(Boolean).length > 1)
        throw new InvalidArgumentError(`choose one of ${o.transport === undefined ? '' : '--transport, '}--ros, --dds and --sim`);
      if (o.reward && !o.sim) throw new InvalidArgumentError('--reward needs --sim');
      return run(file, rosArgs, {
        transport: o.transport ?? (o.ros ? 'ros' : o.dds ? 'dds' : undefined),
        sim: o.sim,
        paced: o.paced,
        seed: o.seed,
        plot: o.plot,
        reward: o.reward,
        threads: o.threads,
        status: o.status,
        durationMs: o.duration,
        backend: o.backend,
        dashboard: o.dashboard,
        dashboardNoToken: o.dashboardNoToken,
        spikes: o.spikes,
      });
    });
}

/** --transport's help, from the transport table (bridge/node/transports.ts). */
function transportHelp(): string {
  const entries = Object.entries(TRANSPORTS).map(([name, t]) => `${name}: ${t.description}`);
  return `the transport to run on; ${entries.join('; ')} (default: memory; --ros and --dds are short for --transport ros and dds)`;
}

function addGazeboWorld(program: Command): void {
  program
    .command('gazebo-world')
    .description(
      'print the Gazebo Harmonic SDF world of an arena (walls, obstacles, the simulated robot), ' +
        'for gazebo_diffdrive.launch.py world:=<file>',
    )
    .argument('<arena>', 'arena name (default, cluttered) or file')
    .option('--seed <n>', "re-place the arena's random obstacles", seed)
    .option('-o, --out <file>', 'write to this file instead of stdout')
    .action((arena: string, o: { seed?: number; out?: string }) => {
      const comment = `Generated by flux gazebo-world from ${arena}${o.seed === undefined ? '' : ` with obstacle seed ${o.seed}`}`;
      const sdf = arenaToSdf(findArena(arena, o.seed), undefined, undefined, { comment });
      if (o.out) writeFileSync(o.out, sdf);
      else process.stdout.write(sdf);
    });
}

function addNir(program: Command): void {
  const nir = program
    .command('nir')
    .description('the Neuromorphic Intermediate Representation (NIR, HDF5): import and export (see interop/nir/README.md)');
  nir
    .command('import')
    .description('a NIR graph (.nir, HDF5) to a Flux circuit document; what cannot map is listed by name')
    .argument('<file>', 'the .nir file')
    .argument('<out>', 'the circuit document to write (YAML)')
    .option('--partial', 'write what maps and list the rest, instead of failing')
    .option('--dt <time>', "the circuit's integration step (NIR has none), e.g. 0.1ms", time)
    .option(
      '--spike-integral <seconds>',
      "a spike's integral in the source tool (NIR: 1, a Dirac pulse; tools that send 1 for one step: their dt in seconds)",
      Number,
    )
    .option('--inputs <kind>', 'NIR Input nodes become spikes (a Poisson population with a rate input) or current', 'spikes')
    .option('-v, --verbose', 'print every mapping decision')
    .action(async (file: string, out: string, o: NirImportFlags) => {
      await nirImport(file, out, { partial: o.partial, dt: o.dt, spikeIntegral: o.spikeIntegral, inputs: o.inputs, verbose: o.verbose });
    });
  nir
    .command('export')
    .description('a Flux circuit to a NIR graph (.nir, HDF5); what cannot map (plasticity, modulators, Izhikevich, ...) is listed by name')
    .argument('<circuit>', 'the circuit document')
    .argument('<out>', 'the .nir file to write')
    .option('--partial', 'write what maps and list the rest, instead of failing')
    .option('-v, --verbose', 'print every mapping decision')
    .action(async (circuit: string, out: string, o: { partial?: boolean; verbose?: boolean }) => {
      await nirExport(circuit, out, { partial: o.partial, verbose: o.verbose });
    });
}

/** `flux add` and `flux pack` (sharing/packages.ts). */
function addPackages(program: Command): void {
  program
    .command('add')
    .description('install Flux packages (npm install here) and list the circuits and extensions each provides, checked')
    .argument('<packages...>', 'npm package specs: a name (with @range), a path or a tarball')
    .action(async (specs: string[]) => {
      process.exitCode = await fluxAdd(specs);
    });

  program
    .command('pack')
    .description('check a circuit with everything it includes, then make it a publishable npm package (a folder and a tarball)')
    .argument('<circuit>', 'the circuit file; local modules it includes come along, package modules become dependencies')
    .option('--name <name>', 'package name (default flux-circuit-<circuit name>)')
    .option('--version <version>', 'package version (semver)', '1.0.0')
    .option('--out <dir>', 'where to write the package folder and tarball', 'packages')
    .action((file: string, o: { name?: string; version: string; out: string }) => {
      try {
        const { dir, tarball } = fluxPack(file, o);
        console.log(`package folder ${dir}\ntarball ${tarball}\npublish with: npm publish ${tarball}`);
      } catch (e) {
        if (!(e instanceof Error)) throw e;
        console.error(`flux pack: ${e.message}`);
        process.exitCode = 1;
      }
    });
}

function addSchema(program: Command): void {
  program
    .command('schema')
    .description("print the JSON Schema of circuit documents (for editors); --bridge: of bridge documents, with every extension's options")
    .option('--bridge [document]', 'the bridge schema; with a document, also the extensions its modules provide')
    .action(async (o: { bridge?: string | boolean }) => {
      if (!o.bridge) return console.log(JSON.stringify(circuitSchema(), null, 2));
      const registry =
        typeof o.bridge === 'string' ? await prepareExtensions(loadBridge(o.bridge)) : new ExtensionRegistry(STANDARD_EXTENSIONS);
      console.log(JSON.stringify(bridgeSchemaWith(registry), null, 2));
    });
}

function addEdit(program: Command): void {
  program
    .command('edit')
    .description(
      'open the IDE on a circuit file (an empty circuit when it does not exist) with the engine running it live (no robot, or the simulated robot with --sim); prints the URL',
    )
    .argument('<circuit>', 'circuit document (YAML or JSON)')
    .option(
      '--dashboard <address>',
      "the IDE's host:port (default 127.0.0.1:8765, a free port if taken; any host but loopback needs the token)",
    )
    .option('--dashboard-no-token', 'serve on loopback without a token (any local process can then edit and save)')
    .addOption(
      new Option('--speed <speed>', 'run in real time or as fast as the engine goes').choices(['realtime', 'fast']).default('realtime'),
    )
    .option('--threads <n>', 'CPU kernel threads (1 or 2)', threads)
    .option(
      '--bridge <file>',
      "the bridge document binding the circuit to a robot's topics (default: <name>.bridge.yaml beside it, written by Save once something is bound)",
    )
    .option('--sim [arena]', 'edit next to the built-in simulated robot: an arena name (default, cluttered) or file')
    .option('--paced <factor>', 'with --sim: real-time factor to pace at, 0 for as fast as it runs', Number, 1)
    .option('--seed <n>', "with --sim: re-place the arena's random obstacles", seed)
    .addOption(backendOption())
    .action((file: string, o: Omit<EditOptions, 'sim'> & { sim?: string | true }) =>
      edit(file, { ...o, sim: o.sim === true ? 'default' : o.sim }),
    );
}

function addDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'the built-in default: the Braitenberg controller driving the simulated robot in real time (until Ctrl-C); ' +
        '"demo coba" runs the COBA network for 1 s and draws its raster',
    )
    .argument('[which]', 'robot (default) or coba', 'robot')
    .option('--out-dir <dir>', 'where to write the trajectory plot (robot) or the recording and raster (coba)', 'out')
    .option('--arena <arena>', 'robot: arena name (default, cluttered) or file', 'default')
    .option('--paced <factor>', 'robot: real-time factor, 0 for as fast as it runs', Number, 1)
    .option('--duration <time>', 'robot: stop after this much simulated time; default: until Ctrl-C', time)
    .option(
      '--dashboard <address>',
      "robot: the dashboard's host:port (default 127.0.0.1:8765, a free port if taken; any host but loopback needs the token it prints)",
    )
    .option('--no-dashboard', 'robot: do not start the dashboard')
    .option(
      '--dashboard-no-token',
      'robot: serve the dashboard on loopback without a token (any local process can then edit, save or stop the robot)',
    )
    .addOption(backendOption())
    .action(async (which: string, o: DemoFlags) => {
      if (which === 'robot') return demoRobot(o);
      if (which !== 'coba') throw new InvalidArgumentError(`unknown demo "${which}": robot or coba`);
      return demoCoba(o);
    });
}

function demoRobot(o: DemoFlags): Promise<void> {
  const bridge = join(ROOT, 'examples', 'bridges', 'braitenberg.yaml');
  console.log(`Flux demo: ${bridge} driving the simulated robot`);
  return run(bridge, [], {
    sim: o.arena,
    paced: o.paced,
    plot: join(o.outDir, 'trajectory.svg'),
    backend: o.backend,
    status: 2,
    durationMs: o.duration,
    dashboard: o.dashboard,
    dashboardNoToken: o.dashboardNoToken,
  });
}

async function demoCoba(o: DemoFlags): Promise<void> {
  const file = join(ROOT, 'examples', 'coba.yaml');
  const out = join(o.outDir, 'demo.json');
  const raster = join(o.outDir, 'demo-raster.svg');
  console.log(`Flux demo: ${file}`);
  const r = await simulate(file, { durationMs: 1000, record: ['spikes'], out, raster, backend: o.backend });
  console.log(`  backend: ${describeBackend(r.engine.backend)}`);
  for (const [pop, n] of Object.entries(r.spikes)) {
    const size = r.engine.circuit.populations.find((p) => p.name === pop)?.size ?? 1;
    console.log(`  ${pop}: ${(n / size).toFixed(2)} Hz`);
  }
  console.log(`recording ${out}\nraster    ${raster}  (open it in a browser)`);
}

/** --backend, defaulting to FLUX_BACKEND or auto. */
function backendOption(): Option {
  return new Option('--backend <kind>', 'cpu, webgpu, or auto: a hardware GPU when there is one, else the CPU (env FLUX_BACKEND)')
    .choices(BACKEND_CHOICES)
    .default(process.env.FLUX_BACKEND ?? 'auto');
}

function describeBackend(b: Backend): string {
  if (b instanceof WebGpuBackend) {
    const mode = b.stepMode();
    return `webgpu on ${b.adapter}, ${mode} stepping${mode === 'dispatch' ? ` (${b.dispatchesPerStep()} dispatches a step)` : ''}`;
  }
  if (!(b instanceof CpuBackend)) return b.name;
  const c = b.threadChoice;
  // The default thread count is measured in the first steps: say what was measured.
  const why = c ? `, chosen: ${c.oneUs.toFixed(1)} µs a step on one, ${c.twoUs.toFixed(1)} on two` : '';
  return `cpu (${b.kernels === 'wasm' ? 'WebAssembly' : 'TypeScript'} kernels, ${b.threadCount} thread${b.threadCount > 1 ? 's' : ''}${why})`;
}

export async function main(argv: string[]): Promise<void> {
  try {
    // ROS arguments (--ros-args ... [--]) go to rcl, not to Flux's option parser.
    const { own, ros } = splitRosArgs(argv);
    await buildCli(ros).parseAsync(own);
  } catch (e) {
    // Problems with what the user gave (documents, options) are reported as messages; set
    // FLUX_DEBUG=1 to see where in Flux they were raised.
    if (e instanceof CircuitError || (e instanceof Error && !process.env.FLUX_DEBUG)) {
      console.error(e instanceof CircuitError ? e.message : `error: ${e.message} (FLUX_DEBUG=1 shows where)`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}
