// expression: an arithmetic expression over the node's input ports, e.g. "clamp(a - 0.5*b, -1, 1)".
// Parsed once by a small recursive-descent parser into an AST and evaluated by walking that tree on
// every step: no eval, no Function, no property access of any kind. The only names an expression
// can reach are the declared inputs, the constants pi and e and the functions listed in FUNCTIONS;
// anything else (constructor, process, this, __proto__, ...) is an unknown name at parse time.
import { defineExtension, scalar, type PortValue } from '../api.js';
import { Type } from '@sinclair/typebox';
import { OptionError, defaultsOf, show, withDefault, withDefaults, type OptionsOf } from './util.js';
import { FORBIDDEN_SEGMENTS } from '../names.js';

// ---------------------------------------------------------------------------------------------
// Grammar (lowest precedence first; binary operators are left-associative except ^):
//
//   expr     := or ( '?' expr ':' expr )?
//   or       := and ( '||' and )*
//   and      := equality ( '&&' equality )*
//   equality := compare ( ( '==' | '!=' ) compare )*
//   compare  := additive ( ( '<' | '<=' | '>' | '>=' ) additive )*
//   additive := term ( ( '+' | '-' ) term )*
//   term     := unary ( ( '*' | '/' | '%' ) unary )*
//   unary    := ( '-' | '+' | '!' ) unary | power
//   power    := primary ( ( '^' | '**' ) unary )?        (right-associative: 2^3^2 = 2^9; -2^2 = -4)
//   primary  := number | name | name '(' ( expr ( ',' expr )* )? ')' | '(' expr ')'
//
// Comparisons, !, && and || give 1 (true) or 0 (false); any non-zero value is true. && || and ?:
// evaluate only the operand they need.

export type Node =
  | { k: 'num'; v: number }
  | { k: 'var'; i: number; name: string }
  | { k: 'neg' | 'not'; a: Node }
  | { k: 'bin'; op: BinOp; a: Node; b: Node }
  | { k: 'and' | 'or'; a: Node; b: Node }
  | { k: 'cond'; c: Node; a: Node; b: Node }
  | { k: 'call'; f: Fn; name: string; args: Node[] };

type BinOp = '+' | '-' | '*' | '/' | '%' | '^' | '<' | '<=' | '>' | '>=' | '==' | '!=';

interface Fn {
  min: number;
  max: number;
  f: (a: number[]) => number;
}

const f1 = (f: (x: number) => number): Fn => ({ min: 1, max: 1, f: (a) => f(a[0]) });

/** The functions an expression may call (a Map: no inherited names). */
export const FUNCTIONS: ReadonlyMap<string, Fn> = new Map<string, Fn>([
  ['abs', f1(Math.abs)],
  ['min', { min: 1, max: Infinity, f: (a) => Math.min(...a) }],
  ['max', { min: 1, max: Infinity, f: (a) => Math.max(...a) }],
  ['clamp', { min: 3, max: 3, f: ([x, lo, hi]) => Math.min(Math.max(x, lo), hi) }],
  ['sqrt', f1(Math.sqrt)],
  ['exp', f1(Math.exp)],
  ['log', f1(Math.log)],
  ['sin', f1(Math.sin)],
  ['cos', f1(Math.cos)],
  ['tan', f1(Math.tan)],
  ['asin', f1(Math.asin)],
  ['acos', f1(Math.acos)],
  ['atan', f1(Math.atan)],
  ['atan2', { min: 2, max: 2, f: ([y, x]) => Math.atan2(y, x) }],
  ['floor', f1(Math.floor)],
  ['ceil', f1(Math.ceil)],
  ['round', f1(Math.round)],
  ['sign', f1(Math.sign)],
]);

/** The named constants. */
export const CONSTANTS: ReadonlyMap<string, number> = new Map([
  ['pi', Math.PI],
  ['e', Math.E],
]);

