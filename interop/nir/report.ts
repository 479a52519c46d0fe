// What an import collects on its way (problems, notes) and how it stops: one object handed to every
// step (flatten, classify, trace, emit), so each reports in the same words and the same order.
import { NirFileError, type NirProblem } from './graph.js';

export class ImportReport {
  readonly problems: NirProblem[] = [];
  readonly notes: string[] = [];

  constructor(private readonly where: string) {}

  /** A problem, listed once however many paths reach it. */
  problem(element: string, kind: NirProblem['kind'], message: string): void {
    if (!this.problems.some((p) => p.element === element && p.message === message)) this.problems.push({ element, kind, message });
  }

  /** Stops the import: the graph is beyond what can be converted at all (not one problem among others). */
  refuse(element: string, reason: string): never {
    throw new NirFileError(this.where, `${element}: ${reason}`, 'graph');
  }

  /** A number as the document writes it: the checks keep non-finite values out; this is the last one. */
  fmt(x: number): string {
    return Number.isFinite(x) ? String(x) : this.refuse('the graph', `a computed value is ${x} (parameters too large)`);
  }
}
