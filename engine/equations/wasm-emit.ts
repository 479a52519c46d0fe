// A small WebAssembly binary writer: enough of the format (LEB128, the type, import, function, export
// and code sections, scalar and f64x2 SIMD instructions) for the code generators to emit a module in
// process, with no toolchain at run time. Written here rather than taken from npm: binaryen is 12 MB
// of compiler for what is, for straight-line numeric kernels, a few hundred bytes of encoding rules.

/** Value types (binary encoding). */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const F32 = 0x7d;
export const F64 = 0x7c;
export const V128 = 0x7b;
export type ValType = typeof I32 | typeof I64 | typeof F32 | typeof F64 | typeof V128;

/** A block with no result. */
export const VOID = 0x40;

/** One-byte opcodes (the WebAssembly core specification, section 5.4). */
export const Op = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  br_if: 0x0d,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  local_get: 0x20,
  local_set: 0x21,
  local_tee: 0x22,
  global_get: 0x23,
  i32_load: 0x28,
  i64_load: 0x29,
  f32_load: 0x2a,
  f64_load: 0x2b,
  i32_load8_u: 0x2d,
  i32_load16_u: 0x2f,
  i32_store: 0x36,
  i64_store: 0x37,
  f32_store: 0x38,
  f64_store: 0x39,
  i32_store8: 0x3a,
  i32_store16: 0x3b,
  i32_const: 0x41,
  i64_const: 0x42,
  f64_const: 0x44,
  i32_eqz: 0x45,
  i32_eq: 0x46,
  i32_ne: 0x47,
  i32_lt_s: 0x48,
  i32_lt_u: 0x49,
  i32_gt_s: 0x4a,
  i32_gt_u: 0x4b,
  i32_le_s: 0x4c,
  i32_le_u: 0x4d,
  i32_ge_s: 0x4e,
  i32_ge_u: 0x4f,
  f64_eq: 0x61,
  f64_ne: 0x62,
  f64_lt: 0x63,
  f64_gt: 0x64,
  f64_le: 0x65,
  f64_ge: 0x66,
  i32_add: 0x6a,
  i32_sub: 0x6b,
  i32_mul: 0x6c,
  i32_rem_u: 0x70,
  i32_and: 0x71,
  i32_or: 0x72,
  i32_xor: 0x73,
  i32_shl: 0x74,
  i32_shr_s: 0x75,
  i32_shr_u: 0x76,
  i32_rotl: 0x77,
  i64_add: 0x7c,
  i64_sub: 0x7d,
  i64_and: 0x83,
  i64_or: 0x84,
  i64_shl: 0x86,
  i64_shr_s: 0x87,
  i64_shr_u: 0x88,
  f64_abs: 0x99,
  f64_neg: 0x9a,
  f64_ceil: 0x9b,
  f64_floor: 0x9c,
  f64_trunc: 0x9d,
  f64_sqrt: 0x9f,
  f64_add: 0xa0,
  f64_sub: 0xa1,
  f64_mul: 0xa2,
  f64_div: 0xa3,
  f64_min: 0xa4,
  f64_max: 0xa5,
  i32_wrap_i64: 0xa7,
  i32_trunc_f64_s: 0xaa,
  i64_extend_i32_s: 0xac,
  i64_extend_i32_u: 0xad,
  f32_demote_f64: 0xb6,
  f64_convert_i32_s: 0xb7,
  f64_convert_i32_u: 0xb8,
  f64_promote_f32: 0xbb,
  i64_reinterpret_f64: 0xbd,
  f64_reinterpret_i64: 0xbf,
} as const;

/** 0xFC-prefixed (saturating truncation) opcodes. */
export const OpFC = { i32_trunc_sat_f64_s: 0x02, i64_trunc_sat_f64_s: 0x06 } as const;

/** 0xFD-prefixed SIMD opcodes (the fixed-width SIMD proposal, merged in WebAssembly 2.0). */
export const Simd = {
  v128_load: 0x00,
  v128_store: 0x0b,
  v128_const: 0x0c,
  i32x4_splat: 0x11,
  i64x2_splat: 0x12,
  f64x2_splat: 0x14,
  i32x4_extract_lane: 0x1b,
  i64x2_extract_lane: 0x1d,
  f64x2_extract_lane: 0x21,
  f64x2_replace_lane: 0x22,
  i32x4_gt_s: 0x3b,
  f64x2_eq: 0x47,
  f64x2_ne: 0x48,
  f64x2_lt: 0x49,
  f64x2_gt: 0x4a,
  f64x2_le: 0x4b,
  f64x2_ge: 0x4c,
  v128_not: 0x4d,
  v128_and: 0x4e,
  v128_andnot: 0x4f,
  v128_or: 0x50,
  v128_xor: 0x51,
  v128_bitselect: 0x52,
  v128_any_true: 0x53,
  v128_load64_zero: 0x5d,
  f64x2_ceil: 0x74,
  f64x2_floor: 0x75,
  f64x2_trunc: 0x7a,
  i32x4_shl: 0xab,
  i32x4_shr_s: 0xac,
  i32x4_add: 0xae,
  i32x4_sub: 0xb1,
  i64x2_all_true: 0xc3,
  i64x2_extend_low_i32x4_s: 0xc7,
  i64x2_shl: 0xcb,
  i64x2_add: 0xce,
  i64x2_sub: 0xd1,
  i64x2_eq: 0xd6,
  f64x2_abs: 0xec,
  f64x2_neg: 0xed,
  f64x2_sqrt: 0xef,
  f64x2_add: 0xf0,
  f64x2_sub: 0xf1,
  f64x2_mul: 0xf2,
  f64x2_div: 0xf3,
  f64x2_min: 0xf4,
  f64x2_max: 0xf5,
  i32x4_trunc_sat_f64x2_s_zero: 0xfc,
} as const;

