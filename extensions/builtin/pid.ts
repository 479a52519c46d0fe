// PID controller: derivative on the measurement (no derivative kick on setpoint steps), an optional
// low-pass on the derivative, output limits and anti-windup by back-calculation (default) or
// conditional integration.
import { defineExtension, scalar, type PortValue } from '../api.js';
import { Type } from '@sinclair/typebox';
import {
  bounds,
  clamp,
  defaultsOf,
  dtOf,
  finite,
  lowpassAlpha,
  nonNegative,
  positive,
  stringEnum,
  withDefault,
  withDefaults,
  type OptionsOf,
} from './util.js';

const pidSchema = Type.Object(
  {
    kp: withDefault(Type.Number({ description: 'Proportional gain: output units per unit of error. Default 1.' }), 1),
    ki: withDefault(Type.Number({ description: 'Integral gain: output units per (unit of error × second). Default 0 (no integral).' }), 0),
    kd: withDefault(
      Type.Number({
        description:
          'Derivative gain: output units per (unit of error / second), applied to the measurement (-kd·d measured/dt), not the error. Default 0.',
      }),
      0,
    ),
    min: Type.Optional(Type.Number({ description: 'Lower output limit (output units). Default: none.' })),
    max: Type.Optional(Type.Number({ description: 'Upper output limit (output units). Default: none.' })),
    anti_windup: withDefault(
      stringEnum(['back_calculation', 'conditional', 'none'], {
        description:
          'What keeps the integral from winding up while the output is limited. back_calculation (default): the integral ' +
          'is driven towards the limited output by (u_limited - u) with time constant tracking_tau. conditional: the ' +
          'integral stops while the output is limited and the error would push it further out. none: plain integration.',
      }),
      'back_calculation',
    ),
    tracking_tau: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        description:
          'Back-calculation tracking time constant in ms. Default: sqrt(Ti·Td) with Ti = kp/ki and Td = kd/kp ' +
          '(Åström and Hägglund), or Ti when there is no derivative term, or 100 ms when kp is 0.',
      }),
    ),
    derivative_cutoff: withDefault(
      Type.Number({
        minimum: 0,
        description: 'Cut-off frequency in Hz of a first-order low-pass on the derivative term. Default 0: no filter.',
      }),
      0,
    ),
  },
  { additionalProperties: false },
);

export type PidOptions = OptionsOf<typeof pidSchema>;

interface Gains {
  kp: number;
  ki: number;
  kd: number;
  lo: number;
  hi: number;
  mode: PidOptions['anti_windup'];
  /** Tracking time constant in ms (back-calculation). */
  tt: number;
  /** Derivative filter cut-off in Hz (0: none). */
  dfc: number;
}

// The schema states the types, the anti_windup modes and the defaults; these checks are for what it
// cannot say (min <= max) and for options that reach create unvalidated (NaN is no JSON number).
function gainsOf(options: PidOptions): Gains {
  const o = withDefaults(pidSchema, options);
  const why = 'the controller output would be NaN';
  const kp = finite('pid', 'kp', o.kp, why);
  const ki = finite('pid', 'ki', o.ki, why);
  const kd = finite('pid', 'kd', o.kd, why);
  const { lo, hi } = bounds('pid', o.min, o.max);
  const mode = o.anti_windup;
  let tt: number;
  if (o.tracking_tau !== undefined) tt = positive('pid', 'tracking_tau', o.tracking_tau, 'the back-calculation divides by it (ms)');
  else if (kp !== 0 && ki !== 0) {
    const ti = Math.abs(kp / ki) * 1000;
    const td = Math.abs(kd / kp) * 1000;
    tt = td > 0 ? Math.sqrt(ti * td) : ti;
  } else tt = 100;
  const dfc = nonNegative(
    'pid',
    'derivative_cutoff',
    o.derivative_cutoff,
    'the derivative filter coefficient needs a frequency >= 0 (Hz; 0 is no filter)',
  );
  return { kp, ki, kd, lo, hi, mode, tt, dfc };
}

export const pid = defineExtension<PidOptions>({
  name: 'pid',
  kind: 'compute',
  doc:
    'PID controller u = clamp(kp·e + I + D, min, max) with e = setpoint - measured. D = -kd·d(measured)/dt ' +
    '(derivative on the measurement: a setpoint step moves u by kp·Δsetpoint only), optionally low-passed ' +
    '(derivative_cutoff, Hz). I is kept in output units and integrated after each output (forward Euler, ' +
    'ki per second): with back_calculation anti-windup (default) it also tracks the limited output, ' +
    'I += ki·e·dt + (1 - exp(-dt/tracking_tau))·(u_limited - u); with conditional it is frozen while the ' +
    'output is limited and the error pushes it further out. Changing gains live keeps I (bumpless); reset ' +
    'clears I and the derivative state. A missing setpoint or measurement holds the output and the integral.',
  options: pidSchema,
  defaults: defaultsOf(pidSchema),
  inputs: {
    setpoint: { type: 'scalar', doc: 'Desired value of the measurement.' },
    measured: { type: 'scalar', doc: 'Measured process value.' },
  },
  outputs: { u: { type: 'scalar', doc: 'Control output, within [min, max].', safe: 0 } },
  create(options) {
    let g = gainsOf(options);
    let integral = 0;
    let prevMeasured = NaN;
    let dFiltered = 0;
    return {
      step(inputs, dtMs): Record<string, PortValue> {
        const sp = scalar(inputs.setpoint);
        const y = scalar(inputs.measured);
        if (!Number.isFinite(sp) || !Number.isFinite(y)) return {};
        const dt = dtOf(dtMs);
        const e = sp - y;
        // Derivative of the measurement; none on the first sample (or a zero step).
        let d = 0;
        if (Number.isFinite(prevMeasured) && dt > 0) d = (-g.kd * (y - prevMeasured)) / (dt / 1000);
        prevMeasured = y;
        if (g.dfc > 0) dFiltered += lowpassAlpha(g.dfc, dt) * (d - dFiltered);
        else dFiltered = d;
        const v = g.kp * e + integral + dFiltered;
        const u = clamp(v, g.lo, g.hi);
        // Integrate after the output (so the output sees this step's proportional part at once).
        const di = (g.ki * e * dt) / 1000;
        if (g.mode === 'back_calculation') integral += di + (1 - Math.exp(-dt / g.tt)) * (u - v);
        else if (g.mode === 'conditional') {
          const pushesOut = (v > g.hi && di > 0) || (v < g.lo && di < 0);
          if (!pushesOut) integral += di;
        } else integral += di;
        return { u };
      },
      reconfigure(o) {
        g = gainsOf(o as PidOptions);
        // Keep the integral (bumpless on gain changes) but inside the new limits.
        integral = clamp(integral, g.lo, g.hi);
      },
      reset() {
        integral = 0;
        prevMeasured = NaN;
        dFiltered = 0;
      },
    };
  },
});
