// count: spikes of the whole population in the last `window` ms, times `scale`.
import { Type, type Static } from '@sinclair/typebox';
import { Num, Quantity } from '../encoders/kinds.js';
import { defineDecoder } from './decoder.js';

/** The window's range (ms): a count decoder keeps one slot per engine step of its window. */
export const COUNT_WINDOW_MS = { min: 0, max: 60_000 } as const;

const options = Type.Object({ window: Quantity(), scale: Type.Optional(Num) }, { additionalProperties: false });

/** The options in internal units (window in ms). */
export type CountSpec = Omit<Static<typeof options>, 'window'> & { window: number };

export const count = defineDecoder({
  options,
  read: (o, ck, at): CountSpec => ({ window: ck.within([...at, 'window'], o.window, 'time', 100, COUNT_WINDOW_MS), scale: o.scale }),
  create(spec) {
    // A ring of per-step counts covering the window.
    let ring: number[] = [];
    let at = 0;
    let total = 0;
    return {
      step(spiking, dt) {
        const len = Math.max(1, Math.round(spec.window / dt));
        if (ring.length !== len) {
          ring = new Array<number>(len).fill(0);
          at = 0;
          total = 0;
        }
        total += spiking.length - ring[at];
        ring[at] = spiking.length;
        at = (at + 1) % len;
      },
      value: () => total * (spec.scale ?? 1),
    };
  },
});