/** Appends bytes; every section and function body is one of these. */
export class ByteWriter {
  readonly bytes: number[] = [];

  byte(b: number): this {
    this.bytes.push(b & 0xff);
    return this;
  }

  raw(bs: ArrayLike<number>): this {
    for (let i = 0; i < bs.length; i++) this.bytes.push(bs[i] & 0xff);
    return this;
  }

  /** Unsigned LEB128 of a non-negative integer below 2^32. */
  u32(v: number): this {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`u32 out of range: ${v}`);
    this.raw(unsignedLeb(v));
    return this;
  }

  /** Signed LEB128 of an integer in the i32 range (or any safe integer for i64 immediates). */
  sleb(v: number | bigint): this {
    this.raw(signedLeb(BigInt(v)));
    return this;
  }

  f64(v: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, v, true);
    return this.raw(b);
  }

  /** A UTF-8 name with its length. */
  name(s: string): this {
    const b = new TextEncoder().encode(s);
    return this.u32(b.length).raw(b);
  }

  /** A length-prefixed vector of what `each` writes. */
  vec<T>(items: readonly T[], each: (w: this, item: T) => void): this {
    this.u32(items.length);
    for (const it of items) each(this, it);
    return this;
  }
}

export function unsignedLeb(v: number): number[] {
  const out: number[] = [];
  let x = v;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x !== 0) b |= 0x80;
    out.push(b);
  } while (x !== 0);
  return out;
}

