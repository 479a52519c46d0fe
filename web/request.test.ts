// What the page's address asks of the engine (?threads=, ?backend=, ?seconds=): anything from outside
// is either one of the values it names or a RequestError that quotes at most 40 characters of it.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RequestError, requestedBackend, requestedEngine, requestedSeconds, requestedThreads } from './request.js';

const query = (key: string, value: string) => `?${new URLSearchParams({ [key]: value }).toString()}`;

/** The RequestError `run` throws, or null when it returns. */
function refusal(run: () => unknown): RequestError | null {
  try {
    run();
    return null;
  } catch (e) {
    expect(e).toBeInstanceOf(RequestError);
    return e as RequestError;
  }
}

describe('the page address', () => {
  it('?threads= is auto, 1 or 2; anything else is refused, quoting at most 40 characters of it', () => {
    expect(requestedThreads('')).toBeUndefined();
    expect(requestedThreads('?threads=auto')).toBeUndefined();
    expect(requestedThreads('?threads=1')).toBe(1);
    expect(requestedThreads('?threads=2')).toBe(2);
    for (const bad of ['0', '3', '2.0', ' 2', '1e0', 'NaN', 'Infinity', '__proto__', 'constructor', '', 'x'.repeat(10_000)]) {
      const e = refusal(() => requestedThreads(query('threads', bad)));
      expect(e?.message, bad).toBe(`?threads=${bad.slice(0, 40)}: expected auto, 1 or 2`);
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        const e = refusal(() => requestedThreads(query('threads', text)));
        if (['auto', '1', '2'].includes(text)) expect(e).toBeNull();
        else expect(e?.message.length).toBeLessThanOrEqual('?threads=: expected auto, 1 or 2'.length + 40);
      }),
      { numRuns: 500 },
    );
  });

  it('?backend= and ?threads= together make the engine options; a bad one refuses the whole address', () => {
    expect(requestedEngine('?backend=cpu&threads=2')).toEqual({ backend: 'cpu', threads: 2 });
    expect(requestedEngine('')).toEqual({ backend: 'auto', threads: undefined });
    expect(refusal(() => requestedEngine('?backend=cpu&threads=many'))?.message).toContain('?threads=many');
    expect(refusal(() => requestedEngine('?backend=__proto__&threads=1'))?.message).toContain('?backend=__proto__');
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), fc.string({ maxLength: 100 }), (backend, threads) => {
        const e = refusal(() => requestedBackend(query('backend', backend)));
        if (e === null) expect(['auto', 'cpu', 'webgpu']).toContain(backend);
        const t = refusal(() => requestedThreads(query('threads', threads)));
        if (t === null) expect(['auto', '1', '2']).toContain(threads);
      }),
      { numRuns: 500 },
    );
  });

  it('?seconds= is a finite positive number of at most 1e6; NaN, infinities and text are refused', () => {
    expect(requestedSeconds('')).toBe(Infinity);
    expect(requestedSeconds('?seconds=0.5')).toBe(0.5);
    for (const bad of ['0', '-1', 'NaN', 'Infinity', '1e7', '', ' ', 'soon', '__proto__'])
      expect(refusal(() => requestedSeconds(query('seconds', bad)))?.message, bad).toContain('expected simulated seconds');
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 50 }), fc.double().map(String)), (text) => {
        let s: number | null = null;
        const e = refusal(() => (s = requestedSeconds(query('seconds', text))));
        if (e === null) {
          expect(Number.isFinite(s)).toBe(true);
          expect(s!).toBeGreaterThan(0);
          expect(s!).toBeLessThanOrEqual(1e6);
        }
      }),
      { numRuns: 500 },
    );
  });
});
