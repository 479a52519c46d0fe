// `flux run`: a bridge document (topics <-> circuit) as a running robot node, until a signal.
import { FluxNode, exitOnSignals } from '../bridge/node/node.js';
import type { BackendChoice } from '../engine/engine.js';

export interface RunOptions {
  ros?: boolean;
  backend: BackendChoice;
  threads?: number;
  /** Seconds between status lines; 0 for none. */
  status: number;
  /** Stop after this long (ms of wall time); default: run until SIGINT or SIGTERM. */
  durationMs?: number;
}

export async function run(bridgeFile: string, rosArgs: string[], o: RunOptions): Promise<void> {
  if (!o.ros)
    console.log('flux: no transport chosen (--ros for ROS 2): running on an empty in-process graph, so inputs stay stale and outputs publish their safe values');
  const node = await FluxNode.start({ bridge: bridgeFile, transport: o.ros ? 'ros' : 'memory', rosArgs, backend: o.backend, threads: o.threads });
  const release = exitOnSignals(node);
  console.log('flux: running; Ctrl-C (SIGINT) or SIGTERM stops it after publishing the safe command');
  const t0 = performance.now();
  let last = { ...node.bridge.stats, at: t0 };
  const status =
    o.status > 0 ?
      setInterval(() => {
        const st = node.bridge.stats;
        const now = performance.now();
        const s = (now - last.at) / 1000;
        const per = (k: keyof typeof st) => ((st[k] - last[k]) / s).toFixed(0);
        const stale = node.bridge.staleInputs();
        console.log(
          `flux: t=${((now - t0) / 1000).toFixed(0)}s ticks ${per('ticks')}/s, overruns ${st.overruns}, published ${per('published')}/s (safe ${per('safePublished')}/s), ` +
            `received ${per('received')}/s, dropped ${st.malformed + st.nonFinite + st.outOfRange}, watchdog ${st.watchdogTrips}${stale.length ? `, stale: ${stale.join(' ')}` : ''}`,
        );
        last = { ...st, at: now };
      }, o.status * 1000)
    : null;
  status?.unref();
  if (o.durationMs !== undefined) {
    await new Promise((r) => setTimeout(r, o.durationMs));
    release();
    if (status) clearInterval(status);
    await node.shutdown();
    console.log(`flux: done after ${(o.durationMs / 1000).toFixed(1)} s: ${node.bridge.stats.ticks} ticks, ${node.bridge.stats.published} messages published`);
  }
}
