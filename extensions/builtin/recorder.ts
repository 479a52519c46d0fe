// recorder: writes its input ports to a file, as CSV or as columnar JSON chunks. Samples are buffered
// in memory and written by one asynchronous append per flush (every flush_interval ms, or sooner
// when max_rows are buffered), so a sample costs an array push on the event loop, never a write.
import { open, mkdir, type FileHandle } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Subscription } from 'rxjs';
import { defineExtension, type PortValue } from '../api.js';
import { Type } from '@sinclair/typebox';
import { OptionError, defaultsOf, positive, show, stringEnum, withDefault, withDefaults, type OptionsOf } from './util.js';

const FORMATS = ['csv', 'columnar_json'] as const;
type Format = (typeof FORMATS)[number];

const recorderSchema = Type.Object(
  {
    path: Type.String({
      minLength: 1,
      description:
        "File to write (replaced if it exists), relative to the document's directory; missing directories are created. Required.",
    }),
    format: Type.Optional(
      stringEnum(FORMATS, {
        description:
          'csv: a header row (t, then the port names) and a row per sample time. columnar_json: JSON Lines, each line one ' +
          'flushed chunk {"columns": {"t": [...], "<port>": [...]}} with equally long columns. Default: from the ' +
          'extension of path (.csv; .json, .jsonl or .ndjson).',
      }),
    ),
    flush_interval: withDefault(
      Type.Number({ minimum: 1, description: 'Longest time in ms a sample stays buffered in memory before it is written. Default 1000.' }),
      1000,
    ),
    max_rows: withDefault(
      Type.Integer({ minimum: 1, description: 'Rows buffered before an early flush (bounds memory at high rates). Default 10000.' }),
      10000,
    ),
  },
  { additionalProperties: false },
);

export type RecorderOptions = OptionsOf<typeof recorderSchema>;

/** The time column's name: ms since the recorder subscribed to its inputs. */
export const TIME_COLUMN = 't';

function formatOf(o: RecorderOptions): Format {
  if (o.format !== undefined) return o.format;
  const ext = extname(String(o.path)).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.json' || ext === '.jsonl' || ext === '.ndjson') return 'columnar_json';
  throw new OptionError(
    'recorder',
    'format',
    `is not given and the extension of path ${JSON.stringify(o.path)} is neither .csv nor .json/.jsonl/.ndjson: say csv or columnar_json`,
  );
}

/** The options as the recorder uses them; the checks are for a create that was not validated (a JS caller). */
function settingsOf(options: RecorderOptions, dir: string): { format: Format; file: string; interval: number; maxRows: number } {
  const o = withDefaults(recorderSchema, options);
  const format = formatOf(o);
  if (typeof o.path !== 'string' || !o.path) throw new OptionError('recorder', 'path', `must be a file name, got ${show(o.path)}`);
  const interval = positive('recorder', 'flush_interval', o.flush_interval, 'it is the flush period (ms)');
  const maxRows = Math.max(1, Math.floor(positive('recorder', 'max_rows', o.max_rows, 'it bounds the buffer (rows)')));
  return { format, file: resolve(dir, o.path), interval, maxRows };
}

/** Appends to a file one after another, opening (and truncating) it first; the first failure stops the rest. */
class AppendChain {
  private fh: FileHandle | undefined;
  private opening: Promise<void> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly file: string,
    private readonly ctx: { log(line: string): void },
  ) {}

  open(): Promise<void> {
    return (this.opening ??= (async () => {
      await mkdir(dirname(this.file), { recursive: true });
      this.fh = await open(this.file, 'w');
    })());
  }

  /** Queues an append after the previous ones; a failure is kept (close rethrows it) and later writes are dropped. */
  append(text: () => string): void {
    this.chain = this.chain.then(async () => {
      if (this.failure !== undefined) return;
      try {
        await this.open();
        const s = text();
        if (s && this.fh) await this.fh.write(s);
      } catch (e) {
        this.failure = e;
        this.ctx.log(`recorder: writing ${this.file} failed: ${(e as Error).message}; recording stopped`);
      }
    });
  }

  /** Waits for the queued appends, closes the file and rethrows the first failure. */
  async close(): Promise<void> {
    await this.chain;
    try {
      await this.opening;
    } catch {
      // Already recorded as the failure below (or never opened).
    }
    await this.fh?.close();
    if (this.failure !== undefined) throw this.failure;
  }
}

/** A CSV chunk: the header on the first write, then a row per sample time. */
function csvChunk(first: boolean, ports: string[], t: number[], c: unknown[][]): string {
  let s = first ? [TIME_COLUMN, ...ports].map(csvCell).join(',') + '\n' : '';
  for (let r = 0; r < t.length; r++) {
    s += csvCell(t[r]);
    for (let i = 0; i < c.length; i++) s += ',' + csvCell(c[i][r]);
    s += '\n';
  }
  return s;
}

