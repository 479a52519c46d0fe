// A WebAssembly export called with an argument list fixed when it was made. `f(...list)` is a spread
// call: V8 copies the list on every call and goes through its generic JavaScript-to-WebAssembly
// wrapper (on COBA 4000, a fifth of the run's garbage collection came from these calls). A function
// with the arguments written out lets V8 use the wrapper compiled for the signature and allocates
// nothing per call. The function text depends only on the count of arguments: one is compiled per
// count and reused.

type Kernel = (...args: number[]) => number;
type Maker = (f: Kernel, args: readonly number[]) => (last?: number) => number;

const makers = new Map<string, Maker>();

function maker(count: number, withLast: boolean): Maker {
  const key = `${count}:${withLast}`;
  let m = makers.get(key);
  if (!m) {
    const names = Array.from({ length: count }, (_, k) => `a${k}`);
    const locals = names.map((n, k) => `${n} = args[${k}]`).join(', ');
    const call = withLast ? [...names, 'last'].join(', ') : names.join(', ');
    const body = `${count ? `const ${locals};\n` : ''}return (last) => f(${call});`;
    m = new Function('f', 'args', body) as Maker;
    makers.set(key, m);
  }
  return m;
}

/** () => f(...args), with args copied now. */
export function boundCall(f: Kernel, args: readonly number[]): () => number {
  if (!args.every((x) => typeof x === 'number')) throw new Error('internal: a kernel argument is not a number');
  return maker(args.length, false)(f, args) as () => number;
}

/** (last) => f(...args, last), with args copied now. */
export function boundCallWithLast(f: Kernel, args: readonly number[]): (last: number) => number {
  if (!args.every((x) => typeof x === 'number')) throw new Error('internal: a kernel argument is not a number');
  return maker(args.length, true)(f, args) as (last: number) => number;
}

type Reader = (f: Kernel, list: ArrayLike<number>, at: number) => number;
const readers: Reader[] = [];

/**
 * (f, list, at) => f(list[at], ..., list[at + count - 1]): a call with exactly `count` arguments read
 * from a list (the kernel thread's command buffer), compiled once per count.
 */
export function callReading(count: number): Reader {
  let r = readers[count];
  if (!r) {
    const args = Array.from({ length: count }, (_, k) => `list[at + ${k}]`).join(', ');
    r = readers[count] = new Function('f', 'list', 'at', `return f(${args});`) as Reader;
  }
  return r;
}

type Lead = (a: number, b: number, c: number, d: number, list: ArrayLike<number>) => number;
type LeadMaker = (f: Kernel, args: readonly number[]) => Lead;
const leadMakers = new Map<string, LeadMaker>();

/**
 * (a, b, c, d, list) => f(a, b, c, d, list[0], ..., list[listed - 1], ...args), with args copied now:
 * four arguments that change per call, a short list that changes per step (modulator levels), then the
 * fixed ones.
 */
export function boundCallAfter(f: Kernel, args: readonly number[], listed: number): Lead {
  if (!args.every((x) => typeof x === 'number')) throw new Error('internal: a kernel argument is not a number');
  const key = `${args.length}:${listed}`;
  let m = leadMakers.get(key);
  if (!m) {
    const names = Array.from({ length: args.length }, (_, k) => `a${k}`);
    const fromList = Array.from({ length: listed }, (_, k) => `list[${k}]`);
    const locals = names.map((n, k) => `${n} = args[${k}]`).join(', ');
    const body = `${names.length ? `const ${locals};\n` : ''}return (a, b, c, d, list) => f(${['a', 'b', 'c', 'd', ...fromList, ...names].join(', ')});`;
    m = new Function('f', 'args', body) as LeadMaker;
    leadMakers.set(key, m);
  }
  return m(f, args);
}
