// Brian2's expression syntax (a subset of Python's) read into the tree of ast.ts, and printed back.
// Precedence as in Python, loosest first: or, and, not, comparisons, + -, * /, unary - +, **.
// Hand-written recursive descent over a token list: every token is read once, so hostile text costs
// linear time, and nesting is bounded so the recursion (here and in every later tree walk) stays shallow.
import { EquationError, type BinaryOp, type Expr } from './ast.js';

export const MAX_EXPRESSION_LENGTH = 10_000;
/** Parentheses, unary operators, powers and calls nested inside each other. */
export const MAX_NESTING = 100;
/** Levels of the tree, counting chains such as a + b + c + ... (each + is a level). */
export const MAX_TREE_DEPTH = 1000;

type Token = { kind: 'num'; text: string; pos: number; value: number } | { kind: 'name' | 'op' | 'end'; text: string; pos: number };

const KEYWORDS = new Set(['and', 'or', 'not']);
const COMPARISONS = new Set(['<', '<=', '>', '>=', '==', '!=']);
const TWO_CHAR_OPS = new Set(['**', '<=', '>=', '==', '!=', '//']);
const ONE_CHAR_OPS = new Set(['+', '-', '*', '/', '(', ')', ',', '<', '>', '=', '%']);
const NUMBER = /(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;

const show = (text: string): string => JSON.stringify(text);

class Parser {
  private readonly tokens: Token[] = [];
  private index = 0;
  private nesting = 0;

  constructor(
    private readonly text: string,
    private readonly line: number,
    private readonly lineText: string,
    private readonly offset: number,
  ) {}

  fail(message: string, pos: number, symbol?: string): never {
    throw new EquationError(message, this.line, this.lineText, symbol, this.offset + pos + 1);
  }

  tokenize(): void {
    const s = this.text;
    let i = 0;
    while (i < s.length) {
      const c = s[i];
      if (/\s/.test(c)) {
        i++;
        continue;
      }
      NUMBER.lastIndex = i;
      NAME.lastIndex = i;
      const num = NUMBER.exec(s);
      const name = num ? null : NAME.exec(s);
      const two = s.slice(i, i + 2);
      if (num) {
        const value = Number(num[0]);
        if (!Number.isFinite(value)) this.fail(`the number ${num[0].length > 30 ? num[0].slice(0, 30) + '...' : num[0]} is too large`, i);
        this.tokens.push({ kind: 'num', text: num[0], pos: i, value });
        i += num[0].length;
      } else if (name) {
        this.tokens.push({ kind: 'name', text: name[0], pos: i });
        i += name[0].length;
      } else if (TWO_CHAR_OPS.has(two)) {
        this.tokens.push({ kind: 'op', text: two, pos: i });
        i += 2;
      } else if (ONE_CHAR_OPS.has(c)) {
        this.tokens.push({ kind: 'op', text: c, pos: i });
        i++;
      } else this.fail(`unexpected character ${show(String.fromCodePoint(s.codePointAt(i) ?? 0))}`, i);
    }
    this.tokens.push({ kind: 'end', text: '', pos: s.length });
  }

  private peek(): Token {
    return this.tokens[this.index];
  }

  private next(): Token {
    return this.tokens[this.index++];
  }

  private isOp(...ops: string[]): boolean {
    const t = this.peek();
    return t.kind === 'op' && ops.includes(t.text);
  }

  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.kind === 'name' && t.text === word;
  }

  private enter(pos: number): void {
    if (++this.nesting > MAX_NESTING)
      this.fail(`the expression is nested more than ${MAX_NESTING} levels deep (parentheses, signs, powers, calls)`, pos);
  }

  private leave(): void {
    this.nesting--;
  }

  parseAll(): Expr {
    if (this.peek().kind === 'end') this.fail('empty expression', 0);
    const e = this.parseOr();
    const t = this.peek();
    if (t.kind !== 'end') this.unexpected(t, true);
    return e;
  }

  private unexpected(t: Token, afterValue: boolean): never {
    if (t.kind === 'end') this.fail('unexpected end of expression', t.pos);
    if (t.text === '=') this.fail('"=" is not an operator in an expression (to compare, write "==")', t.pos);
    if (t.text === '%') this.fail('the % operator is not supported', t.pos);
    if (t.text === '//') this.fail('"//" is not supported: write floor(a/b)', t.pos);
    const symbol = t.kind === 'name' && !KEYWORDS.has(t.text) ? t.text : undefined;
    if (afterValue && (t.kind === 'num' || symbol !== undefined || t.text === '(')) {
      const hint = symbol !== undefined && this.tokens[this.index - 1]?.kind === 'num' ? ' (a number with a unit is written 2*mV)' : '';
      this.fail(`expected an operator before ${show(t.text)}${hint}`, t.pos, symbol);
    }
    if (afterValue && t.text === ')') this.fail('unmatched ")"', t.pos);
    this.fail(`unexpected ${show(t.text)}`, t.pos, symbol);
  }

  private binaryChain(ops: (t: Token) => boolean, operand: () => Expr): Expr {
    let left = operand();
    while (ops(this.peek())) {
      const op = this.next().text as BinaryOp;
      left = { kind: 'binary', op, left, right: operand() };
    }
    return left;
  }

  private parseOr(): Expr {
    return this.binaryChain(
      (t) => t.kind === 'name' && t.text === 'or',
      () => this.parseAnd(),
    );
  }

  private parseAnd(): Expr {
    return this.binaryChain(
      (t) => t.kind === 'name' && t.text === 'and',
      () => this.parseNot(),
    );
  }

  private parseNot(): Expr {
    if (!this.isKeyword('not')) return this.parseComparison();
    this.enter(this.next().pos);
    const arg = this.parseNot();
    this.leave();
    return { kind: 'unary', op: 'not', arg };
  }

  private parseComparison(): Expr {
    const left = this.parseSum();
    const t = this.peek();
    if (t.kind !== 'op' || !COMPARISONS.has(t.text)) return left;
    this.next();
    const e: Expr = { kind: 'binary', op: t.text as BinaryOp, left, right: this.parseSum() };
    const again = this.peek();
    if (again.kind === 'op' && COMPARISONS.has(again.text))
      this.fail(`chained comparisons such as "a < b < c" are not supported: write (a < b) and (b < c)`, again.pos);
    return e;
  }

  private parseSum(): Expr {
    return this.binaryChain(
      (t) => t.kind === 'op' && (t.text === '+' || t.text === '-'),
      () => this.parseTerm(),
    );
  }

  private parseTerm(): Expr {
    return this.binaryChain(
      (t) => t.kind === 'op' && (t.text === '*' || t.text === '/'),
      () => this.parseUnary(),
    );
  }

  private parseUnary(): Expr {
    if (!this.isOp('-', '+')) return this.parsePower();
    const t = this.next();
    this.enter(t.pos);
    const arg = this.parseUnary();
    this.leave();
    return { kind: 'unary', op: t.text === '-' ? '-' : '+', arg };
  }

  private parsePower(): Expr {
    const base = this.parsePrimary();
    if (!this.isOp('**')) return base;
    this.enter(this.next().pos);
    // Python: the exponent is a unary expression, so x**-y**z is x**(-(y**z)).
    const exponent = this.parseUnary();
    this.leave();
    return { kind: 'binary', op: '**', left: base, right: exponent };
  }

  private parsePrimary(): Expr {
    const t = this.next();
    if (t.kind === 'num') return { kind: 'num', value: t.value };
    if (t.kind === 'name' && !KEYWORDS.has(t.text)) return this.isOp('(') ? this.parseCall(t) : { kind: 'sym', name: t.text };
    if (t.kind === 'op' && t.text === '(') {
      this.enter(t.pos);
      const e = this.parseOr();
      this.leave();
      if (!this.isOp(')')) this.closing(t);
      this.next();
      return e;
    }
    return this.unexpected(t, false);
  }

  private closing(open: Token): never {
    const t = this.peek();
    if (t.kind === 'end') this.fail(`missing ")" for the "(" at column ${this.offset + open.pos + 1}`, t.pos);
    return this.unexpected(t, true);
  }

  private parseCall(name: Token): Expr {
    const open = this.next();
    this.enter(open.pos);
    const args: Expr[] = [];
    if (!this.isOp(')'))
      for (;;) {
        args.push(this.parseOr());
        if (!this.isOp(',')) break;
        this.next();
      }
    this.leave();
    if (!this.isOp(')')) this.closing(open);
    this.next();
    return { kind: 'call', fn: name.text, args };
  }
}