/** A columnar JSON chunk: one line of equally long columns (undefined as null). */
function columnarChunk(ports: string[], t: number[], c: unknown[][]): string {
  const columns: Record<string, unknown[]> = { [TIME_COLUMN]: t };
  ports.forEach((p, i) => (columns[p] = c[i].map((v) => (v === undefined ? null : v))));
  return JSON.stringify({ columns }) + '\n';
}

/** Spike trains and messages are events: they appear in the row of the sample that carried them only. */
const isEvent = (v: PortValue | undefined) => v !== undefined && typeof v === 'object' && !Array.isArray(v);

/** One CSV cell: numbers plainly (NaN, "no value", empty; infinities inf/-inf), anything else as quoted JSON. */
export function csvCell(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') return Number.isNaN(v) ? '' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : String(v);
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return /[",\r\n]/.test(s) || typeof v !== 'string' ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A columnar JSON recording (all its chunks) as one set of columns. */
export function readColumnar(text: string): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const chunk = JSON.parse(line) as { columns: Record<string, unknown[]> };
    for (const [k, col] of Object.entries(chunk.columns)) (out[k] ??= []).push(...col);
  }
  return out;
}

export const recorder = defineExtension<RecorderOptions>({
  name: 'recorder',
  kind: 'output',
  doc:
    'Writes its input ports (whatever ports are wired to it, in wiring order) to a file. A row per sample ' +
    'time: the values that arrive in one synchronous burst (one engine tick) form one row, with t the time ' +
    'in ms since the recorder subscribed; a port that emits twice in a burst starts a new row. Scalars and ' +
    "vectors are sampled and held (a row shows each port's latest value, empty/null before its first); " +
    'spike trains and messages appear only in the row that carried them. CSV: header "t,<ports>", vectors, ' +
    'spike trains and messages as quoted JSON. columnar_json: JSON Lines of chunks {"columns": {...}} ' +
    '(concatenate the columns of every line; readColumnar does). Buffered and written by one asynchronous ' +
    'append per flush (flush_interval ms, or max_rows rows); stop writes the rest and closes the file.',
  options: recorderSchema,
  dynamicInputs: true,
  defaults: defaultsOf(recorderSchema),
  create(options, ctx) {
    const { format, file, interval, maxRows } = settingsOf(options, ctx.dir);
    const writer = new AppendChain(file, ctx);

    let ports: string[] = [];
    let held: (PortValue | undefined)[] = [];
    // The buffered rows, column by column.
    let times: number[] = [];
    let cols: unknown[][] = [];
    // The row being gathered in the current synchronous burst.
    let pending: Map<number, PortValue> | undefined;
    let pendingT = 0;
    let t0 = 0;
    let subs: Subscription[] = [];
    let timer: ReturnType<typeof setInterval> | undefined;
    let consumed = false;
    let headerWritten = false;
    let stopping: Promise<void> | undefined;

    const commit = () => {
      if (!pending) return;
      const row = pending;
      pending = undefined;
      times.push(Math.round(pendingT * 1000) / 1000);
      for (let i = 0; i < ports.length; i++) {
        if (row.has(i)) {
          const v = row.get(i);
          held[i] = v;
          cols[i].push(v);
        } else cols[i].push(isEvent(held[i]) ? undefined : held[i]);
      }
      if (times.length >= maxRows) flush();
    };

    const flush = () => {
      if (!consumed) return;
      const t = times;
      const c = cols;
      if (t.length === 0 && headerWritten) return;
      // The first write names the columns (the CSV header, or a chunk even if it has no rows).
      const first = !headerWritten;
      headerWritten = true;
      times = [];
      cols = ports.map(() => []);
      const names = ports;
      writer.append(() => (format === 'csv' ? csvChunk(first, names, t, c) : columnarChunk(names, t, c)));
    };

    const sample = (i: number, v: PortValue) => {
      if (pending?.has(i)) commit();
      if (!pending) {
        pending = new Map();
        pendingT = performance.now() - t0;
        queueMicrotask(commit);
      }
      pending.set(i, v);
    };

    return {
      consume(inputs) {
        if (consumed) throw new Error('recorder: consume called twice');
        ports = Object.keys(inputs);
        if (ports.includes(TIME_COLUMN))
          throw new Error(`recorder: an input port named "${TIME_COLUMN}" clashes with the time column; rename the port`);
        consumed = true;
        held = ports.map(() => undefined);
        cols = ports.map(() => []);
        t0 = performance.now();
        subs = ports.map((p, i) =>
          inputs[p].subscribe({
            next: (v) => sample(i, v),
            error: (e: unknown) => ctx.log(`recorder: input ${p} failed: ${(e as Error)?.message ?? show(e)}`),
          }),
        );
        timer = setInterval(flush, interval);
        timer.unref?.();
      },
      async start() {
        // Open (and truncate) the file now, so a bad path is reported at start rather than at the first flush.
        await writer.open();
      },
      stop() {
        return (stopping ??= (async () => {
          for (const s of subs) s.unsubscribe();
          subs = [];
          if (timer) clearInterval(timer);
          commit();
          flush();
          await writer.close();
        })());
      },
    };
  },
});
