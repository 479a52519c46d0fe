// An example Flux extension package: two extensions in one module, with no dependencies (Flux's API
// types are optional; see extensions/api.ts in Flux for what each field means).
import { Observable } from 'rxjs';

/** @type {import('flux-ans/extensions/api').ComputeExtension} */
const deadband = {
  name: 'deadband',
  kind: 'compute',
  doc: 'Zero inside [-width, width]; outside, the input moved towards zero by width (no jump at the edge)',
  options: {
    type: 'object',
    additionalProperties: false,
    required: ['width'],
    properties: {
      width: { type: 'number', minimum: 0, description: 'half-width of the dead band, in the input\'s units' },
      gain: { type: 'number', default: 1, description: 'applied after the dead band' },
    },
  },
  inputs: { x: { type: 'scalar' } },
  outputs: { y: { type: 'scalar', safe: 0 } },
  create(options) {
    let { width, gain = 1 } = options;
    return {
      step({ x }) {
        if (typeof x !== 'number') return {};
        const y = Math.abs(x) <= width ? 0 : x - Math.sign(x) * width;
        return { y: gain * y };
      },
      reconfigure(next) {
        ({ width, gain = 1 } = next);
      },
    };
  },
};

/** @type {import('flux-ans/extensions/api').InputExtension} */
const squareWave = {
  name: 'square_wave',
  kind: 'input',
  doc: 'A square wave between low and high at a frequency: a stand-in sensor for trying a circuit',
  options: {
    type: 'object',
    additionalProperties: false,
    properties: {
      hz: { type: 'number', exclusiveMinimum: 0, default: 1 },
      low: { type: 'number', default: 0 },
      high: { type: 'number', default: 1 },
    },
  },
  outputs: { value: { type: 'scalar', safe: 0 } },
  create(options) {
    const { hz = 1, low = 0, high = 1 } = options;
    return {
      outputs: {
        value: new Observable((sub) => {
          let up = false;
          sub.next(low);
          const timer = setInterval(() => sub.next((up = !up) ? high : low), 500 / hz);
          return () => clearInterval(timer);
        }),
      },
    };
  },
};

export default [deadband, squareWave];
