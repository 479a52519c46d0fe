// Every problem in a circuit names the file, the JSON path in it (and the line when known) and
// what was expected. Validation collects all problems before throwing, so one run shows them all.

export interface CircuitIssue {
  file: string;
  /** JSON Pointer into the document, e.g. /populations/exc/params/tau_m */
  path: string;
  line?: number;
  message: string;
}

export function formatIssue(i: CircuitIssue): string {
  const where = i.line !== undefined ? `${i.file}:${i.line}` : i.file;
  return `${where} at ${i.path || '/'}: ${i.message}`;
}

export class CircuitError extends Error {
  readonly issues: CircuitIssue[];
  constructor(issues: CircuitIssue[]) {
    super(
      issues.length === 1 ? formatIssue(issues[0]) : `${issues.length} problems:\n` + issues.map((i) => '  ' + formatIssue(i)).join('\n'),
    );
    this.name = 'CircuitError';
    this.issues = issues;
  }
}

export function pointer(...parts: (string | number)[]): string {
  return parts.map((p) => '/' + String(p).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/** Collects issues for one file; locate() adds line numbers where the parser kept them. */
export class IssueList {
  readonly issues: CircuitIssue[] = [];
  constructor(
    private readonly file: string,
    private readonly locate: (path: string) => number | undefined = () => undefined,
  ) {}
  add(path: string, message: string): void {
    this.issues.push({ file: this.file, path, line: this.locate(path), message });
  }
  get ok(): boolean {
    return this.issues.length === 0;
  }
}
