// `flux inspect`: what a circuit compiles to, without running it.
import { Engine } from '../engine/engine.js';
import type { ModuleNode } from '../engine/circuit/resolve.js';
import { modelOf } from '../engine/models/registry.js';
import { generatedCode } from './inspect-code.js';
import { relative } from 'node:path';
import { ProgressLine } from './progress.js';
import { isBridgeDocument, loadBridge } from '../bridge/config.js';

function mib(b: number): string {
  return b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`;
}

function tree(node: ModuleNode, indent: string, out: string[], root: string): void {
  const label = node.prefix ? node.prefix.split('.').pop() : '(root)';
  out.push(`${indent}${label}  ${relative(root, node.file) || node.file}${node.name ? `  [${node.name}]` : ''}`);
  for (const c of node.children) tree(c, indent + '  ', out, root);
}

/** Whether a document is a bridge document rather than a circuit (bridge/config.ts has the one definition). */
export const isBridge = isBridgeDocument;

/** A bridge document: its bindings and devices, then the circuit it drives. */
function inspectBridge(file: string, opts: { seed?: number; dt?: number; json?: boolean; quiet?: boolean }): string {
  const b = loadBridge(file);
  const c = b.config;
  const devices = Object.entries(b.devices).map(([name, spec]) => {
    const [kind, cfg] = Object.entries(spec)[0] as [string, Record<string, unknown>];
    const where = kind === 'serial' ? (cfg.path ?? `usb ${cfg.vendorId}:${cfg.productId ?? '*'}`) : cfg.port;
    const ins =
      kind === 'serial'
        ? ((cfg.inputs as { name: string }[] | undefined) ?? []).map((i) => i.name)
        : Object.keys((cfg.inputs as object | undefined) ?? {});
    const outs =
      kind === 'serial'
        ? Object.keys(((cfg.output as { safe?: object } | undefined)?.safe as object | undefined) ?? {})
        : Object.keys((cfg.outputs as object | undefined) ?? {});
    return { name, kind, where: String(where), inputs: ins, outputs: outs };
  });
  const inputs = c.inputs.map((i) => ({
    input: i.input,
    from: i.from ? `extension ${i.from}` : i.device ? `device ${i.device}.${i.field}` : `${i.topic} (${i.type}) ${i.path}`,
    encoder: i.encoder?.kind ?? 'none',
    timeoutMs: i.timeoutMs,
  }));
  const outputs = c.outputs.map((o) => ({
    output: o.name,
    to: o.device ? `device ${o.device}` : `${o.topic} (${o.type})`,
    rateHz: o.rateHz,
    values: o.values.map((v) => (v.from ? `${v.path} <- ${v.from}` : v.path)),
  }));
  const nodes = b.extensions.nodes.map((n) => ({ node: n.name, type: n.type, in: n.in, rateHz: n.rateHz ?? null }));
  if (opts.json)
    return JSON.stringify(
      {
        bridge: file,
        circuit: b.circuitFile,
        tickHz: c.tickHz,
        watchdogMs: c.watchdogMs,
        devices,
        extensions: { load: b.extensions.load, nodes },
        inputs,
        outputs,
      },
      null,
      2,
    );
  const out = [`bridge ${file}`, `  circuit ${b.circuitFile}, tick ${c.tickHz} Hz, watchdog ${c.watchdogMs} ms`];
  for (const d of devices)
    out.push(`  device ${d.name}: ${d.kind} on ${d.where}; inputs ${d.inputs.join(', ') || '-'}; outputs ${d.outputs.join(', ') || '-'}`);
  if (b.extensions.load.length) out.push(`  extension modules: ${b.extensions.load.join(', ')}`);
  for (const n of nodes)
    out.push(
      `  node ${n.node}: ${n.type}${
        Object.keys(n.in).length
          ? ` <- ${Object.entries(n.in)
              .map(([p, r]) => `${p}=${r}`)
              .join(', ')}`
          : ''
      }${n.rateHz ? ` at ${n.rateHz} Hz` : ''}`,
    );
  for (const i of inputs) out.push(`  in  ${i.input} <- ${i.from}, encoder ${i.encoder}, stale after ${i.timeoutMs} ms`);
  for (const o of outputs) out.push(`  out ${o.output} -> ${o.to} at ${o.rateHz} Hz: ${o.values.join(', ')}`);
  return out.join('\n') + '\n\n' + inspect(b.circuitFile, opts);
}

export function inspect(file: string, opts: { seed?: number; dt?: number; json?: boolean; quiet?: boolean; code?: boolean }): string {
  if (isBridge(file)) return inspectBridge(file, opts);
  const bar = new ProgressLine('compiling', opts.quiet);
  const engine = Engine.fromFile(file, { seed: opts.seed, dt: opts.dt, progress: (f, l) => bar.update(f, l) });
  bar.done();
  if (opts.code) {
    engine.backend.dispose();
    return generatedCode(engine.circuit);
  }
  const net = engine.network;
  const mem = engine.backend.memoryBytes();
  // Engine.fromFile runs on the CPU backend, which says which kernels and how many threads it uses.
  const execution = { backend: engine.backend.name, kernels: engine.backend.kernels, threads: engine.backend.threadCount };
  engine.backend.dispose();
  const rows = net.projections.map((p) => ({
    name: p.spec.name,
    source: p.spec.source,
    target: p.spec.target,
    synapses: p.targets.length,
    perTarget: p.targets.length / (engine.circuit.populations.find((x) => x.name === p.spec.target)!.size || 1),
    delaySteps: p.delays ? `0..${p.maxDelay}` : String(p.delaySteps),
    plasticity: p.spec.plasticity?.rule ?? '-',
    synapse: `${p.spec.synapse.type}/${p.spec.synapse.receptor}`,
  }));
  const summary = {
    circuit: engine.circuit.name,
    file: engine.circuit.file,
    dt_ms: engine.circuit.dt,
    seed: engine.circuit.seed,
    neurons: net.neurons,
    synapses: net.synapses,
    memory_bytes: mem,
    execution,
    populations: net.populations.map((p) => ({
      name: p.spec.name,
      model: p.spec.model,
      size: p.spec.size,
      offset: p.offset,
      grid: p.spec.grid,
    })),
    projections: rows,
    modulators: engine.circuit.modulators.map((m) => m.name),
    inputs: engine.circuit.inputs.map((i) => i.name),
    outputs: engine.circuit.outputs.map((o) => o.name),
  };
  if (opts.json) return JSON.stringify(summary, null, 2);
  const out: string[] = [];
  out.push(`circuit ${summary.circuit}  (${summary.file})`);
  out.push(`dt ${summary.dt_ms} ms, seed ${summary.seed}`);
  out.push(`neurons ${net.neurons}, synapses ${net.synapses}`);
  out.push(
    `runs on: ${execution.backend} backend, ${execution.kernels === 'wasm' ? 'WebAssembly' : 'TypeScript'} kernels, ${execution.threads} thread${execution.threads > 1 ? 's' : ''}`,
  );
  const total = mem.neurons + mem.synapsesStatic + mem.synapsesPlastic + mem.buffers;
  out.push(
    `memory ~${mib(total)}: neuron state ${mib(mem.neurons)}, synapses ${mib(mem.synapsesStatic)}` +
      (net.synapses ? ` (${(mem.synapsesStatic / net.synapses).toFixed(1)} B/synapse)` : '') +
      (mem.synapsesPlastic ? `, plasticity ${mib(mem.synapsesPlastic)}` : '') +
      `, delay rings and buffers ${mib(mem.buffers)}`,
  );
  out.push('', 'populations:');
  for (const p of summary.populations)
    out.push(
      `  ${p.name.padEnd(24)} ${p.model.padEnd(11)} ${String(p.size).padStart(8)}  [${p.offset}, ${p.offset + p.size})${p.grid ? `  grid ${p.grid.join('x')}` : ''}  ${modelOf(p.model, engine.circuit.models)?.integration ?? ''}`,
    );
  if (rows.length) out.push('', 'projections:');
  for (const r of rows)
    out.push(
      `  ${r.name.padEnd(24)} ${`${r.source} -> ${r.target}`.padEnd(30)} ${String(r.synapses).padStart(9)} syn  ${r.perTarget.toFixed(1)}/target  delay ${r.delaySteps} steps  ${r.synapse}  plasticity ${r.plasticity}`,
    );
  for (const [label, list] of [
    ['modulators', summary.modulators],
    ['inputs', summary.inputs],
    ['outputs', summary.outputs],
  ] as const)
    if (list.length) out.push('', `${label}: ${list.join(', ')}`);
  out.push('', 'modules:');
  tree(engine.circuit.modules, '  ', out, process.cwd());
  return out.join('\n');
}
