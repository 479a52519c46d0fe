// Typed arrays that live in one WebAssembly memory, so kernels and JavaScript share them without
// copies. Memory growth detaches every view, so each allocation registers how to re-attach its view
// (a setter) and grow() calls them all. Freed blocks are not reused: live edits that remove elements
// leave their bytes behind until the backend is rebuilt (they are small next to the synapses).

type ArrayCtor = Float64ArrayConstructor | Float32ArrayConstructor | Int32ArrayConstructor | Uint32ArrayConstructor | Uint16ArrayConstructor | Uint8ArrayConstructor;
type AnyArray = Float64Array | Float32Array | Int32Array | Uint32Array | Uint16Array | Uint8Array;

interface Binding {
  ctor: ArrayCtor;
  offset: number;
  length: number;
  set: (view: never) => void;
  live: boolean;
}

const PAGE = 65536;

export class WasmArena {
  readonly memory: WebAssembly.Memory;
  private top: number;
  private readonly bindings: Binding[] = [];

  constructor(initialBytes = 16 * PAGE) {
    // Shared so that worker threads run kernels on the same state (kernels.wasm imports a shared
    // memory of at most 65536 pages; the maximum is address space reserved, not memory used).
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(initialBytes / PAGE) + 1, maximum: 65536, shared: true });
    // The first page is left to the kernel module's own data.
    this.top = PAGE;
  }

  get bytesUsed(): number {
    return this.top - PAGE;
  }

  /** Allocates a view, copies `init` into it, and re-binds it through `set` whenever memory grows. */
  alloc<T extends AnyArray>(ctor: { new (b: ArrayBuffer, o: number, l: number): T; BYTES_PER_ELEMENT: number }, length: number, set: (view: T) => void, init?: ArrayLike<number>): T {
    const offset = (this.top + 7) & ~7;
    const end = offset + Math.max(1, length) * ctor.BYTES_PER_ELEMENT;
    if (end > this.memory.buffer.byteLength) this.grow(end);
    this.top = end;
    const binding: Binding = { ctor: ctor as unknown as ArrayCtor, offset, length, set: set as (v: never) => void, live: true };
    this.bindings.push(binding);
    const view = new ctor(this.memory.buffer as unknown as ArrayBuffer, offset, length);
    if (init) view.set(init as ArrayLike<number> & T);
    set(view);
    return view;
  }

  /** Stops re-binding views whose owner was removed (their bytes stay allocated). */
  release(view: AnyArray): void {
    for (const b of this.bindings) if (b.live && b.offset === view.byteOffset) b.live = false;
  }

  private grow(needed: number): void {
    const have = this.memory.buffer.byteLength;
    // Grow by at least half again so a run of allocations does not re-bind every time.
    const want = Math.max(needed, Math.floor(have * 1.5));
    this.memory.grow(Math.ceil((want - have) / PAGE));
    const buffer = this.memory.buffer as unknown as ArrayBuffer;
    for (const b of this.bindings) if (b.live) b.set(new b.ctor(buffer, b.offset, b.length) as never);
  }
}
