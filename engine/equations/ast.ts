// The syntax tree of Brian2's equation language as Flux reads it: expressions, equation lines and
// statements (reset, on_pre, on_post). One tree for every later stage: unit checking, symbolic
// differentiation (to find linear terms), integration and code generation for each backend.

/** An expression. Unit names (mV, nS, second, ...) are plain symbols; the symbol table decides what a name is. */
export type Expr =
  | { kind: 'num'; value: number }
  | { kind: 'sym'; name: string }
  | { kind: 'unary'; op: UnaryOp; arg: Expr }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  | { kind: 'call'; fn: string; args: Expr[] };

export type UnaryOp = '-' | '+' | 'not';
export type ArithmeticOp = '+' | '-' | '*' | '/' | '**';
export type ComparisonOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type LogicalOp = 'and' | 'or';
export type BinaryOp = ArithmeticOp | ComparisonOp | LogicalOp;

/** Where a piece of equation text came from: 1-based line within the text, and the line itself. */
export interface SourceLine {
  line: number;
  text: string;
}

/**
 * One line of an `Equations` string:
 *   differential   `dv/dt = expr : unit (flags)`
 *   subexpression  `I = expr : unit (flags)`
 *   parameter      `tau : second (flags)`
 */
export type Equation = SourceLine & {
  name: string;
  /** The declared unit, as written (`volt`, `amp/meter**2`, `1`); `unitExpr` is its parsed form. */
  unit: string;
  unitExpr: Expr;
  /** e.g. 'unless refractory', 'constant', 'constant over dt', 'shared', 'event-driven', 'clock-driven', 'summed'. */
  flags: string[];
} & ({ kind: 'differential'; expr: Expr } | { kind: 'subexpression'; expr: Expr } | { kind: 'parameter' });

export type AssignOp = '=' | '+=' | '-=' | '*=' | '/=';

/** One statement of a reset / on_pre / on_post block: `v = v_r`, `w += b`, `w = clip(w + apre, 0, wmax)`. */
export type Statement = SourceLine & { target: string; op: AssignOp; expr: Expr };

/** A problem in equation text: what is wrong, where (line within the text, and column when known), and the symbol involved. */
export class EquationError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly text: string,
    readonly symbol?: string,
    readonly column?: number,
  ) {
    super(message);
    this.name = 'EquationError';
  }
}
