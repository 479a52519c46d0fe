// Types of tools/import-rules.mjs (plain JavaScript so that `npm run lint:imports` runs it with node).

export const PRODUCT_FOLDERS: string[];

export interface RuleViolation {
  rule: string;
  severity: string;
  from: string;
  to: string;
  /** Module cycles: the modules around the cycle. */
  cycle?: string[];
}

export interface FolderCycle {
  /** The folder whose children form the cycle ('.' for the top-level folders). */
  parent: string;
  folders: string[];
  edges: { from: string; to: string; example: string }[];
}

export interface ImportCheck {
  errors: number;
  violations: RuleViolation[];
  unresolved: { from: string; module: string }[];
  folderCycles: FolderCycle[];
  modules: number;
  ms: number;
  report: string;
}

export function checkImports(o?: { cwd?: string; folders?: string[]; config?: string | URL }): Promise<ImportCheck>;

export function findFolderCycles(
  modules: { source: string; dependencies: { resolved: string; coreModule: boolean; couldNotResolve: boolean }[] }[],
): FolderCycle[];
