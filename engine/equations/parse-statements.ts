// Brian2's abstract code for reset, on_pre and on_post: `target op expression` statements separated
// by newlines or `;`, with `#` comments. Same bounds as equations (they come from the same documents).
import { EquationError, type AssignOp, type Expr, type Statement } from './ast.js';
import { MAX_LINES, sourceLines } from './parse-equations.js';
import { parseExpression } from './parse-expression.js';

export const MAX_STATEMENTS = MAX_LINES;

const ASSIGNMENT = /^(\s*)([A-Za-z_][A-Za-z0-9_]*)\s*(\+=|-=|\*=|\/=|=)/;

function parseStatement(piece: string, start: number, line: number, text: string): Statement {
  const m = ASSIGNMENT.exec(piece);
  const lead = piece.length - piece.trimStart().length;
  if (!m || piece[m[0].length] === '=') {
    const trimmed = piece.trim();
    const shown = trimmed.length > 60 ? `${trimmed.slice(0, 57)}...` : trimmed;
    const message =
      m?.[3] === '='
        ? `"${shown}" compares with "==": an assignment is written target = expression`
        : `"${shown}" is not an assignment: write target = expression (or +=, -=, *=, /=)`;
    throw new EquationError(message, line, text, m?.[2], start + lead + 1);
  }
  const exprStart = start + m[0].length;
  const expr: Expr = parseExpression(piece.slice(m[0].length), line, text, exprStart);
  return { line, text, target: m[2], op: m[3] as AssignOp, expr };
}

/** Reads reset / on_pre / on_post code. Throws EquationError (line, line text, column, symbol). */
export function parseStatements(text: string): Statement[] {
  const out: Statement[] = [];
  for (const l of sourceLines(text, 'statements')) {
    let start = 0;
    for (const piece of l.content.split(';')) {
      if (piece.trim() !== '') {
        if (out.length === MAX_STATEMENTS)
          throw new EquationError(`more than ${MAX_STATEMENTS} statements`, l.line, l.raw, undefined, start + 1);
        out.push(parseStatement(piece, start, l.line, l.raw));
      }
      start += piece.length + 1;
    }
  }
  return out;
}