/** A parse error: the 1-based column where it was found and what was expected there. */
export class ExpressionError extends OptionError {
  constructor(
    readonly source: string,
    readonly column: number,
    readonly problem: string,
  ) {
    super(
      'expression',
      'expression',
      `at column ${column}: ${problem} (in ${JSON.stringify(source.length > 200 ? `${source.slice(0, 200)}…` : source)})`,
    );
    this.name = 'ExpressionError';
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens

type Tok =
  | { t: 'num'; v: number; pos: number; text: string }
  | { t: 'name'; v: string; pos: number; text: string }
  | { t: 'op'; v: string; pos: number; text: string }
  | { t: 'end'; pos: number; text: string };

const OPS2 = ['**', '<=', '>=', '==', '!=', '&&', '||'];
const OPS1 = '+-*/%^(),?:<>!';
const NUM = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    NUM.lastIndex = i;
    let m = NUM.exec(src);
    if (m) {
      out.push({ t: 'num', v: Number(m[0]), pos: i, text: m[0] });
      i += m[0].length;
      continue;
    }
    NAME.lastIndex = i;
    m = NAME.exec(src);
    if (m) {
      out.push({ t: 'name', v: m[0], pos: i, text: m[0] });
      i += m[0].length;
      continue;
    }
    const two = src.slice(i, i + 2);
    if (OPS2.includes(two)) {
      out.push({ t: 'op', v: two, pos: i, text: two });
      i += 2;
      continue;
    }
    if (OPS1.includes(c)) {
      out.push({ t: 'op', v: c, pos: i, text: c });
      i++;
      continue;
    }
    const hint =
      c === '='
        ? ' (compare with ==)'
        : c === '&' || c === '|'
          ? ` (logical operators are && and ||)`
          : c === '.'
            ? ' (there is no property access)'
            : '';
    throw new ExpressionError(src, i + 1, `unexpected character ${JSON.stringify(c)}${hint}`);
  }
  out.push({ t: 'end', pos: src.length, text: '' });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parser

const MAX_DEPTH = 256;
/**
 * Deepest tree evaluated. Chains of binary operators are parsed in a loop, so `1+1+...` nests without
 * recursing in the parser; evaluate() recurses once per level and overflowed the stack at ~10^5 (a
 * worker thread's stack is smaller still).
 */
const MAX_TREE_DEPTH = 512;
/** Longest source parsed: bounds the tokenizer's work for callers without the node's schema (10,000). */
const MAX_SOURCE = 100_000;

/** A parsed expression: its tree and the indices (into `variables`) of the inputs it reads. */
export interface Parsed {
  root: Node;
  uses: number[];
}

/** Parses `src` with `variables` as the only free names; throws an ExpressionError on any problem. */
export function parseExpression(src: string, variables: readonly string[]): Parsed {
  if (typeof src !== 'string') throw new OptionError('expression', 'expression', `must be a string, got ${show(src)}`);
  if (src.length > MAX_SOURCE) throw new ExpressionError(src, MAX_SOURCE + 1, `longer than ${MAX_SOURCE} characters`);
  for (const v of variables) if (FORBIDDEN_SEGMENTS.has(v)) throw new ExpressionError(src, 1, `"${v}" is not allowed as an input name`);
  return new Parser(src, tokenize(src), variables).parse();
}

/** A recursive-descent parser over the tokens of one source, one method per grammar rule. */
class Parser {
  private p = 0;
  private depth = 0;
  private readonly varIndex: Map<string, number>;
  private readonly uses = new Set<number>();
  // Chains of binary operators, parsed in a loop (see MAX_TREE_DEPTH), lowest precedence last.
  private readonly term = this.binary(() => this.unary(), ['*', '/', '%'], bin);
  private readonly additive = this.binary(this.term, ['+', '-'], bin);
  private readonly compare = this.binary(this.additive, ['<', '<=', '>', '>='], bin);
  private readonly equality = this.binary(this.compare, ['==', '!='], bin);
  private readonly and = this.binary(this.equality, ['&&'], (_op, a, b) => ({ k: 'and', a, b }));
  private readonly or = this.binary(this.and, ['||'], (_op, a, b) => ({ k: 'or', a, b }));

