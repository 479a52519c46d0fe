// The Arduino driver (drivers/johnny-five) against real Firmata firmware (node-pixel's StandardFirmata-
// derived Uno build) running in simavr, its UART on a pseudo-terminal. No mocks: pin levels and servo
// pulse widths are measured in the simulated MCU from cycle counts (tests/fixtures/simavr/harness.c).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBoard, servoPulseFor, type ArduinoBoard, type BoardConfig, type ServoOutputConfig } from '../drivers/johnny-five/board.js';
import { simavrUnavailable, startUno, type SimUno } from './fixtures/arduino.js';
import { requires } from './requirements.js';

const missing = simavrUnavailable();
if (missing && process.env.CI === 'true') throw new Error(`arduino tests need simavr under CI: ${missing}`);
if (missing) requires('simavr', missing);

const SERVO: ServoOutputConfig = { kind: 'servo', pin: 9, min: 0, max: 180, safe: 90 };
/** Servo pulse tolerance: the Servo library's 0.5 us ticks, its 2 us trim and ISR entry latency. */
const PULSE_TOL_US = 12;

describe.skipIf(missing !== null)('Arduino board on Firmata firmware in simavr', () => {
  let dir: string;
  let link: string;
  let uno: SimUno;
  let board: ArduinoBoard;

  const cfg = (): BoardConfig => ({
    id: 'uno',
    port: link,
    samplingIntervalMs: 10,
    backoffMs: { initial: 50, max: 500 },
    watchdogMs: 300,
    connectTimeoutMs: 2000,
    inputs: {
      light: { kind: 'analog', pin: 'A0' },
      button: { kind: 'digital', pin: 7 },
      ir: { kind: 'proximity', pin: 'A1', controller: 'GP2Y0A21YK' },
    },
    outputs: {
      led: { kind: 'digital', pin: 13, safe: 0 },
      pan: SERVO,
      lamp: { kind: 'led', pin: 6, max: 0.8 },
      wheel: { kind: 'motor', pwm: 5, dir: 4 },
    },
  });
  const pulseNear = (us: number) => () => {
    const p = uno.servoPulseUs(9);
    return p !== null && Math.abs(p - us) <= PULSE_TOL_US;
  };
  const waitInput = async (name: string, pred: (v: number) => boolean, ms: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        sub.unsubscribe();
        reject(new Error(`input ${name}: no matching value within ${ms} ms`));
      }, ms);
      const sub = board.input(name).subscribe((v) => {
        if (!pred(v)) return;
        clearTimeout(t);
        queueMicrotask(() => sub.unsubscribe());
        resolve(v);
      });
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flux-uno-'));
    link = join(dir, 'ttyUNO0');
    uno = await startUno({ link });
    uno.setAnalog(0, 0);
    board = openBoard(cfg());
    await board.ready(15_000);
  });

  afterAll(async () => {
    await board?.close();
    await uno?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes safe values on connect: servo at 90 deg = 1.5 ms, pin 13 low', async () => {
    await uno.waitFor(pulseNear(1500), 3000, 'a 1500 us pulse on pin 9');
    expect(board.outputStatus('pan')).toEqual({ output: 'pan', failed: false, value: 90 });
  });

  it('reads A0 set in the simulator (10-bit, 5 V reference) within 3 counts', async () => {
    for (const volts of [2.5, 1.0, 4.2]) {
      uno.setAnalog(0, volts);
      const want = Math.round((volts / 5) * 1023);
      const got = await waitInput('light', (v) => Math.abs(v - want) <= 3, 2000);
      expect(Math.abs(got - want)).toBeLessThanOrEqual(3);
    }
  });

  it("a Sharp GP2Y0A21YK IR ranger on A1 reads in metres through johnny-five's Proximity curve", async () => {
    // johnny-five's fit for this sensor: cm = 12343.85 * raw^-1.15 (raw: 10-bit reading, 5 V reference).
    const metres = (raw: number) => (12343.85 * raw ** -1.15) / 100;
    for (const volts of [0.8, 1.6]) {
      uno.setAnalog(1, volts);
      const raw = (volts / 5) * 1023;
      // The reading is within 3 counts; the curve falls with raw, so the bounds swap.
      await waitInput('ir', (m) => m <= metres(raw - 3) && m >= metres(raw + 3), 3000);
    }
  });

  it('drives digital pin 13, seen in the simulated MCU', async () => {
    expect(board.write('led', 1)).toBe(true);
    await uno.waitFor(() => uno.pin(13) === 1, 2000, 'pin 13 high');
    expect(board.write('led', 0)).toBe(true);
    await uno.waitFor(() => uno.pin(13) === 0, 2000, 'pin 13 low');
  });

  it('reads a button on digital pin 7 driven in the simulator', async () => {
    uno.setDigital(7, 1);
    await waitInput('button', (v) => v === 1, 2000);
    uno.setDigital(7, 0);
    await waitInput('button', (v) => v === 0, 2000);
  });

  it('LED PWM duty and motor speed/direction measured in the simulator (duty within 0.01)', async () => {
    const dutyNear = (pin: number, f: number) => () => {
      const d = uno.duty(pin);
      return d !== null && Math.abs(d - f) <= 0.01;
    };
    board.write('lamp', 0.25); // analogWrite(6, 64): 64/256 high on Timer0's fast PWM
    await uno.waitFor(dutyNear(6, 64 / 256), 2000, 'duty 0.25 on pin 6');
    board.write('lamp', 1); // clamped to max 0.8 -> 204/256
    await uno.waitFor(dutyNear(6, 204 / 256), 2000, 'duty 0.8 on pin 6');
    expect(board.outputStatus('lamp').value).toBe(0.8);
    board.write('wheel', 0.5); // forward: dir high, 128/256
    await uno.waitFor(() => uno.pin(4) === 1 && dutyNear(5, 128 / 256)(), 2000, 'motor forward at half speed');
    board.write('wheel', -0.75); // reverse: dir low, 191/256
    await uno.waitFor(() => uno.pin(4) === 0 && dutyNear(5, 191 / 256)(), 2000, 'motor reverse at 3/4 speed');
    board.write('wheel', 0);
    await uno.waitFor(() => uno.duty(5) === 0, 2000, 'motor stopped');
  });

  it('maps servo angles onto 1.0-2.0 ms pulses measured in the simulator, clamped to limits', async () => {
    for (const [deg, us] of [
      [0, 1000],
      [45, 1250],
      [135, 1750],
      [180, 2000],
      [400, 2000], // clamped to max = 180
    ] as const) {
      expect(servoPulseFor(SERVO, deg)).toBe(us);
      board.write('pan', deg);
      await uno.waitFor(pulseNear(us), 2000, `a ${us} us pulse for ${deg} deg`);
      const measured = uno.servoPulseUs(9)!;
      expect(Math.abs(measured - us)).toBeLessThanOrEqual(PULSE_TOL_US);
    }
  });

  it('round trip A0 -> driver -> servo pulse within 150 ms', async () => {
    // The loop under test: sensor value (0..1023) -> angle (0..180) -> servo. No neurons yet.
    const sub = board.input('light').subscribe((v) => board.write('pan', (v / 1023) * 180));
    const lat: number[] = [];
    try {
      for (const volts of [1, 4, 1.5, 3.5, 0.5, 4.5]) {
        const raw = Math.round((volts / 5) * 1023);
        const us = servoPulseFor(SERVO, (raw / 1023) * 180);
        const from = uno.events.length;
        const t0 = performance.now();
        uno.setAnalog(0, volts);
        await uno.waitFor(
          () => uno.events.slice(from).some((e) => e.kind === 'pulse' && e.pin === 9 && Math.abs(e.value - us) <= PULSE_TOL_US),
          2000,
          `pulse ${us} us after A0 = ${volts} V`,
        );
        const hit = uno.events.slice(from).find((e) => e.kind === 'pulse' && e.pin === 9 && Math.abs(e.value - us) <= PULSE_TOL_US)!;
        lat.push(hit.at - t0);
      }
    } finally {
      sub.unsubscribe();
    }
    lat.sort((a, b) => a - b);
    console.log(
      `round trip A0 -> servo pulse (ms, ${lat.length} steps): median ${lat[lat.length >> 1].toFixed(1)}, max ${lat[lat.length - 1].toFixed(1)}, all ${lat.map((x) => x.toFixed(1)).join(' ')}`,
    );
    expect(lat[lat.length - 1]).toBeLessThan(150);
  });

  it('runs several boards at once, each on its own port', async () => {
    const link2 = join(dir, 'ttyUNO1');
    const uno2 = await startUno({ link: link2 });
    const board2 = openBoard({ id: 'uno2', port: link2, outputs: { tilt: { ...SERVO, safe: 45 }, led: { kind: 'digital', pin: 13 } } });
    try {
      await board2.ready(15_000);
      await uno2.waitFor(() => Math.abs((uno2.servoPulseUs(9) ?? 0) - 1250) <= PULSE_TOL_US, 3000, 'board 2 safe pulse');
      board.write('pan', 180);
      board2.write('tilt', 0);
      board2.write('led', 1);
      await uno.waitFor(pulseNear(2000), 2000, 'board 1 at 2000 us');
      await uno2.waitFor(
        () => Math.abs((uno2.servoPulseUs(9) ?? 0) - 1000) <= PULSE_TOL_US && uno2.pin(13) === 1,
        2000,
        'board 2 at 1000 us, pin 13 high',
      );
      expect(Math.abs(uno.servoPulseUs(9)! - 2000)).toBeLessThanOrEqual(PULSE_TOL_US);
    } finally {
      await board2.close();
      await uno2.stop();
    }
  });

  it('a board that stops answering (port still open) is lost by the watchdog and recovered', async () => {
    const before = board.status.connections;
    uno.signal('SIGSTOP'); // the MCU hangs; its pty stays open
    const t0 = performance.now();
    await new Promise<void>((resolve) => {
      const s = board.status$.subscribe((st) => {
        if (st.state === 'lost') {
          queueMicrotask(() => s.unsubscribe());
          resolve();
        }
      });
    });
    const detectMs = performance.now() - t0;
    expect(board.status.error).toMatch(/no answer/);
    expect(detectMs).toBeLessThan(1000); // two watchdog periods at most
    expect(board.outputStatus('pan').failed).toBe(true);
    uno.signal('SIGCONT');
    await board.ready(8000);
    console.log(`hung board detected by the watchdog in ${detectMs.toFixed(0)} ms`);
    expect(board.status.connections).toBe(before + 1);
    board.write('pan', 60);
    await uno.waitFor(pulseNear(servoPulseFor(SERVO, 60)), 2000, 'pulse for 60 deg after recovery');
  });

  it('board loss marks outputs failed and keeps running; the board is reconnected when it returns', async () => {
    const states: string[] = [];
    const sub = board.status$.subscribe((s) => states.push(s.state));
    await uno.stop('SIGKILL'); // the cable is yanked: pty and symlink gone without warning
    const tLost = performance.now();
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`not lost: ${JSON.stringify(board.status)}`)), 3000);
      const s = board.status$.subscribe((st) => {
        if (st.state === 'lost') {
          clearTimeout(t);
          queueMicrotask(() => s.unsubscribe());
          resolve();
        }
      });
    });
    const detectMs = performance.now() - tLost;
    expect(board.outputStatus('pan').failed).toBe(true);
    expect(board.outputStatus('led').failed).toBe(true);
    expect(board.write('pan', 10)).toBe(false); // dropped, not queued
    await new Promise((r) => setTimeout(r, 600)); // several failed reconnect attempts meanwhile

    uno = await startUno({ link }); // the board comes back at the same path
    const tBack = performance.now();
    await board.ready(10_000);
    const reconnectMs = performance.now() - tBack;
    console.log(`board loss detected in ${detectMs.toFixed(0)} ms; reconnected ${reconnectMs.toFixed(0)} ms after the board returned`);
    expect(board.status.connections).toBe(3); // first connect, watchdog recovery, this one
    expect(board.outputStatus('pan')).toEqual({ output: 'pan', failed: false, value: 90 });
    expect(board.outputStatus('wheel')).toEqual({ output: 'wheel', failed: false, value: 0 });
    await uno.waitFor(pulseNear(1500), 3000, 'safe pulse after reconnect');
    // resumes: writes and reads flow again
    expect(board.write('pan', 30)).toBe(true);
    await uno.waitFor(pulseNear(servoPulseFor(SERVO, 30)), 2000, 'pulse for 30 deg after reconnect');
    expect(board.write('led', 1)).toBe(true);
    await uno.waitFor(() => uno.pin(13) === 1, 2000, 'pin 13 high after reconnect');
    uno.setAnalog(0, 3);
    await waitInput('light', (v) => Math.abs(v - 614) <= 3, 2000);
    sub.unsubscribe();
    expect(states).toContain('lost');
    expect(states[states.length - 1]).toBe('ready');
  });
});
