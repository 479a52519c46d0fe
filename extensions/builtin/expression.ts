// expression: an arithmetic expression over the node's input ports, e.g. "clamp(a - 0.5*b, -1, 1)".
// Parsed once by a small recursive-descent parser into an AST and evaluated by walking that tree on
// every step: no eval, no Function, no property access of any kind. The only names an expression
// can reach are the declared inputs, the constants pi and e and the functions listed in FUNCTIONS;
// anything else (constructor, process, this, __proto__, ...) is an unknown name at parse time.
import { defineExtension, scalar, type PortValue } from '../api.js';
import { OptionError, defaultsOf, show } from './util.js';
import { FORBIDDEN_SEGMENTS } from '../../bridge/fieldpath.js';

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
    super('expression', 'expression', `at column ${column}: ${problem} (in ${JSON.stringify(source.length > 200 ? `${source.slice(0, 200)}…` : source)})`);
    this.name = 'ExpressionError';
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens

type Tok = { t: 'num'; v: number; pos: number; text: string } | { t: 'name'; v: string; pos: number; text: string } | { t: 'op'; v: string; pos: number; text: string } | { t: 'end'; pos: number; text: string };

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
    const hint = c === '=' ? ' (compare with ==)' : c === '&' || c === '|' ? ` (logical operators are && and ||)` : c === '.' ? ' (there is no property access)' : '';
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
  const toks = tokenize(src);
  const varIndex = new Map(variables.map((v, i) => [v, i]));
  const uses = new Set<number>();
  let p = 0;
  let depth = 0;
  const peek = () => toks[p];
  const found = (t: Tok) => (t.t === 'end' ? 'the end of the expression' : JSON.stringify(t.text));
  const fail = (t: Tok, problem: string): never => {
    throw new ExpressionError(src, t.pos + 1, problem);
  };
  const isOp = (t: Tok, ...ops: string[]) => t.t === 'op' && ops.includes(t.v);
  const expectOp = (op: string, what: string) => {
    const t = peek();
    if (!isOp(t, op)) fail(t, `expected ${JSON.stringify(op)} ${what}, found ${found(t)}`);
    p++;
  };

  function expr(): Node {
    if (++depth > MAX_DEPTH) fail(peek(), `nesting deeper than ${MAX_DEPTH} levels`);
    const c = or();
    let node = c;
    if (isOp(peek(), '?')) {
      p++;
      const a = expr();
      expectOp(':', 'after the "then" branch of ?:');
      const b = expr();
      node = { k: 'cond', c, a, b };
    }
    depth--;
    return node;
  }

  function binary(next: () => Node, ops: string[], make: (op: string, a: Node, b: Node) => Node): () => Node {
    return () => {
      let a = next();
      while (isOp(peek(), ...ops)) {
        const op = (peek() as { v: string }).v;
        p++;
        a = make(op, a, next());
      }
      return a;
    };
  }
  const bin = (op: string, a: Node, b: Node): Node => ({ k: 'bin', op: op as BinOp, a, b });

  function unary(): Node {
    const t = peek();
    if (isOp(t, '-', '+', '!')) {
      p++;
      if (++depth > MAX_DEPTH) fail(t, `nesting deeper than ${MAX_DEPTH} levels`);
      const a = unary();
      depth--;
      return t.t === 'op' && t.v === '-' ? { k: 'neg', a } : t.t === 'op' && t.v === '!' ? { k: 'not', a } : a;
    }
    return power();
  }

  function power(): Node {
    const base = primary();
    const t = peek();
    if (isOp(t, '^', '**')) {
      p++;
      if (++depth > MAX_DEPTH) fail(t, `nesting deeper than ${MAX_DEPTH} levels`);
      const b = unary();
      depth--;
      return { k: 'bin', op: '^', a: base, b };
    }
    return base;
  }

  function primary(): Node {
    const t = peek();
    if (t.t === 'num') {
      p++;
      return { k: 'num', v: t.v };
    }
    if (isOp(t, '(')) {
      p++;
      const e = expr();
      expectOp(')', 'to close the "(" at column ' + (t.pos + 1));
      return e;
    }
    if (t.t === 'name') {
      p++;
      const name = t.v;
      if (isOp(peek(), '(')) {
        const fn = FUNCTIONS.get(name);
        if (!fn) fail(t, `unknown function ${JSON.stringify(name)}; the functions are ${[...FUNCTIONS.keys()].join(', ')}`);
        const open = peek();
        p++;
        const args: Node[] = [];
        if (!isOp(peek(), ')')) {
          for (;;) {
            args.push(expr());
            if (isOp(peek(), ',')) {
              p++;
              continue;
            }
            if (isOp(peek(), ')')) break;
            fail(peek(), `expected "," or ")" after argument ${args.length} of ${name}(, found ${found(peek())}`);
          }
        }
        p++;
        const f = fn as Fn;
        if (args.length < f.min || args.length > f.max) {
          const want = f.min === f.max ? `${f.min}` : f.max === Infinity ? `at least ${f.min}` : `${f.min} to ${f.max}`;
          fail(open, `${name}() takes ${want} argument${want === '1' ? '' : 's'}, got ${args.length}`);
        }
        return { k: 'call', f, name, args };
      }
      if (FUNCTIONS.has(name)) fail(peek(), `expected "(" after the function name ${name}, found ${found(peek())}`);
      const c = CONSTANTS.get(name);
      if (c !== undefined) return { k: 'num', v: c };
      const i = varIndex.get(name);
      if (i === undefined) {
        const vars = variables.length ? `the inputs are ${variables.join(', ')}` : 'the node declares no inputs';
        fail(t, `unknown name ${JSON.stringify(name)}; ${vars} (constants: ${[...CONSTANTS.keys()].join(', ')})`);
      }
      uses.add(i as number);
      return { k: 'var', i: i as number, name };
    }
    return fail(t, `expected a number, an input name, a function call or "(", found ${found(t)}`);
  }

  const term = binary(unary, ['*', '/', '%'], bin);
  const additive = binary(term, ['+', '-'], bin);
  const compare = binary(additive, ['<', '<=', '>', '>='], bin);
  const equality = binary(compare, ['==', '!='], bin);
  const and = binary(equality, ['&&'], (_op, a, b) => ({ k: 'and', a, b }));
  const or = binary(and, ['||'], (_op, a, b) => ({ k: 'or', a, b }));

  if (peek().t === 'end') fail(peek(), 'expected an expression, found nothing');
  const root = expr();
  if (peek().t !== 'end') fail(peek(), `expected an operator or the end of the expression, found ${found(peek())}`);
  if (treeDepth(root) > MAX_TREE_DEPTH) fail(toks[0], `nested more than ${MAX_TREE_DEPTH} operations deep; split it over several nodes`);
  return { root, uses: [...uses].sort((a, b) => a - b) };
}

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

const expressionSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['expression'],
  properties: {
    expression: {
      type: 'string',
      minLength: 1,
      maxLength: 10000,
      description:
        'The expression (required), e.g. "clamp(a - 0.5*b, -1, 1)". Operators + - * / % ^ (or **), unary - + !, ' +
        'comparisons < <= > >= == != and && || (1 or 0), c ? a : b, parentheses; functions abs min max clamp sqrt ' +
        'exp log sin cos tan asin acos atan atan2 floor ceil round sign; constants pi e; names are the inputs.',
    },
    inputs: {
      type: 'array',
      items: { type: 'string', pattern: IDENT },
      uniqueItems: true,
      default: ['x'],
      description: 'The input port names, which are also the expression\'s variables (identifiers; not a function or constant name). Default ["x"].',
    },
  },
};

export type ExpressionOptions = { expression: string; inputs: string[] };

function compile(o: ExpressionOptions): { names: string[]; parsed: Parsed } {
  const names = o.inputs ?? ['x'];
  if (!Array.isArray(names)) throw new OptionError('expression', 'inputs', `must be a list of port names, got ${show(names)}`);
  const re = new RegExp(IDENT);
  names.forEach((n, i) => {
    if (typeof n !== 'string' || !re.test(n)) throw new OptionError('expression', `inputs[${i}]`, `must be an identifier (letters, digits, _), got ${show(n)}`);
    // Port names become keys of the inputs object a step reads.
    if (FORBIDDEN_SEGMENTS.has(n)) throw new OptionError('expression', `inputs[${i}]`, `"${n}" is not allowed as an input name`);
    if (FUNCTIONS.has(n) || CONSTANTS.has(n)) throw new OptionError('expression', `inputs[${i}]`, `"${n}" is a function or constant name; choose another port name`);
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
  defaults: defaultsOf<ExpressionOptions>(expressionSchema),
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
