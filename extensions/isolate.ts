// A node of an extension loaded from a module, run in its own worker thread: a node that throws, blocks
// or crashes cannot stop the engine. The host's calls never wait for the worker: a compute node's
// step() posts the inputs and returns the outputs of the last answer (so its outputs lag one call);
// an output node's values are posted and acknowledged. A request unanswered for `hangMs` means the
// node is stuck: the worker is terminated and the host restarts it (host.ts).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { Subject, type Observable } from 'rxjs';
import type { ComputeInstance, ExtensionContext, InputInstance, OutputInstance, PortValue } from './api.js';
import type { RegisteredExtension } from './registry.js';

// The compiled worker next to this file; from the sources (vitest), the build's copy. Found when first
// asked, not on import: a page bundles this module and has no file URLs.
function workerScript(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return existsSync(join(here, 'worker.js')) ? join(here, 'worker.js') : join(here, '../dist/extensions/worker.js');
}

/** What an extension's worker (extensions/worker.ts) posts: its start, its log lines, results and failures. */
interface WorkerMessage {
  ready?: boolean;
  reconfigurable?: boolean;
  fatal?: string;
  log?: string;
  seq?: number;
  outputs?: Record<string, PortValue>;
  error?: string;
  port?: string;
  value?: PortValue;
}

export class IsolatedNode implements ComputeInstance, InputInstance, OutputInstance {
  readonly outputs: Record<string, Observable<PortValue>> = {};
  private readonly subjects = new Map<string, Subject<PortValue>>();
  private last: Record<string, PortValue> = {};
  private seq = 0;
  /** Requests sent and not yet answered: seq -> time sent. */
  private readonly pending = new Map<number, number>();
  private error: string | null = null;
  dead = false;
  /** Set by the host: a failure found outside a call it makes (an output's stream, a dead worker). */
  onFailure?: (e: unknown) => void;
  /** Present only when the extension can reconfigure live; otherwise the host recreates the node. */
  reconfigure?: (options: Record<string, unknown>) => void;

  private constructor(
    private readonly worker: Worker,
    private readonly name: string,
    private readonly hangMs: number,
  ) {}

  static start<C extends ExtensionContext>(
    reg: RegisteredExtension<C>,
    name: string,
    options: Record<string, unknown>,
    dir: string,
    hangMs: number,
  ): Promise<IsolatedNode> {
    const worker = new Worker(workerScript(), { workerData: { module: reg.module, exportPath: reg.exportPath, name, options, dir } });
    const node = new IsolatedNode(worker, name, hangMs);
    for (const port of Object.keys(reg.extension.outputs ?? {})) {
      const s = new Subject<PortValue>();
      node.subjects.set(port, s);
      node.outputs[port] = s.asObservable();
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        void worker.terminate();
        reject(new Error(`did not start within ${hangMs * 5} ms`));
      }, hangMs * 5);
      worker.on('message', (m: WorkerMessage) => {
        if (m.ready) {
          clearTimeout(timer);
          if (m.reconfigurable)
            node.reconfigure = (options) => {
              node.check();
              node.send({ op: 'reconfigure', options });
            };
          resolve(node);
        } else if (m.fatal) {
          clearTimeout(timer);
          void worker.terminate();
          reject(new Error(m.fatal));
        } else node.onMessage(m);
      });
      worker.on('error', (e) => {
        clearTimeout(timer);
        node.die(`crashed: ${e.message}`);
        reject(e);
      });
      worker.on('exit', () => node.die('its worker exited'));
    });
  }

  private onMessage(m: WorkerMessage): void {
    if (m.log !== undefined) return void process.stderr.write(`extension ${this.name}: ${m.log}\n`);
    if (m.port !== undefined) return void this.subjects.get(m.port)?.next(m.value!);
    if (m.seq !== undefined) this.pending.delete(m.seq);
    if (m.outputs) this.last = m.outputs;
    if (m.error !== undefined) {
      if (m.seq === undefined) for (const s of this.subjects.values()) s.error(new Error(m.error));
      else this.error = m.error;
    }
  }

  private die(why: string): void {
    if (this.dead) return;
    this.dead = true;
    this.error = why;
    for (const s of this.subjects.values()) s.error(new Error(why));
    this.onFailure?.(new Error(why));
  }

  /** Throws if the worker is stuck (and terminates it) or its last answer was an error. */
  check(): void {
    const now = performance.now();
    for (const t of this.pending.values())
      if (now - t > this.hangMs) {
        this.die(`did not answer for ${this.hangMs} ms (blocked?): terminated`);
        void this.worker.terminate();
        break;
      }
    if (this.error !== null) {
      const e = this.error;
      if (!this.dead) this.error = null;
      throw new Error(e);
    }
  }

  send(m: Record<string, unknown>): void {
    const seq = ++this.seq;
    this.pending.set(seq, performance.now());
    this.worker.postMessage({ ...m, seq });
  }

  step(inputs: Record<string, PortValue | undefined>, dtMs: number): Record<string, PortValue> {
    this.check();
    // One request in flight: a slow node is called less often, never queued up.
    if (this.pending.size === 0) this.send({ op: 'step', inputs, dt: dtMs });
    return this.last;
  }

  consume(inputs: Record<string, Observable<PortValue>>): void {
    this.send({ op: 'consume', ports: Object.keys(inputs) });
    for (const [port, stream] of Object.entries(inputs))
      stream.subscribe((value) => {
        // Never throw here: RxJS would rethrow it from a timer and end the process. A stuck or failed
        // worker is reported to the host, which sends the node safe and restarts it.
        try {
          this.check();
          // Bounded: a worker that stops acknowledging is declared stuck by check() before this grows.
          this.send({ op: 'value', port, value });
        } catch (e) {
          this.onFailure?.(e);
        }
      });
  }

  safe(): void {
    if (this.dead) return;
    try {
      this.send({ op: 'safe' });
    } catch (e) {
      this.onFailure?.(e);
    }
  }

  async stop(): Promise<void> {
    if (!this.dead) {
      // Give stop() (an output's safe values) a moment; a stuck worker is terminated regardless.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.hangMs);
        this.worker.on('message', (m: { stopped?: boolean }) => m.stopped && (clearTimeout(timer), resolve()));
        this.send({ op: 'stop' });
      });
    }
    this.dead = true;
    await this.worker.terminate();
  }
}
