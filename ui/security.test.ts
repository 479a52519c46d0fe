// The dashboard's guards as pure functions: accepted and refused cases of every check, the edge cases the
// integration suites (tests/dashboard-security, hostile-client, fuzz-http) send over a real socket, and
// properties of the checks that parse what a client sends (request target, Host, token, cookie).
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  EditBucket,
  allowedHost,
  authorized,
  cookieValue,
  hostName,
  isLoopback,
  presentedToken,
  requestRefusal,
  requestTarget,
  sameOrigin,
  sameToken,
  tokenCookie,
  upgradeRefusal,
  writeRefusal,
  type Bind,
  type GuardedHeaders,
  type WriteRequest,
} from './security.js';

const TOKEN = 'u0Vq3fX-kd_2Jm9QbVQz6m8RrA1p3s9D';
const local: Bind = { host: '127.0.0.1', token: TOKEN };
const open: Bind = { host: '0.0.0.0', token: TOKEN };
const bare: Bind = { host: '127.0.0.1', token: null };
const none = new URLSearchParams();
const q = (text: string) => new URLSearchParams(text);
const url = (target: string) => requestTarget(target);

describe('requestTarget', () => {
  it('takes origin-form targets ("/path?query"), whatever their escapes', () => {
    for (const t of ['/', '/ws?token=x', '/api/status', '/ws?token=%', '/%zz', '/%00', '/?token=%'])
      expect(requestTarget(t)?.pathname.startsWith('/'), t).toBe(true);
    // Dot segments resolve inside the base: they name a path of this server, never a file outside it.
    expect(requestTarget('/api/../../etc/passwd')?.pathname).toBe('/etc/passwd');
    expect(requestTarget('/ws?token=abc')?.searchParams.get('token')).toBe('abc');
  });

  it('refuses what is not a path of this server (issue 16, D1): authority and absolute forms, backslashes, *', () => {
    const refused = ['//', '//a:b/ws', 'http://[/ws', '/\\', '/\\\\', '//evil.example/ws', 'http://x/ws', 'http://127.0.0.1/api/status'];
    refused.push('*', '', 'ws');
    for (const t of refused) expect(requestTarget(t), t).toBeNull();
  });

  it('refuses non-strings and targets over 8 KiB', () => {
    for (const t of [undefined, null, 42, ['/'], {}]) expect(requestTarget(t)).toBeNull();
    expect(requestTarget('/' + 'a'.repeat(8191))).not.toBeNull();
    expect(requestTarget('/' + 'a'.repeat(8192))).toBeNull();
  });

  it('property: never throws; null for anything that does not start with a single /', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80, unit: 'binary' }), (raw) => {
        const t = requestTarget(raw);
        if (!raw.startsWith('/') || raw.startsWith('//')) expect(t).toBeNull();
        if (t) expect(t.origin).toBe('http://flux.invalid');
      }),
    );
  });

  it('property: a path of plain segments with a query is taken as it is', () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/);
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.string({ maxLength: 20 }), (parts, token) => {
        const path = '/' + parts.filter((p) => p !== '.' && p !== '..').join('/');
        const t = requestTarget(`${path}?token=${encodeURIComponent(token)}`);
        expect(t?.pathname).toBe(path);
        expect(t?.searchParams.get('token')).toBe(token);
      }),
    );
  });
});

