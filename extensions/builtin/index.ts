// The built-in extensions: compute nodes (filters, PID, gain, expression, lookup, threshold) and the
// file recorder. The runtime registers these before any user extension.
import type { Extension } from '../api.js';
import { lowpass, highpass, movingAverage } from './filters.js';
import { pid } from './pid.js';
import { gain } from './arith.js';
import { expression } from './expression.js';
import { lookup } from './lookup.js';
import { threshold } from './threshold.js';
import { recorder } from './recorder.js';

export { lowpass, highpass, movingAverage, pid, gain, expression, lookup, threshold, recorder };

export const BUILTIN_EXTENSIONS: Extension[] = [lowpass, highpass, movingAverage, pid, gain, expression, lookup, threshold, recorder];
