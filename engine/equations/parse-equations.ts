// Brian2's `Equations` strings: one equation per line, `#` comments, three forms
//   dv/dt = expr : unit (flags)      X = expr : unit (flags)      X : unit (flags)
// As in Brian2, an expression may continue onto the following lines until its `: unit`; blank and
// comment lines in between are skipped. Errors point at the physical line and column.
import { EquationError, type Equation, type Expr } from './ast.js';
import { unitDim } from './check-units.js';
import { parseExpression } from './parse-expression.js';

export const MAX_TEXT_LENGTH = 20_000;
export const MAX_LINES = 500;

/** A physical line: its number, its text, and its text up to any `#` comment (same columns). */
export interface RawLine {
  line: number;
  raw: string;
  content: string;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const DERIVATIVE = /^d([A-Za-z_][A-Za-z0-9_]*)\s*\/\s*dt$/;
const FLAG = /^[A-Za-z][A-Za-z0-9_\- ]*$/;

/** Splits text into lines after bounding its size; `what` names the text in errors ("equations"). */
export function sourceLines(text: string, what: string): RawLine[] {
  if (text.length > MAX_TEXT_LENGTH)
    throw new EquationError(`${what} of ${text.length} characters are too long (at most ${MAX_TEXT_LENGTH})`, 1, '');
  const lines = text.split('\n');
  if (lines.length > MAX_LINES)
    throw new EquationError(`${what} of ${lines.length} lines are too long (at most ${MAX_LINES})`, MAX_LINES + 1, '');
  return lines.map((l, i) => {
    const raw = l.endsWith('\r') ? l.slice(0, -1) : l;
    const hash = raw.indexOf('#');
    return { line: i + 1, raw, content: hash < 0 ? raw : raw.slice(0, hash) };
  });
}

/** Physical lines joined into one logical line, with the way back from a position to a line and column. */
class Joined {
  readonly text: string;
  private readonly starts: number[] = [];

  constructor(readonly parts: RawLine[]) {
    let at = 0;
    for (const p of parts) {
      this.starts.push(at);
      at += p.content.length + 1;
    }
    this.text = parts.map((p) => p.content).join(' ');
  }

  /** An error at position `pos` of the joined text (0-based), located on its physical line. */
  error(message: string, pos: number, symbol?: string): EquationError {
    let i = this.parts.length - 1;
    while (i > 0 && this.starts[i] > pos) i--;
    const p = this.parts[i];
    return new EquationError(message, p.line, p.raw, symbol, Math.min(pos - this.starts[i], p.content.length) + 1);
  }

  /** Re-locates an error thrown while reading a piece of the joined text (its columns count from 1 in the joined text). */
  relocate(e: unknown, fallbackPos: number): never {
    if (!(e instanceof EquationError)) throw e;
    throw this.error(e.message, e.column === undefined ? fallbackPos : e.column - 1, e.symbol);
  }

  /** The text as written (with comments), for the Equation's `text`. */
  get rawText(): string {
    return this.parts.map((p) => p.raw).join('\n');
  }
}

/** Groups lines into equations: a line without ':' continues onto the next non-blank line. */
function logicalLines(lines: RawLine[]): Joined[] {
  const out: Joined[] = [];
  let group: RawLine[] = [];
  for (const l of lines) {
    if (l.content.trim() === '') continue;
    group.push(l);
    if (l.content.includes(':')) {
      out.push(new Joined(group));
      group = [];
    }
  }
  if (group.length > 0) {
    const j = new Joined(group);
    throw j.error(`"${group[0].content.trim()}" has no ": unit" (write name = expression : unit, or name : unit)`, j.text.length);
  }
  return out;
}

function parseFlags(text: string, j: Joined, pos: number): string[] {
  const m = /^\(([^()]*)\)\s*$/.exec(text);
  const flags = m ? m[1].split(',').map((f) => f.trim().replace(/\s+/g, ' ')) : [];
  const bad = m ? flags.find((f) => !FLAG.test(f)) : text;
  if (bad !== undefined) throw j.error(`malformed flags "${text.trim()}": write them as (flag1, flag2)`, pos, bad === '' ? undefined : bad);
  return flags;
}

function parseUnit(tail: string, j: Joined, start: number): { unit: string; unitExpr: Expr; flags: string[] } {
  const paren = tail.indexOf('(');
  const unitText = paren < 0 ? tail : tail.slice(0, paren);
  const unit = unitText.trim();
  const unitPos = start + unitText.length - unitText.trimStart().length;
  if (unit === '') throw j.error('missing unit after ":" (write 1 for a dimensionless variable)', start);
  let unitExpr: Expr;
  try {
    unitExpr = parseExpression(unit, 1, j.text, unitPos);
    unitDim(unitExpr, { line: 1, text: j.text });
  } catch (e) {
    j.relocate(e, unitPos);
  }
  const flags = paren < 0 ? [] : parseFlags(tail.slice(paren), j, start + paren);
  return { unit, unitExpr, flags };
}

function parseEquation(j: Joined): Equation {
  const text = j.text;
  const colon = text.indexOf(':');
  const head = text.slice(0, colon);
  const where = { line: j.parts[0].line, text: j.rawText };
  const eq = head.indexOf('=');
  const lhs = (eq < 0 ? head : head.slice(0, eq)).trim();
  const lhsPos = head.length - head.trimStart().length;
  const derivative = eq < 0 ? null : DERIVATIVE.exec(lhs);
  const name = derivative ? derivative[1] : lhs;
  if (!derivative && !IDENTIFIER.test(lhs)) {
    const form = eq < 0 ? 'a parameter is written name : unit' : 'the left-hand side is a name or dX/dt';
    throw j.error(lhs === '' ? `missing name before "${eq < 0 ? ':' : '='}"` : `"${lhs}" cannot be defined: ${form}`, lhsPos);
  }
  const unit = parseUnit(text.slice(colon + 1), j, colon + 1);
  if (eq < 0) return { ...where, name, ...unit, kind: 'parameter' };
  let expr: Expr;
  try {
    expr = parseExpression(head.slice(eq + 1), 1, text, eq + 1);
  } catch (e) {
    j.relocate(e, eq + 1);
  }
  return { ...where, name, ...unit, kind: derivative ? 'differential' : 'subexpression', expr };
}

/** Reads a Brian2 `Equations` string. Throws EquationError (line, line text, column, symbol). */
export function parseEquations(text: string): Equation[] {
  const out: Equation[] = [];
  const seen = new Map<string, number>();
  for (const j of logicalLines(sourceLines(text, 'equations'))) {
    const e = parseEquation(j);
    const before = seen.get(e.name);
    if (before !== undefined)
      throw new EquationError(`"${e.name}" is defined twice (lines ${before} and ${e.line})`, e.line, e.text, e.name);
    seen.set(e.name, e.line);
    out.push(e);
  }
  return out;
}