describe('isLoopback and the Host check', () => {
  it('recognises loopback names and addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1'])
      expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '192.168.1.5', '::', 'localhost.evil.example', '127.0.0.1.evil.example', '128.0.0.1', ''])
      expect(isLoopback(h), h).toBe(false);
  });

  it('takes the name of a Host header without its port', () => {
    expect(hostName('localhost:8765')).toBe('localhost');
    expect(hostName('127.0.0.1')).toBe('127.0.0.1');
    expect(hostName('[::1]:8765')).toBe('[::1]');
    expect(hostName('evil.example:80')).toBe('evil.example');
  });

  it('a loopback bind answers loopback names and its own address only (DNS rebinding)', () => {
    for (const h of ['127.0.0.1:8765', 'localhost:8765', '[::1]:8765', 'localhost', '127.0.0.2'])
      expect(allowedHost(h, '127.0.0.1'), h).toBe(true);
    for (const h of ['evil.example:8765', 'evil.example', '0.0.0.0:8765', '', undefined])
      expect(allowedHost(h, '127.0.0.1'), String(h)).toBe(false);
    expect(allowedHost('localhost:1', 'localhost')).toBe(true);
  });

  it('another bind lets any Host through: the token guards it', () => {
    for (const h of ['evil.example:8765', '', undefined, '[']) expect(allowedHost(h, '0.0.0.0')).toBe(true);
  });

  it('property: on a loopback bind, a loopback name with any port passes and a foreign name with any port does not', () => {
    const loopbackName = fc.oneof(
      fc.constantFrom('localhost', '[::1]'),
      fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255)).map(([a, b, c]) => `127.${a}.${b}.${c}`),
    );
    const foreignName = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}\.[a-z]{2,6}$/);
    const port = fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined });
    const header = (name: string, p: number | undefined) => (p === undefined ? name : `${name}:${p}`);
    fc.assert(fc.property(loopbackName, port, (name, p) => allowedHost(header(name, p), '127.0.0.1')));
    fc.assert(fc.property(foreignName, port, (name, p) => !allowedHost(header(name, p), '127.0.0.1')));
  });

  it('property: never throws, whatever the Host header holds', () => {
    fc.assert(fc.property(fc.string({ maxLength: 60 }), (h) => typeof allowedHost(h, '127.0.0.1') === 'boolean'));
  });
});

describe('sameOrigin', () => {
  it("takes no Origin (not a browser's cross-site request) and the page's own", () => {
    expect(sameOrigin(undefined, '127.0.0.1:8765')).toBe(true);
    expect(sameOrigin('http://127.0.0.1:8765', '127.0.0.1:8765')).toBe(true);
    expect(sameOrigin('http://localhost:8765', 'localhost:8765')).toBe(true);
  });

  it('refuses another origin, another port, an opaque origin and one that is not a URL', () => {
    expect(sameOrigin('http://evil.example', '127.0.0.1:8765')).toBe(false);
    expect(sameOrigin('http://127.0.0.1:8766', '127.0.0.1:8765')).toBe(false);
    expect(sameOrigin('null', '127.0.0.1:8765')).toBe(false);
    expect(sameOrigin('', '127.0.0.1:8765')).toBe(false);
    expect(sameOrigin('http://127.0.0.1:8765', undefined)).toBe(false);
  });
});