  constructor(
    private readonly src: string,
    private readonly toks: Tok[],
    private readonly variables: readonly string[],
  ) {
    this.varIndex = new Map(variables.map((v, i) => [v, i]));
  }

  parse(): Parsed {
    if (this.peek().t === 'end') this.fail(this.peek(), 'expected an expression, found nothing');
    const root = this.expr();
    if (this.peek().t !== 'end') this.fail(this.peek(), `expected an operator or the end of the expression, found ${found(this.peek())}`);
    if (treeDepth(root) > MAX_TREE_DEPTH)
      this.fail(this.toks[0], `nested more than ${MAX_TREE_DEPTH} operations deep; split it over several nodes`);
    return { root, uses: [...this.uses].sort((a, b) => a - b) };
  }

  private peek(): Tok {
    return this.toks[this.p];
  }

  private fail(t: Tok, problem: string): never {
    throw new ExpressionError(this.src, t.pos + 1, problem);
  }

  private expectOp(op: string, what: string): void {
    const t = this.peek();
    if (!isOp(t, op)) this.fail(t, `expected ${JSON.stringify(op)} ${what}, found ${found(t)}`);
    this.p++;
  }

  /** Enters one level of recursion (refused past MAX_DEPTH: the parser's own stack). */
  private deeper(t: Tok): void {
    if (++this.depth > MAX_DEPTH) this.fail(t, `nesting deeper than ${MAX_DEPTH} levels`);
  }

  private expr(): Node {
    this.deeper(this.peek());
    const c = this.or();
    let node = c;
    if (isOp(this.peek(), '?')) {
      this.p++;
      const a = this.expr();
      this.expectOp(':', 'after the "then" branch of ?:');
      const b = this.expr();
      node = { k: 'cond', c, a, b };
    }
    this.depth--;
    return node;
  }

  private binary(next: () => Node, ops: string[], make: (op: string, a: Node, b: Node) => Node): () => Node {
    return () => {
      let a = next();
      for (let t = this.peek(); t.t === 'op' && ops.includes(t.v); t = this.peek()) {
        this.p++;
        a = make(t.v, a, next());
      }
      return a;
    };
  }

  private unary(): Node {
    const t = this.peek();
    if (t.t === 'op' && (t.v === '-' || t.v === '+' || t.v === '!')) {
      this.p++;
      this.deeper(t);
      const a = this.unary();
      this.depth--;
      return t.v === '-' ? { k: 'neg', a } : t.v === '!' ? { k: 'not', a } : a;
    }
    return this.power();
  }

  private power(): Node {
    const base = this.primary();
    const t = this.peek();
    if (isOp(t, '^', '**')) {
      this.p++;
      this.deeper(t);
      const b = this.unary();
      this.depth--;
      return { k: 'bin', op: '^', a: base, b };
    }
    return base;
  }

  private primary(): Node {
    const t = this.peek();
    if (t.t === 'num') {
      this.p++;
      return { k: 'num', v: t.v };
    }
    if (isOp(t, '(')) {
      this.p++;
      const e = this.expr();
      this.expectOp(')', 'to close the "(" at column ' + (t.pos + 1));
      return e;
    }
    if (t.t === 'name') {
      this.p++;
      return isOp(this.peek(), '(') ? this.call(t, t.v) : this.name(t.v, t);
    }
    return this.fail(t, `expected a number, an input name, a function call or "(", found ${found(t)}`);
  }

  /** `name(args)`, the "(" next: a known function with an argument count it takes. */
  private call(at: Tok, name: string): Node {
    const fn = FUNCTIONS.get(name);
    if (!fn) return this.fail(at, `unknown function ${JSON.stringify(name)}; the functions are ${[...FUNCTIONS.keys()].join(', ')}`);
    const open = this.peek();
    this.p++;
    const args: Node[] = [];
    if (!isOp(this.peek(), ')')) {
      for (;;) {
        args.push(this.expr());
        if (isOp(this.peek(), ',')) {
          this.p++;
          continue;
        }
        if (isOp(this.peek(), ')')) break;
        this.fail(this.peek(), `expected "," or ")" after argument ${args.length} of ${name}(, found ${found(this.peek())}`);
      }
    }
    this.p++;
    if (args.length < fn.min || args.length > fn.max) {
      const want = fn.min === fn.max ? `${fn.min}` : fn.max === Infinity ? `at least ${fn.min}` : `${fn.min} to ${fn.max}`;
      this.fail(open, `${name}() takes ${want} argument${want === '1' ? '' : 's'}, got ${args.length}`);
    }
    return { k: 'call', f: fn, name, args };
  }

