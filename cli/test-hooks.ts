// Faults on purpose, for the tests that prove the safety design from outside the process
// (tests/stall.test.ts): they freeze the control loop's thread or crash it, and a separate process
// watching the command topic or the serial line measures what the robot would see. Read only from
// these environment variables, which nothing sets outside tests.
//   FLUX_TEST_FREEZE=<at ms>,<for ms>  busy-waits the main thread (the loop, the transports, the
//                                      dashboard) for <for> ms, <at> ms after the node started
//   FLUX_TEST_CRASH=<at ms>            throws an uncaught exception <at> ms after the node started
import { writeSync } from 'node:fs';

export function installTestHooks(log: (line: string) => void = (l) => writeSync(2, l + '\n')): void {
  const freeze = /^(\d+),(\d+)$/.exec(process.env.FLUX_TEST_FREEZE ?? '');
  if (freeze) {
    const [at, ms] = [Number(freeze[1]), Number(freeze[2])];
    setTimeout(() => {
      // Wall-clock times, so that the watching process can compare them with its own.
      log(`flux: test hook: freezing the main thread for ${ms} ms at ${Date.now()}`);
      const end = performance.now() + ms;
      while (performance.now() < end) {
        // Nothing: a frozen loop, as an endless loop or a long compile would freeze it.
      }
      log(`flux: test hook: main thread free again at ${Date.now()}`);
    }, at).unref();
  }
  const crash = /^(\d+)$/.exec(process.env.FLUX_TEST_CRASH ?? '');
  if (crash)
    setTimeout(() => {
      log(`flux: test hook: throwing an uncaught exception at ${Date.now()}`);
      throw new Error('test hook: an uncaught exception');
    }, Number(crash[1])).unref();
}