describe('the token', () => {
  it('sameToken: the same string only', () => {
    expect(sameToken(TOKEN, TOKEN)).toBe(true);
    expect(sameToken('wrong', TOKEN)).toBe(false);
    expect(sameToken(TOKEN.slice(1), TOKEN)).toBe(false);
    expect(sameToken(TOKEN + 'x', TOKEN)).toBe(false);
    expect(sameToken(TOKEN.toUpperCase(), TOKEN)).toBe(false);
    for (const given of [undefined, null, 1, [TOKEN], { token: TOKEN }]) expect(sameToken(given, TOKEN)).toBe(false);
  });

  it('property: sameToken is string equality (for well-formed strings)', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'grapheme' }), (a, b) => sameToken(a, b) === (a === b)));
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (a) => sameToken(a, a)));
  });

  it('cookieValue reads one cookie, decoded; absent is undefined; a malformed escape stays raw', () => {
    expect(cookieValue('a=1; flux_token=abc%3D; b=2', 'flux_token')).toBe('abc=');
    expect(cookieValue('flux_token=a=b', 'flux_token')).toBe('a=b');
    expect(cookieValue('other=1', 'flux_token')).toBeUndefined();
    expect(cookieValue(undefined, 'flux_token')).toBeUndefined();
    expect(cookieValue('xflux_token=1', 'flux_token')).toBeUndefined();
    expect(cookieValue('flux_token=%', 'flux_token')).toBe('%');
  });

  it('property: a cookie written with encodeURIComponent reads back, among others', () => {
    const name = fc.stringMatching(/^[a-z_]{1,10}$/);
    fc.assert(
      fc.property(name, fc.string({ unit: 'grapheme', maxLength: 30 }), (n, v) => {
        // The first cookie of a name wins.
        expect(cookieValue(`x=1; ${n}=${encodeURIComponent(v)}; y=2`, n)).toBe(n === 'x' ? '1' : v);
      }),
    );
  });

  it('presentedToken: header X-Flux-Token, then Authorization: Bearer, then ?token=, then the cookie', () => {
    const all: GuardedHeaders = { 'x-flux-token': 'h', authorization: 'Bearer b', cookie: 'flux_token=c' };
    expect(presentedToken(all, q('token=q'))).toBe('h');
    expect(presentedToken({ ...all, 'x-flux-token': undefined }, q('token=q'))).toBe('b');
    expect(presentedToken({ cookie: 'flux_token=c' }, q('token=q'))).toBe('q');
    expect(presentedToken({ cookie: 'flux_token=c' }, none)).toBe('c');
    expect(presentedToken({ authorization: 'Basic b' }, none)).toBeUndefined();
    expect(presentedToken({ authorization: 'Bearer' }, none)).toBeUndefined();
    expect(presentedToken({}, none)).toBeUndefined();
  });

  it('authorized: the token in any of the four places; a wrong one in a place that comes first refuses', () => {
    expect(authorized(TOKEN, { 'x-flux-token': TOKEN }, none)).toBe(true);
    expect(authorized(TOKEN, { authorization: `Bearer ${TOKEN}` }, none)).toBe(true);
    expect(authorized(TOKEN, {}, q(`token=${TOKEN}`))).toBe(true);
    expect(authorized(TOKEN, { cookie: `flux_token=${TOKEN}` }, none)).toBe(true);
    expect(authorized(TOKEN, {}, none)).toBe(false);
    expect(authorized(TOKEN, { 'x-flux-token': 'wrong', cookie: `flux_token=${TOKEN}` }, q(`token=${TOKEN}`))).toBe(false);
    // Node joins repeated headers; an array is never taken for the token.
    expect(authorized(TOKEN, { 'x-flux-token': [TOKEN, TOKEN] }, none)).toBe(false);
    expect(authorized(null, {}, none)).toBe(true);
  });

  it('property: any other string in any place is refused; the token in any place is taken', () => {
    const places = (given: string): [GuardedHeaders, URLSearchParams][] => [
      [{ 'x-flux-token': given }, none],
      [{ authorization: `Bearer ${given}` }, none],
      [{}, q(`token=${encodeURIComponent(given)}`)],
      [{ cookie: `flux_token=${encodeURIComponent(given)}` }, none],
    ];
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), (given) => {
        for (const [headers, query] of places(given)) expect(authorized(TOKEN, headers, query)).toBe(given === TOKEN);
      }),
    );
    for (const [headers, query] of places(TOKEN)) expect(authorized(TOKEN, headers, query)).toBe(true);
  });

  it('tokenCookie: set when the page was opened with the right ?token=, HttpOnly and SameSite=Strict', () => {
    expect(tokenCookie(TOKEN, q(`token=${TOKEN}`))).toBe(`flux_token=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`);
    expect(tokenCookie(TOKEN, q('token=nope'))).toBeNull();
    expect(tokenCookie(TOKEN, none)).toBeNull();
    expect(tokenCookie(null, q(`token=${TOKEN}`))).toBeNull();
  });
});