  /** A bare name: a constant or a declared input (a function name needs its "("). */
  private name(name: string, at: Tok): Node {
    if (FUNCTIONS.has(name)) this.fail(this.peek(), `expected "(" after the function name ${name}, found ${found(this.peek())}`);
    const c = CONSTANTS.get(name);
    if (c !== undefined) return { k: 'num', v: c };
    const i = this.varIndex.get(name);
    if (i === undefined) {
      const vars = this.variables.length ? `the inputs are ${this.variables.join(', ')}` : 'the node declares no inputs';
      return this.fail(at, `unknown name ${JSON.stringify(name)}; ${vars} (constants: ${[...CONSTANTS.keys()].join(', ')})`);
    }
    this.uses.add(i);
    return { k: 'var', i, name };
  }
}

const found = (t: Tok) => (t.t === 'end' ? 'the end of the expression' : JSON.stringify(t.text));
const isOp = (t: Tok, ...ops: string[]) => t.t === 'op' && ops.includes(t.v);
const bin = (op: string, a: Node, b: Node): Node => ({ k: 'bin', op: op as BinOp, a, b });

/** The depth of a tree, walked without recursion (the tree may be too deep to recurse into). */
function treeDepth(root: Node): number {
  let max = 0;
  const stack: [Node, number][] = [[root, 1]];
  while (stack.length) {
    const [n, d] = stack.pop()!;
    if (d > max) max = d;
    if (n.k === 'neg' || n.k === 'not') stack.push([n.a, d + 1]);
    else if (n.k === 'bin' || n.k === 'and' || n.k === 'or') stack.push([n.a, d + 1], [n.b, d + 1]);
    else if (n.k === 'cond') stack.push([n.c, d + 1], [n.a, d + 1], [n.b, d + 1]);
    else if (n.k === 'call') for (const a of n.args) stack.push([a, d + 1]);
  }
  return max;
}

const truth = (x: number) => (x !== 0 && !Number.isNaN(x) ? 1 : 0);

/** The value of a parsed tree, with `vars[i]` the value of the i-th declared input. */
export function evaluate(n: Node, vars: ArrayLike<number>): number {
  switch (n.k) {
    case 'num':
      return n.v;
    case 'var':
      return vars[n.i];
    case 'neg':
      return -evaluate(n.a, vars);
    case 'not':
      return 1 - truth(evaluate(n.a, vars));
    case 'and':
      return truth(evaluate(n.a, vars)) ? truth(evaluate(n.b, vars)) : 0;
    case 'or':
      return truth(evaluate(n.a, vars)) ? 1 : truth(evaluate(n.b, vars));
    case 'cond':
      return truth(evaluate(n.c, vars)) ? evaluate(n.a, vars) : evaluate(n.b, vars);
    case 'call':
      return n.f.f(n.args.map((a) => evaluate(a, vars)));
    case 'bin': {
      const a = evaluate(n.a, vars);
      const b = evaluate(n.b, vars);
      switch (n.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return a / b;
        case '%':
          return a % b;
        case '^':
          return a ** b;
        case '<':
          return a < b ? 1 : 0;
        case '<=':
          return a <= b ? 1 : 0;
        case '>':
          return a > b ? 1 : 0;
        case '>=':
          return a >= b ? 1 : 0;
        case '==':
          return a === b ? 1 : 0;
        case '!=':
          return a !== b ? 1 : 0;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The node

const IDENT = '^[A-Za-z_][A-Za-z0-9_]*$';

const expressionSchema = Type.Object(
  {
    expression: Type.String({
      minLength: 1,
      maxLength: 10000,
      description:
        'The expression (required), e.g. "clamp(a - 0.5*b, -1, 1)". Operators + - * / % ^ (or **), unary - + !, ' +
        'comparisons < <= > >= == != and && || (1 or 0), c ? a : b, parentheses; functions abs min max clamp sqrt ' +
        'exp log sin cos tan asin acos atan atan2 floor ceil round sign; constants pi e; names are the inputs.',
    }),
    inputs: withDefault(
      Type.Array(Type.String({ pattern: IDENT }), {
        uniqueItems: true,
        description:
          'The input port names, which are also the expression\'s variables (identifiers; not a function or constant name). Default ["x"].',
      }),
      ['x'],
    ),
  },
  { additionalProperties: false },
);

export type ExpressionOptions = OptionsOf<typeof expressionSchema>;

// The schema checks the names' form and uniqueness after validation; a create without it (a JS caller)
// still gets these checks, since the names become keys of the object a step reads.
function compile(options: ExpressionOptions): { names: string[]; parsed: Parsed } {
  const o = withDefaults(expressionSchema, options);
  const names = o.inputs;
  if (!Array.isArray(names)) throw new OptionError('expression', 'inputs', `must be a list of port names, got ${show(names)}`);
  const re = new RegExp(IDENT);
  names.forEach((n, i) => {
    if (typeof n !== 'string' || !re.test(n))
      throw new OptionError('expression', `inputs[${i}]`, `must be an identifier (letters, digits, _), got ${show(n)}`);
    // Port names become keys of the inputs object a step reads.
    if (FORBIDDEN_SEGMENTS.has(n)) throw new OptionError('expression', `inputs[${i}]`, `"${n}" is not allowed as an input name`);
    if (FUNCTIONS.has(n) || CONSTANTS.has(n))
      throw new OptionError('expression', `inputs[${i}]`, `"${n}" is a function or constant name; choose another port name`);
    if (names.indexOf(n) !== i) throw new OptionError('expression', `inputs[${i}]`, `"${n}" is declared twice`);
  });
  return { names: [...names], parsed: parseExpression(o.expression, names) };
}

export const expression = defineExtension<ExpressionOptions>({
  name: 'expression',
  kind: 'compute',
  doc:
    'Arithmetic expression over input ports, output y. The input ports are the names listed in the ' +
    '`inputs` option (default ["x"]), which are also the variables of `expression`: the static `inputs` ' +
    'below are only the default. Scalar inputs (a one-element vector counts as a scalar). The expression ' +
    'is parsed when the node is created (errors name the column and what was expected) and evaluated ' +
    'by walking its tree; never eval. Until every input the expression reads has a finite value, and ' +
    'whenever the result is not finite (e.g. 1/0, sqrt(-1)), the output holds its last value.',
  options: expressionSchema,
  defaults: defaultsOf(expressionSchema),
  inputs: { x: { type: 'scalar', doc: 'The default single input; the actual ports are the `inputs` option.' } },
  dynamicInputs: true,
  outputs: { y: { type: 'scalar', doc: 'Value of the expression.', safe: 0 } },
  create(options, ctx) {
    let c = compile(options);
    let vars = new Float64Array(c.names.length);
    let complained = false;
    return {
      step(inputs): Record<string, PortValue> {
        for (let i = 0; i < c.names.length; i++) vars[i] = Object.hasOwn(inputs, c.names[i]) ? scalar(inputs[c.names[i]]) : NaN;
        for (const i of c.parsed.uses) if (!Number.isFinite(vars[i])) return {};
        const y = evaluate(c.parsed.root, vars);
        if (!Number.isFinite(y)) {
          if (!complained) ctx.log(`expression gave ${y}; holding the last output until it is finite again`);
          complained = true;
          return {};
        }
        complained = false;
        return { y };
      },
      reconfigure(o) {
        // Parse first: a bad expression throws and leaves the running one in place.
        c = compile(o as ExpressionOptions);
        vars = new Float64Array(c.names.length);
      },
    };
  },
});
