// The default demo unpaced: the simulated robot (MuJoCo), the Braitenberg circuit and the bridge in
// lockstep on simulated time, as fast as they run. Prints simulated seconds per wall second overall
// and per part (physics with sensors, engine ticks, the rest), and the machine. Target (issue 5): at
// least 5x faster than real time on the 2-core development machines.
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ClosedLoop } from '../sim/loop.js';
import { ROOT } from './networks.js';

const SECONDS = Number(process.env.FLUX_LOOP_BENCH_SECONDS ?? 60);
console.log(`machine: ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}, node ${process.version}`);
for (const arena of ['default', 'cluttered']) {
  const loop = await ClosedLoop.create({
    bridge: join(ROOT, 'examples/bridges/braitenberg.yaml'),
    arena,
    backend: 'cpu',
    log: () => undefined,
  });
  // Time spent inside engine ticks, from the bridge's own tick timing (wall clock here, not sim time).
  const busy0 = loop.node.bridge.timing.busyMs;
  const physics = loop.sim;
  const step = physics.step.bind(physics);
  let simWall = 0;
  physics.step = (n?: number) => {
    const a = performance.now();
    step(n);
    simWall += performance.now() - a;
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await loop.runFor(SECONDS);
  const wall = (performance.now() - t0) / 1000;
  const tickWall = loop.node.bridge.timing.busyMs - busy0;
  const cpu = process.cpuUsage(cpu0);
  const s = loop.summary();
  await loop.close();
  console.log(
    `${arena}: ${SECONDS} s simulated in ${wall.toFixed(2)} s: ${(SECONDS / wall).toFixed(1)}x real time ` +
      `(physics+sensors ${((simWall / 1000 / wall) * 100).toFixed(0)}%, engine ticks ${((tickWall / 1000 / wall) * 100).toFixed(0)}%, rest ${(100 - ((simWall + tickWall) / 1000 / wall) * 100).toFixed(0)}%), ` +
      `CPU ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(0)}% of one core; drove ${s.distance.toFixed(1)} m, ${s.collisions} collisions`,
  );
}
console.log('Target (issue 5): at least 5x real time unpaced.');