describe('requestRefusal (every HTTP request)', () => {
  const host = { host: '127.0.0.1:8765' };

  it('400 for a target that is not a path, before anything else', () => {
    expect(requestRefusal(local, url('//a:b/ws'), {})).toEqual({ status: 400, error: 'the request target is not a path' });
  });

  it('403 for a foreign Host on a loopback bind, naming it (at most 100 characters)', () => {
    const r = requestRefusal(bare, url('/api/circuit'), { host: 'evil.example:8765' });
    expect(r?.status).toBe(403);
    expect(r?.error).toBe('unexpected Host "evil.example:8765": the dashboard answers on 127.0.0.1 only');
    expect(requestRefusal(bare, url('/'), { host: 'x'.repeat(500) })?.error).toContain(`"${'x'.repeat(100)}"`);
    expect(requestRefusal(bare, url('/'), {})?.error).toContain('unexpected Host "undefined"');
    // The Host check comes before the token: a rebinding page learns nothing about the token.
    expect(requestRefusal(local, url(`/?token=${TOKEN}`), { host: 'evil.example' })?.status).toBe(403);
  });

  it('401 without the token, on loopback by default and elsewhere', () => {
    expect(requestRefusal(local, url('/'), host)?.status).toBe(401);
    expect(requestRefusal(open, url('/api/circuit'), { host: 'robot.lan:8765' })?.status).toBe(401);
    expect(requestRefusal(open, url('/app/main.js'), { 'x-flux-token': 'wrong' })?.status).toBe(401);
    // A malformed cookie escape is a wrong token (401), not a server error.
    expect(requestRefusal(local, url('/'), { ...host, cookie: 'flux_token=%' })?.status).toBe(401);
  });

  it('passes with the token, and without one when the bind serves without', () => {
    expect(requestRefusal(local, url(`/?token=${TOKEN}`), host)).toBeNull();
    expect(requestRefusal(open, url('/api/circuit'), { host: 'robot.lan', 'x-flux-token': TOKEN })).toBeNull();
    expect(requestRefusal(bare, url('/api/circuit'), host)).toBeNull();
  });
});

describe('writeRefusal (edit, undo, save, insert, extensions)', () => {
  const write = (o: Partial<WriteRequest> = {}): WriteRequest => ({
    origin: undefined,
    host: '127.0.0.1:8765',
    contentLength: '20',
    transferEncoding: undefined,
    isJson: () => true,
    ...o,
  });

  it('passes a same-origin JSON body within the bound', () => {
    expect(writeRefusal(write(), 64 * 1024)).toBeNull();
    expect(writeRefusal(write({ origin: 'http://127.0.0.1:8765' }), 64 * 1024)).toBeNull();
    expect(writeRefusal(write({ contentLength: String(64 * 1024) }), 64 * 1024)).toBeNull();
  });

  it('403 cross-origin, first', () => {
    expect(writeRefusal(write({ origin: 'http://evil.example', contentLength: '999999', isJson: () => false }), 1024)).toEqual({
      status: 403,
      error: 'cross-origin request refused',
    });
  });

  it("413 over the bound, by Content-Length (a chunked body meets the parser's own limit)", () => {
    const over = writeRefusal(write({ contentLength: String(64 * 1024 + 1) }), 64 * 1024);
    expect(over).toEqual({ status: 413, error: 'request body over 65536 bytes' });
    expect(writeRefusal(write({ contentLength: '99999999999999999999' }), 64 * 1024)?.status).toBe(413);
    expect(writeRefusal(write({ contentLength: undefined, transferEncoding: 'chunked' }), 64 * 1024)).toBeNull();
  });

  it('415 for a body that is not JSON (a form post has no preflight); a request with no body is not asked', () => {
    const form = writeRefusal(write({ isJson: () => false }), 1024);
    expect(form).toEqual({ status: 415, error: 'send JSON (Content-Type: application/json)' });
    expect(writeRefusal(write({ contentLength: undefined, transferEncoding: 'chunked', isJson: () => false }), 1024)?.status).toBe(415);
    const unasked = () => {
      throw new Error('isJson read without a body');
    };
    expect(writeRefusal(write({ contentLength: undefined, isJson: unasked }), 1024)).toBeNull();
    expect(writeRefusal(write({ contentLength: '0', isJson: unasked }), 1024)).toBeNull();
    // Content-Length that is not a number counts as no body (Node refuses such requests before us anyway).
    expect(writeRefusal(write({ contentLength: '-1', isJson: unasked }), 1024)).toBeNull();
    expect(writeRefusal(write({ contentLength: 'abc', isJson: unasked }), 1024)).toBeNull();
  });
});

