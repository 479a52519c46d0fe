// What a browser tab will build and what it cannot reach, checked before anything is built: a link,
// a URL or a local file may come from anyone, and a tab has one WebAssembly memory of at most 4 GiB
// and no serial ports, boards or extension files. Refusals name the document and the path in it.
import { CircuitError } from '../engine/circuit/errors.js';
import { loadFlat } from '../engine/circuit/resolve.js';
import { checkCircuit } from '../engine/circuit/check.js';
import { circuitSynapseBound } from '../engine/compile/wiring-pool.js';
import { loadBridge } from '../bridge/config.js';

/** A page builds at most this many neurons and (an upper bound of) synapses: about 1 GB of state. */
export const PAGE_LIMITS = { neurons: 1_000_000, synapses: 50_000_000 } as const;

/** Throws a CircuitError when the circuit in `file` is larger than a page builds. */
export function checkCircuitSize(file: string): void {
  const circuit = checkCircuit(loadFlat(file));
  const neurons = circuit.populations.reduce((a, p) => a + p.size, 0);
  const synapses = circuitSynapseBound(circuit);
  const over: string[] = [];
  if (neurons > PAGE_LIMITS.neurons)
    over.push(`${neurons.toLocaleString('en')} neurons (a page builds at most ${PAGE_LIMITS.neurons.toLocaleString('en')})`);
  if (synapses > PAGE_LIMITS.synapses)
    over.push(`up to ${synapses.toLocaleString('en')} synapses (a page builds at most ${PAGE_LIMITS.synapses.toLocaleString('en')})`);
  if (over.length)
    throw new CircuitError([{ file, path: '', message: `too large for a browser tab: ${over.join(', ')}; run it with flux` }]);
}

/** Throws a CircuitError when a bridge document needs what a page does not have; else checks its circuit's size. */
export function checkBridgeForPage(file: string): void {
  const loaded = loadBridge(file);
  const devices = Object.keys(loaded.devices);
  if (devices.length)
    throw new CircuitError([
      {
        file,
        path: `/devices/${devices[0]}`,
        message: 'serial devices and boards are not reachable from a browser tab: run this bridge with flux run',
      },
    ]);
  if (loaded.extensions.load.length)
    throw new CircuitError([
      {
        file,
        path: '/extensions/load',
        message: 'extension modules are not loaded in a browser tab (only the built-in nodes): run this bridge with flux run',
      },
    ]);
  checkCircuitSize(loaded.circuitFile);
}
