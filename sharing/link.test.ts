import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeShareLink,
  encodeShareLink,
  isShareLink,
  MAX_DOCUMENTS,
  MAX_INFLATED,
  pipeBounded,
  ShareLinkError,
  type SharedRun,
} from './link.js';

const segment = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join('/')}`);
const run: fc.Arbitrary<SharedRun> = fc.record(
  {
    document: path,
    arena: fc.oneof(path, fc.constantFrom('default', 'cluttered')),
    seed: fc.integer({ min: 0, max: 0xffffffff }),
    documents: fc.dictionary(path, fc.string({ unit: 'grapheme', maxLength: 200 }), { maxKeys: 6 }),
  },
  { requiredKeys: ['document', 'documents'] },
);

/** A fragment carrying `value` as it is (no check on the way in), as a forged link would. */
async function forge(value: unknown): Promise<string> {
  const stream = new Blob([JSON.stringify(value)]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  return `flux=1.${Buffer.from(bytes).toString('base64url')}`;
}

async function refusal(fragment: string): Promise<string> {
  try {
    await decodeShareLink(fragment);
  } catch (e) {
    expect(e).toBeInstanceOf(ShareLinkError);
    return (e as Error).message;
  }
  throw new Error('accepted');
}

describe('share links', () => {
  it('give back what was encoded, for any run', async () => {
    await fc.assert(
      fc.asyncProperty(run, async (r) => {
        const fragment = await encodeShareLink(r);
        expect(isShareLink(`#${fragment}`)).toBe(true);
        expect(await decodeShareLink(`#${fragment}`)).toEqual(r);
      }),
      { numRuns: 200 },
    );
  });

  it('refuse any text that is not one with a ShareLinkError, and nothing else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.string().map((s) => `flux=1.${s}`),
        ),
        async (text) => {
          await decodeShareLink(text).then(
            (r) => expect(typeof r.document).toBe('string'),
            (e: unknown) => expect(e).toBeInstanceOf(ShareLinkError),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuse a valid link cut or altered anywhere with a ShareLinkError, or decode it to a checked run', async () => {
    await fc.assert(
      fc.asyncProperty(run, fc.nat(), fc.constantFrom('cut', 'flip'), async (r, at, how) => {
        const good = await encodeShareLink(r);
        const i = 7 + (at % (good.length - 7));
        const c = good[i] === 'A' ? 'B' : 'A';
        const bad = how === 'cut' ? good.slice(0, i) : good.slice(0, i) + c + good.slice(i + 1);
        await decodeShareLink(bad).then(
          (back) => expect(typeof back.document).toBe('string'),
          (e: unknown) => expect(e).toBeInstanceOf(ShareLinkError),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('refuse data that inflates beyond the limit before holding it all (a deflate bomb)', async () => {
    const bomb = await forge({ document: '/b.yaml', arena: 'default', documents: { '/x': 'a'.repeat(MAX_INFLATED + 10) } });
    expect(bomb.length).toBeLessThan(20_000);
    expect(await refusal(bomb)).toContain(`inflates to more than ${MAX_INFLATED} bytes`);
  });

  it('refuse paths outside the page, wrong types, unknown fields and too many documents, naming the field', async () => {
    const base = { document: '/flux/b.yaml', arena: 'default', documents: {} };
    expect(await refusal(await forge({ ...base, document: '/flux/../etc/passwd' }))).toContain('document: expected an absolute path');
    expect(await refusal(await forge({ ...base, document: 'b.yaml' }))).toContain('document: expected an absolute path');
    expect(await refusal(await forge({ ...base, arena: 7 }))).toContain('arena: expected a path');
    expect(await refusal(await forge({ ...base, documents: { '/a\\b': 'x' } }))).toContain('documents["/a\\b"]');
    expect(await refusal(await forge({ ...base, documents: { '/a': 1 } }))).toContain('documents["/a"]: expected text');
    expect(await refusal(await forge({ ...base, arena: '<script>' }))).toContain('is neither a path nor an arena name');
    expect(await refusal(await forge({ ...base, seed: -1 }))).toContain('seed: expected an integer');
    expect(await refusal(await forge({ ...base, seed: 1.5 }))).toContain('seed: expected an integer');
    expect(await refusal(await forge({ ...base, extra: 1 }))).toContain('unknown field "extra"');
    expect(await refusal(await forge([base]))).toContain('expected an object');
    const many = Object.fromEntries(Array.from({ length: MAX_DOCUMENTS + 1 }, (_, i) => [`/d${i}`, '']));
    expect(await refusal(await forge({ ...base, documents: many }))).toContain(`at most ${MAX_DOCUMENTS}`);
    // JSON.parse makes "__proto__" an own property: it is a field like any other, refused by name.
    expect(await refusal(`flux=1.${Buffer.from(await deflate('{"__proto__":{"document":"/x"}}')).toString('base64url')}`)).toContain(
      'unknown field "__proto__"',
    );
    expect(await refusal('flux=1.%%%')).toContain('not base64url');
    expect(await refusal('flux=1.AAAA')).toContain('does not inflate');
    expect(await refusal('flux=2.AAAA')).toContain('expected a fragment starting "flux=1."');
  });
});

async function deflate(text: string): Promise<Uint8Array> {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('deflate-raw'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

describe('pipeBounded', () => {
  // A transform that, like Chromium's inflate, emits all the output of a written chunk at once (1000 bytes per input byte).
  const greedy = () => {
    let written = 0;
    const stream = new TransformStream<BufferSource, Uint8Array>({
      transform(chunk, out) {
        const n = chunk.byteLength;
        written += n;
        out.enqueue(new Uint8Array(n * 1000));
      },
    });
    return { stream, written: () => written };
  };

  it('stops feeding input once the output passes the limit, so a greedy inflater never holds the whole bomb', async () => {
    const g = greedy();
    const input = new Uint8Array(1_000_000);
    await expect(pipeBounded(input, g.stream, 8 * 1024 * 1024)).rejects.toThrow('inflates to more than 8388608 bytes');
    // At most a few slices beyond the ~8 KB of input whose output passes 8 MB; never the megabyte.
    expect(g.written()).toBeLessThan(16 * 1024);
  });

  it('passes everything through below the limit', async () => {
    const g = greedy();
    const out = await pipeBounded(new Uint8Array(5000), g.stream, 10_000_000);
    expect(out.length).toBe(5_000_000);
    expect(g.written()).toBe(5000);
  });
});