describe('EditBucket (edits per second)', () => {
  it('takes a burst of perSecond at once, then refuses until it refills', () => {
    const b = new EditBucket(20, 0);
    const taken = Array.from({ length: 40 }, () => b.take(0)).filter(Boolean).length;
    expect(taken).toBe(20);
    expect(b.take(0)).toBe(false);
    // 50 ms at 20/s is one edit.
    expect(b.take(50)).toBe(true);
    expect(b.take(50)).toBe(false);
  });

  it('refills continuously, to a full burst after a second and never beyond', () => {
    const b = new EditBucket(20, 0);
    for (let i = 0; i < 20; i++) b.take(0);
    let n = 0;
    while (b.take(500)) n++;
    expect(n).toBe(10);
    n = 0;
    while (b.take(60_000)) n++;
    expect(n).toBe(20);
  });

  it('property: over any schedule, edits taken never exceed the burst plus the refill', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 200 }), (rate, gaps) => {
        const b = new EditBucket(rate, 0);
        let now = 0;
        let taken = 0;
        for (const gap of gaps) {
          now += gap;
          if (b.take(now)) taken++;
        }
        expect(taken).toBeLessThanOrEqual(rate + (now / 1000) * rate + 1e-9);
      }),
    );
  });
});

describe('upgradeRefusal (the WebSocket)', () => {
  const host = { host: '127.0.0.1:8765' };
  const ok = url(`/ws?token=${TOKEN}`);

  it('opens for /ws with the token in the query, the right Host and Origin, and room', () => {
    expect(upgradeRefusal(local, ok, host, 0, 16)).toBeNull();
    expect(upgradeRefusal(local, ok, { ...host, origin: 'http://127.0.0.1:8765' }, 15, 16)).toBeNull();
    expect(upgradeRefusal(bare, url('/ws'), host, 0, 16)).toBeNull();
    expect(upgradeRefusal(open, ok, { host: 'robot.lan:8765' }, 0, 16)).toBeNull();
  });

  it('refuses, in order: 400 not a path, 404 not /ws, 403 Host or Origin, 401 token, 503 full', () => {
    for (const t of ['//', '//a:b/ws', 'http://[/ws', '/\\', '//evil.example/ws', 'http://x/ws', '*'])
      expect(upgradeRefusal(local, url(t), host, 0, 16), t).toEqual({ code: 400, text: 'Bad Request' });
    expect(upgradeRefusal(local, url(`/api/status?token=${TOKEN}`), host, 0, 16)).toEqual({ code: 404, text: 'Not Found' });
    expect(upgradeRefusal(bare, url('/ws'), { host: 'evil.example:8765' }, 0, 16)).toEqual({ code: 403, text: 'Forbidden' });
    expect(upgradeRefusal(bare, url('/ws'), { ...host, origin: 'http://evil.example' }, 0, 16)).toEqual({ code: 403, text: 'Forbidden' });
    expect(upgradeRefusal(local, url('/ws'), host, 0, 16)).toEqual({ code: 401, text: 'Unauthorized' });
    expect(upgradeRefusal(local, url('/ws?token=nope'), host, 0, 16)?.code).toBe(401);
    expect(upgradeRefusal(local, url('/ws?token=%'), host, 0, 16)?.code).toBe(401);
    expect(upgradeRefusal(local, ok, host, 16, 16)).toEqual({ code: 503, text: 'Service Unavailable' });
  });

  it('takes the token from the query only: a header or the cookie would ride along with cross-site attempts', () => {
    expect(upgradeRefusal(local, url('/ws'), { ...host, cookie: `flux_token=${TOKEN}` }, 0, 16)?.code).toBe(401);
    expect(upgradeRefusal(local, url('/ws'), { ...host, 'x-flux-token': TOKEN }, 0, 16)?.code).toBe(401);
    expect(upgradeRefusal(local, url('/ws'), { ...host, authorization: `Bearer ${TOKEN}` }, 0, 16)?.code).toBe(401);
  });
});