export function signedLeb(v: bigint): number[] {
  const out: number[] = [];
  let x = v;
  for (;;) {
    const b = Number(x & 0x7fn);
    x >>= 7n;
    const done = (x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

/** Natural alignment of an access, as log2 of its bytes. */
const ALIGN: Partial<Record<number, number>> = {
  [Op.i32_load]: 2,
  [Op.i64_load]: 3,
  [Op.f32_load]: 2,
  [Op.f64_load]: 3,
  [Op.i32_load8_u]: 0,
  [Op.i32_load16_u]: 1,
  [Op.i32_store]: 2,
  [Op.i64_store]: 3,
  [Op.f32_store]: 2,
  [Op.f64_store]: 3,
  [Op.i32_store8]: 0,
  [Op.i32_store16]: 1,
};

/**
 * A function's code: parameters are locals 0..k-1, further locals are declared with `local()`.
 * Methods append one instruction each and return `this`, so code reads in stack order.
 */
export class FunctionBody extends ByteWriter {
  private readonly extra: ValType[] = [];

  constructor(readonly params: readonly ValType[]) {
    super();
  }

  /** Declares a local of this type and returns its index. */
  local(type: ValType): number {
    this.extra.push(type);
    return this.params.length + this.extra.length - 1;
  }

  op(code: number): this {
    return this.byte(code);
  }

  get(i: number): this {
    return this.byte(Op.local_get).u32(i);
  }

  set(i: number): this {
    return this.byte(Op.local_set).u32(i);
  }

  tee(i: number): this {
    return this.byte(Op.local_tee).u32(i);
  }

  global(i: number): this {
    return this.byte(Op.global_get).u32(i);
  }

  i32(v: number): this {
    return this.byte(Op.i32_const).sleb(v | 0);
  }

  i64(v: number | bigint): this {
    return this.byte(Op.i64_const).sleb(v);
  }

  const64(v: number): this {
    return this.byte(Op.f64_const).f64(v);
  }

  /** A memory access (load or store opcode) at a constant offset, naturally aligned. */
  mem(code: number, offset = 0): this {
    const align = ALIGN[code];
    if (align === undefined) throw new Error(`not a memory access opcode: ${code}`);
    return this.byte(code).u32(align).u32(offset);
  }

  block(type: ValType | typeof VOID = VOID): this {
    return this.byte(Op.block).byte(type);
  }

  loop(type: ValType | typeof VOID = VOID): this {
    return this.byte(Op.loop).byte(type);
  }

  if(type: ValType | typeof VOID = VOID): this {
    return this.byte(Op.if).byte(type);
  }

  else(): this {
    return this.byte(Op.else);
  }

  end(): this {
    return this.byte(Op.end);
  }

  br(depth: number): this {
    return this.byte(Op.br).u32(depth);
  }

  brIf(depth: number): this {
    return this.byte(Op.br_if).u32(depth);
  }

  call(fn: number): this {
    return this.byte(Op.call).u32(fn);
  }

  fc(code: number): this {
    return this.byte(0xfc).u32(code);
  }

  simd(code: number): this {
    return this.byte(0xfd).u32(code);
  }

  /** A SIMD lane instruction (extract_lane, replace_lane). */
  lane(code: number, lane: number): this {
    return this.simd(code).byte(lane);
  }

  /** v128.load / v128.store / v128.load64_zero; `align` is log2 of the alignment promised (default 8 bytes). */
  vmem(code: number, offset = 0, align = 3): this {
    return this.simd(code).u32(align).u32(offset);
  }

  /** v128.const of two f64 lanes. */
  vconst(a: number, b = a): this {
    return this.simd(Simd.v128_const).f64(a).f64(b);
  }

  /** i8x16.shuffle: the 16 byte indices into the two v128 operands (0-15 the first, 16-31 the second). */
  shuffle(lanes: readonly number[]): this {
    if (lanes.length !== 16) throw new Error('internal: i8x16.shuffle takes 16 lane indices');
    return this.simd(0x0d).raw(lanes);
  }

  /** The locals declaration and the code, as the code section holds them. */
  encode(): number[] {
    const w = new ByteWriter();
    const groups: [number, ValType][] = [];
    for (const t of this.extra) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    w.vec(groups, (x, [n, t]) => x.u32(n).byte(t));
    w.raw(this.bytes).byte(Op.end);
    return w.bytes;
  }
}

export interface FuncType {
  params: readonly ValType[];
  results: readonly ValType[];
}

export type Import =
  | { module: string; name: string; kind: 'func'; type: FuncType }
  | { module: string; name: string; kind: 'memory'; min: number; max?: number; shared?: boolean }
  | { module: string; name: string; kind: 'global'; type: ValType };

export interface ModuleFunction {
  type: FuncType;
  body: FunctionBody;
  /** Exported under this name when given. */
  export?: string;
}

const SECTION = { type: 1, import: 2, function: 3, export: 7, code: 10 } as const;

const typeKey = (t: FuncType): string => `${t.params.join(',')}:${t.results.join(',')}`;

/**
 * The bytes of a module. Function indices: the imported functions in order, then `functions` in order
 * (what `call` takes); global indices: the imported globals in order.
 */
export function encodeModule(imports: readonly Import[], functions: readonly ModuleFunction[]): Uint8Array<ArrayBuffer> {
  const types: FuncType[] = [];
  const typeIndex = (t: FuncType): number => {
    const k = typeKey(t);
    const i = types.findIndex((x) => typeKey(x) === k);
    return i >= 0 ? i : types.push(t) - 1;
  };
  for (const im of imports) if (im.kind === 'func') typeIndex(im.type);
  for (const f of functions) typeIndex(f.type);
  const imported = imports.filter((im) => im.kind === 'func').length;
  const out = new ByteWriter().raw([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, w: ByteWriter) => out.byte(id).u32(w.bytes.length).raw(w.bytes);
  section(
    SECTION.type,
    new ByteWriter().vec(types, (w, t) => {
      w.byte(0x60);
      w.vec(t.params, (x, p) => x.byte(p));
      w.vec(t.results, (x, r) => x.byte(r));
    }),
  );
  if (imports.length)
    section(
      SECTION.import,
      new ByteWriter().vec(imports, (w, im) => writeImport(w, im, typeIndex)),
    );
  section(
    SECTION.function,
    new ByteWriter().vec(functions, (w, f) => w.u32(typeIndex(f.type))),
  );
  const exports = functions.map((f, i) => ({ name: f.export, index: imported + i })).filter((e) => e.name !== undefined);
  section(
    SECTION.export,
    new ByteWriter().vec(exports, (w, e) => w.name(e.name!).byte(0x00).u32(e.index)),
  );
  section(
    SECTION.code,
    new ByteWriter().vec(functions, (w, f) => {
      const code = f.body.encode();
      w.u32(code.length).raw(code);
    }),
  );
  return Uint8Array.from(out.bytes);
}

function writeImport(w: ByteWriter, im: Import, typeIndex: (t: FuncType) => number): void {
  w.name(im.module).name(im.name);
  switch (im.kind) {
    case 'func':
      w.byte(0x00).u32(typeIndex(im.type));
      return;
    case 'memory': {
      const flags = (im.max === undefined ? 0 : 1) | (im.shared ? 2 : 0);
      if (im.shared && im.max === undefined) throw new Error('a shared memory needs a maximum');
      w.byte(0x02).byte(flags).u32(im.min);
      if (im.max !== undefined) w.u32(im.max);
      return;
    }
    case 'global':
      w.byte(0x03).byte(im.type).byte(0x00);
      return;
  }
}
