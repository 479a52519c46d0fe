// The worker side of an isolated extension node (isolate.ts): loads the module, creates the node and
// answers the host's messages. A node that blocks here blocks only this thread.
import { parentPort, workerData } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { Subject } from 'rxjs';
import type { ComputeInstance, InputInstance, OutputInstance, PortValue } from './api.js';
import { checkShape } from './shape.js';

const { module, exportPath, name, options, dir } = workerData as {
  module: string;
  exportPath: string;
  name: string;
  options: Record<string, unknown>;
  dir: string;
};
const port = parentPort!;
const post = (m: Record<string, unknown>) => port.postMessage(m);
const message = (e: unknown) => (e as Error)?.message ?? String(e);

async function main(): Promise<void> {
  const mod = (await import(pathToFileURL(module).href)) as Record<string, unknown>;
  const [head, index] = exportPath.split('.');
  const value = mod[head];
  const ext: unknown = index === undefined ? value : Array.isArray(value) ? value[Number(index)] : undefined;
  // The host checked this export when it loaded the module; this thread imported it again on its own.
  checkShape(ext, `extension ${name} from ${module}`);
  const ctx = { name, dir, log: (line: string) => post({ log: line }) };
  const inst = ext.create(options, ctx);
  const subjects = new Map<string, Subject<PortValue>>();
  if (ext.kind === 'input') {
    const input = inst as InputInstance;
    await input.start?.();
    for (const [p, s] of Object.entries(input.outputs))
      s.subscribe({ next: (v) => post({ port: p, value: v }), error: (e) => post({ error: message(e) }) });
  }
  port.on(
    'message',
    async (m: {
      op: string;
      seq?: number;
      inputs?: Record<string, PortValue | undefined>;
      dt?: number;
      port?: string;
      value?: PortValue;
      options?: Record<string, unknown>;
      ports?: string[];
    }) => {
      try {
        if (m.op === 'step') post({ seq: m.seq, outputs: (inst as ComputeInstance).step(m.inputs!, m.dt!) });
        else if (m.op === 'consume') {
          const streams: Record<string, Subject<PortValue>> = {};
          for (const p of m.ports!) subjects.set(p, (streams[p] = new Subject()));
          (inst as OutputInstance).consume(streams);
          await (inst as OutputInstance).start?.();
          post({ seq: m.seq });
        } else if (m.op === 'value') {
          subjects.get(m.port!)?.next(m.value!);
          post({ seq: m.seq });
        } else if (m.op === 'safe') {
          const out = inst as OutputInstance;
          if (out.safe) out.safe();
          else for (const [p, s] of subjects) if (ext.inputs?.[p]?.safe !== undefined) s.next(ext.inputs[p].safe!);
          post({ seq: m.seq });
        } else if (m.op === 'reconfigure') {
          (inst as { reconfigure?: (o: Record<string, unknown>) => void }).reconfigure?.(m.options!);
          post({ seq: m.seq });
        } else if (m.op === 'stop') {
          await (inst as { stop?: () => unknown }).stop?.();
          post({ seq: m.seq, stopped: true });
        }
      } catch (e) {
        post({ seq: m.seq, error: message(e) });
      }
    },
  );
  post({ ready: true, kind: ext.kind, reconfigurable: typeof (inst as { reconfigure?: unknown }).reconfigure === 'function' });
}

main().catch((e) => post({ fatal: message(e) }));