/** The number of levels of a tree, without recursion (the tree may be too deep for the stack's liking). */
function treeDepth(root: Expr): number {
  let max = 0;
  const stack: [Expr, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [e, d] = stack.pop()!;
    if (d > max) max = d;
    if (e.kind === 'unary') stack.push([e.arg, d + 1]);
    else if (e.kind === 'binary') stack.push([e.left, d + 1], [e.right, d + 1]);
    else if (e.kind === 'call') for (const a of e.args) stack.push([a, d + 1]);
  }
  return max;
}

/**
 * Reads an expression. `line` and `lineText` say where it came from (for errors); `offset` is where
 * `text` starts within `lineText` (by default, where it is first found), so that columns point into the line.
 * Throws EquationError (with a 1-based column) and nothing else.
 */
export function parseExpression(text: string, line = 1, lineText = text, offset = Math.max(0, lineText.indexOf(text))): Expr {
  if (text.length > MAX_EXPRESSION_LENGTH)
    throw new EquationError(`an expression of ${text.length} characters is too long (at most ${MAX_EXPRESSION_LENGTH})`, line, lineText);
  const parser = new Parser(text, line, lineText, offset);
  parser.tokenize();
  const e = parser.parseAll();
  if (treeDepth(e) > MAX_TREE_DEPTH)
    parser.fail(`the expression has more than ${MAX_TREE_DEPTH} levels of operators: split it into subexpressions`, 0);
  return e;
}

