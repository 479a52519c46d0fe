import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseRunRequest } from './run-control.js';

describe('parseRunRequest (POST /api/run bodies)', () => {
  it('takes exactly the actions and speeds it knows, alone or together', () => {
    expect(parseRunRequest({ action: 'step' })).toEqual({ action: 'step', speed: undefined });
    expect(parseRunRequest({ speed: 'fast' })).toEqual({ action: undefined, speed: 'fast' });
    expect(parseRunRequest({ action: 'run', speed: 'realtime' })).toEqual({ action: 'run', speed: 'realtime' });
    expect(parseRunRequest({})).toBe('expected an action or a speed');
    expect(parseRunRequest({ action: 'reboot' })).toBe('action: expected one of run, pause, step, reset');
    expect(parseRunRequest({ speed: 'warp' })).toBe('speed: expected one of realtime, fast');
    expect(parseRunRequest({ action: 'run', extra: 1 })).toBe('unknown field "extra" (expected action and speed)');
    expect(parseRunRequest([])).toBe('expected { action?, speed? }');
  });

  it('answers any JSON value with a checked request or a message, never an exception; inherited names are not fields', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const r = parseRunRequest(body);
        if (typeof r === 'string') return;
        expect(r.action === undefined || ['run', 'pause', 'step', 'reset'].includes(r.action)).toBe(true);
        expect(r.speed === undefined || ['realtime', 'fast'].includes(r.speed)).toBe(true);
        expect(r.action !== undefined || r.speed !== undefined).toBe(true);
      }),
    );
    // A body whose prototype carries an action has none of its own.
    expect(parseRunRequest(Object.create({ action: 'run' }))).toBe('expected an action or a speed');
    expect(parseRunRequest(JSON.parse('{"__proto__": {"action": "run"}}'))).toBe('unknown field "__proto__" (expected action and speed)');
  });
});
