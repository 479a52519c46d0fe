// The built-in extensions: compute nodes (filters, PID, gain, expression, lookup, threshold) and the
// file recorder. The runtime registers these, in this order, before any user extension. Each lives in
// its own file; this list is the only other place that names it (import it here and add it below).
import type { Extension } from '../api.js';
import { lowpass, highpass, movingAverage } from './filters.js';
import { pid } from './pid.js';
import { gain } from './arith.js';
import { expression } from './expression.js';
import { lookup } from './lookup.js';
import { threshold } from './threshold.js';
import { recorder } from './recorder.js';

export const BUILTIN_EXTENSIONS: Extension[] = [lowpass, highpass, movingAverage, pid, gain, expression, lookup, threshold, recorder];
