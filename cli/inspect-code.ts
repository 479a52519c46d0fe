// `flux inspect --code`: the code Flux generates for each model defined by equations (the circuit's
// own, and the built-in families' definitions), per backend, for each population (a population's
// per-neuron parameters, and for a built-in its synapse kinds, select its variant) and projection.
import type { Circuit } from '../engine/circuit/circuit.js';
import { jsStepSource } from '../engine/equations/codegen-js.js';
import { synapseSource, type Holding } from '../engine/equations/codegen-synapse-js.js';
import { MODELS, modelOf } from '../engine/models/registry.js';
import { isFamily } from '../engine/models/family.js';
import { integratesConductance } from '../engine/backends/backend.js';
import type { ModelDefinition } from '../engine/equations/model-definition.js';
import { formatExpr } from '../engine/equations/parse-expression.js';
import { wgslModel } from '../engine/equations/codegen-wgsl.js';
import { optimize } from '../engine/equations/optimize.js';
import { WasmStep } from '../engine/equations/codegen-wasm.js';
import { SynapseWasm, synapseWasmRefusal, type SynapseWasmVariant } from '../engine/equations/codegen-synapse-wasm.js';
import { wgslSynapse } from '../engine/equations/codegen-synapse-wgsl.js';
import { delayIndexBytes, targetIndexBytes } from '../engine/compile/compiler.js';

function section(title: string, body: string): string {
  return `// ===== ${title}\n${body}\n`;
}

/**
 * The definition a population runs: the circuit's model of that name, or the variant of a built-in
 * family its synapse kinds and integration choose (as the backends choose it when the circuit starts).
 */
function definitionOf(circuit: Circuit, p: Circuit['populations'][number]): ModelDefinition | null {
  const models = circuit.models ?? {};
  if (Object.hasOwn(models, p.model)) return models[p.model];
  const family = Object.hasOwn(MODELS, p.model) ? MODELS[p.model] : null;
  if (!family || !isFamily(family)) return null;
  return family.definitions[family.variantFor({ integration: p.integration, conductance: integratesConductance(p, circuit, false) })];
}

/** Every generated source of the circuit's models defined by equations, as text. */
export function generatedCode(circuit: Circuit): string {
  const out: string[] = [];
  for (const p of circuit.populations) {
    const def = definitionOf(circuit, p);
    if (!def) continue;
    const perNeuron = new Set(Object.keys(p.perNeuron ?? {}));
    const plan = def.plan;
    const builtin = def.name === p.model ? '' : ` (built-in ${p.model})`;
    const head = [
      `model ${def.name}${builtin}, population ${p.name}: method ${def.method}${perNeuron.size ? `, per neuron: ${[...perNeuron].join(', ')}` : ''}`,
      ...plan.lets.map((l) => `//   ${l.name} = ${formatExpr(l.expr)}`),
      ...plan.updates.map((u) => `//   ${u.name} <- ${formatExpr(u.expr)}${u.unlessRefractory ? '   (unless refractory)' : ''}`),
    ].join('\n');
    out.push(section(`${head}\n// ----- CPU (JavaScript): function (p, s, dt, spikes, H)`, jsStepSource(optimize({ def, perNeuron }))));
    // The WebAssembly module is binary: its size and calling convention (what the CPU backend passes).
    const wasm = new WasmStep(optimize({ def, perNeuron }));
    const l = wasm.layout;
    out.push(
      `// ----- CPU (WebAssembly, ${l.simd ? 'f64x2 SIMD' : 'scalar'}): a ${wasm.bytes.length}-byte module exporting\n` +
        `// step(n, ${l.arrays.map((a) => `&${a.name}`).join(', ')}, ${l.scalars.map((x) => x.name).join(', ')}${l.refracSteps ? ', refracSteps' : ''}, inputs)` +
        `${l.draws ? "\n// (draws random numbers from the population's stream)" : ''}\n`,
    );
    // One WGSL kernel serves every population of the model; its constants say which parameters are per neuron.
    const gpu = wgslModel(def);
    out.push(`// ----- WebGPU (WGSL): modelStep; ${gpu.words} constant words (${gpu.wordsDoc})\n${gpu.source()}\n`);
  }
  const synapses = circuit.synapseModels ?? {};
  for (const pr of circuit.projections) {
    const model = pr.synapse.model;
    if (model === undefined || !Object.hasOwn(synapses, model)) continue;
    const holding = (pop: string) => {
      const spec = circuit.populations.find((x) => x.name === pop)!;
      const m = modelOf(spec.model, circuit.models);
      const arrays = new Set([...Object.keys(m?.state ?? {}), ...Object.keys(spec.perNeuron ?? {})]);
      return (name: string): Holding | undefined => (arrays.has(name) ? 'array' : Object.hasOwn(spec.params, name) ? 'scalar' : undefined);
    };
    const variant = {
      def: synapses[model],
      pre: holding(pr.source),
      post: holding(pr.target),
      modulators: new Set(circuit.modulators.map((m) => m.name)),
    };
    out.push(
      section(
        `synapse model ${model}, projection ${pr.name} (${pr.source} -> ${pr.target})\n// ----- CPU (JavaScript): function (H) returning onPre, onPost, clock, summed, onStep`,
        synapseSource(variant),
      ),
    );
    // The WebAssembly the CPU backend runs by default. Per-synapse delays are read as one byte, or two
    // when the distribution's upper bound (its high, or mean + 10 sd) reaches 256 steps; the drawn delays
    // decide when the projection is built.
    const target = circuit.populations.find((x) => x.name === pr.target)!;
    const d = pr.delay;
    const bound = d.kind === 'uniform' ? d.high : d.kind === 'normal' ? d.mean + 10 * d.sd : d.kind === 'lognormal' ? Infinity : d.value;
    const wasmVariant: SynapseWasmVariant = {
      ...variant,
      targetBytes: targetIndexBytes(target.size),
      delayBytes: d.kind === 'constant' ? 0 : delayIndexBytes(Math.round(Math.min(bound, d.clip?.[1] ?? Infinity) / circuit.dt)),
      samePopulation: pr.source === pr.target,
    };
    const refusal = synapseWasmRefusal(wasmVariant);
    if (refusal) out.push(`// ----- CPU (WebAssembly): none, the JavaScript runs: ${refusal}\n`);
    else {
      const w = new SynapseWasm(wasmVariant);
      const args = w.args.map((a) => a.key).join(', ');
      out.push(
        `// ----- CPU (WebAssembly, scalar; ${w.variant.targetBytes}-byte targets, ${w.variant.delayBytes ? `${w.variant.delayBytes}-byte delays per synapse` : 'one delay'}): ` +
          `a ${w.bytes.length}-byte module exporting onPre, onPost, clock, summed, onStep, each\n` +
          `// (a, b, n, d${w.modulators.map((m) => `, ${m}`).join('')}, ${args})\n`,
      );
    }
    try {
      const gpu = wgslSynapse({ ...variant, recurrent: pr.source === pr.target }, pr.name);
      const entries = Object.entries(gpu.entries)
        .filter(([, on]) => on)
        .map(([k]) => k);
      out.push(`// ----- WebGPU (WGSL): ${entries.join(', ')}\n${gpu.source}\n`);
    } catch (e) {
      out.push(`// ----- WebGPU (WGSL): none: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  return out.length ? out.join('\n') : '// no models defined by equations in this circuit\n';
}
