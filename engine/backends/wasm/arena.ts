// Typed arrays that live in one WebAssembly memory, so kernels and JavaScript share them without
// copies. Views made before the memory grew do not cover the new pages, so each allocation
// registers how to re-attach its view (a setter) and grow() calls them all. Blocks released by live
// edits go to a free list and are reused first-fit (hand-written: no allocator for a caller-owned
// WebAssembly memory exists on npm that fits in less code than this).

import { SHARED_MEMORY, type WiringMemory } from '../../compile/phases.js';

type AnyArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** A typed-array constructor over (part of) the arena's memory. */
interface ArrayCtor<T extends AnyArray> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  BYTES_PER_ELEMENT: number;
}

interface Binding {
  offset: number;
  bytes: number;
  /** Makes the view again over the memory's current buffer and hands it to the owner. */
  rebind: (buffer: ArrayBufferLike) => void;
}

/**
 * Wiring straight into an arena (engine/compile/phases.ts): the plan's synapse arrays are allocated
 * here, the wiring workers write them through the shared memory, and the backend adopts them.
 */
export function wiringMemoryIn(arena: WasmArena): WiringMemory {
  return {
    result: (ctor, length) => arena.allocUnowned(ctor, length),
    scratch: SHARED_MEMORY.scratch,
    release: (view) => arena.release(view),
  };
}

interface Block {
  offset: number;
  bytes: number;
}

const PAGE = 65536;

export class WasmArena {
  readonly memory: WebAssembly.Memory;
  private top: number;
  private bindings: Binding[] = [];
  /** Counts the times memory grew: every view made before was made again (callers caching views compare it). */
  generation = 0;
  private free: Block[] = [];
  /** Arrays from allocUnowned not adopted yet. */
  private readonly unowned = new WeakSet<AnyArray>();

  constructor(initialBytes = 16 * PAGE) {
    // Shared so that worker threads run kernels on the same state (kernels.wasm imports a shared
    // memory of at most 65536 pages; the maximum is address space reserved, not memory used).
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(initialBytes / PAGE) + 1, maximum: 65536, shared: true });
    // The first page is left to the kernel module's own data.
    this.top = PAGE;
  }

  /** Allocates a view, copies `init` into it, and re-binds it through `set` whenever memory grows. */
  alloc<T extends AnyArray>(ctor: ArrayCtor<T>, length: number, set: (view: T) => void, init?: ArrayLike<number>): T {
    const bytes = align16(Math.max(1, length) * ctor.BYTES_PER_ELEMENT);
    let offset: number;
    const fit = this.free.findIndex((b) => b.bytes >= bytes);
    if (fit >= 0) {
      const block = this.free[fit];
      offset = block.offset;
      if (block.bytes === bytes) this.free.splice(fit, 1);
      else this.free[fit] = { offset: block.offset + bytes, bytes: block.bytes - bytes };
      new Uint8Array(this.memory.buffer, offset, bytes).fill(0);
    } else {
      // 16-byte alignment keeps f64x2 loads aligned.
      offset = align16(this.top);
      const end = offset + bytes;
      if (end > this.memory.buffer.byteLength) this.grow(end);
      this.top = end;
    }
    this.bindings.push({ offset, bytes, rebind: (buffer) => set(new ctor(buffer, offset, length)) });
    const view = new ctor(this.memory.buffer, offset, length);
    if (init) view.set(init);
    set(view);
    return view;
  }

  /** Allocates a block whose owner comes later (a wiring plan's result): adopt() hands it over. */
  allocUnowned<T extends AnyArray>(ctor: ArrayCtor<T>, length: number): T {
    const view = this.alloc(ctor, length, () => undefined);
    this.unowned.add(view);
    return view;
  }

  /**
   * Makes `set` the owner of an array from allocUnowned (re-bound through it when memory grows) and
   * hands it the current view; false for an array that is not one (the caller copies it in).
   */
  adopt<T extends AnyArray>(view: T, set: (view: T) => void): boolean {
    if (!this.unowned.has(view)) return false;
    const b = this.bindings.find((x) => x.offset === view.byteOffset);
    if (!b) return false;
    this.unowned.delete(view);
    const ctor = view.constructor as ArrayCtor<T>;
    const length = view.length;
    b.rebind = (buffer) => set(new ctor(buffer, b.offset, length));
    b.rebind(this.memory.buffer);
    return true;
  }

  /** Returns a view's block for reuse; the view must no longer be used. */
  release(view: AnyArray): void {
    const i = this.bindings.findIndex((b) => b.offset === view.byteOffset);
    if (i < 0) return;
    const b = this.bindings[i];
    this.bindings.splice(i, 1);
    this.free.push({ offset: b.offset, bytes: b.bytes });
  }

  private grow(needed: number): void {
    const have = this.memory.buffer.byteLength;
    // Grow by at least half again so a run of allocations does not re-bind every time.
    if (needed > MAX_BYTES)
      throw new Error(
        `the network needs ${(needed / 2 ** 30).toFixed(2)} GiB of WebAssembly memory, more than its 4 GiB address space: use kernels: "js" (flux simulate --kernels js) or the webgpu backend`,
      );
    const want = Math.min(MAX_BYTES, Math.max(needed, Math.floor(have * 1.5)));
    this.memory.grow(Math.ceil((want - have) / PAGE));
    const buffer = this.memory.buffer;
    for (const b of this.bindings) b.rebind(buffer);
    this.generation++;
  }
}

/** WebAssembly memory32 ends at 4 GiB (65536 pages). */
const MAX_BYTES = 65536 * PAGE;

/** Rounds up to a multiple of 16 in float arithmetic: offsets pass 2^31, where `& ~15` turns negative. */
function align16(x: number): number {
  return Math.ceil(x / 16) * 16;
}