// Binding strength of each kind of node, loosest first; an operand that binds less tightly than its
// position requires is printed in parentheses.
const OR = 1;
const AND = 2;
const NOT = 3;
const COMPARE = 4;
const SUM = 5;
const TERM = 6;
const UNARY = 7;
const POWER = 8;
const ATOM = 9;

const BINARY_PRECEDENCE: Record<BinaryOp, number> = {
  or: OR,
  and: AND,
  '<': COMPARE,
  '<=': COMPARE,
  '>': COMPARE,
  '>=': COMPARE,
  '==': COMPARE,
  '!=': COMPARE,
  '+': SUM,
  '-': SUM,
  '*': TERM,
  '/': TERM,
  '**': POWER,
};

function precedence(e: Expr): number {
  if (e.kind === 'unary') return e.op === 'not' ? NOT : UNARY;
  if (e.kind === 'binary') return BINARY_PRECEDENCE[e.op];
  return ATOM;
}

/** A number as text that reads back as the same double (String gives the shortest such digits). */
function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  const mag = v === Infinity || v === -Infinity ? 'inf' : String(Math.abs(v));
  return v < 0 || Object.is(v, -0) ? `(-${mag})` : mag;
}

const atLeast = (e: Expr, min: number): string => (precedence(e) >= min ? formatExpr(e) : `(${formatExpr(e)})`);

/** Brian2 text for an expression, with only the parentheses its structure needs. */
export function formatExpr(e: Expr): string {
  switch (e.kind) {
    case 'num':
      return formatNumber(e.value);
    case 'sym':
      return e.name;
    case 'call':
      return `${e.fn}(${e.args.map(formatExpr).join(', ')})`;
    case 'unary':
      return e.op === 'not' ? `not ${atLeast(e.arg, NOT)}` : `${e.op}${atLeast(e.arg, UNARY)}`;
    case 'binary': {
      if (e.op === '**') return `${atLeast(e.left, ATOM)}**${atLeast(e.right, UNARY)}`;
      const p = BINARY_PRECEDENCE[e.op];
      // Left-associative operators take an equal one on the left only; comparisons take none.
      const left = atLeast(e.left, p === COMPARE ? p + 1 : p);
      return `${left} ${e.op} ${atLeast(e.right, p + 1)}`;
    }
  }
}
