// The interface of files.ts: the files the IDE reads and writes (Node's and a page's implementations).

export interface StagedWrite {
  /** Puts the staged text in place of the file, whole. */
  commit(): void;
  /** Drops the staged text; the file stays as it was. */
  abort(): void;
}

export interface IdeFiles {
  exists(path: string): boolean;
  /** The path with every link resolved; throws (code ENOENT) when nothing is there. */
  realpath(path: string): string;
  /** Whether the path is a character device (a serial port), links followed. */
  isCharacterDevice(path: string): boolean;
  /** The names in a folder; [] when it is no folder. */
  list(path: string): string[];
  /** Creates a file that must not exist yet (throws when something is there). */
  create(path: string, text: string): void;
  remove(path: string): void;
  /**
   * The file's next text, staged aside: committing replaces the file whole (never half a file), through
   * a link the file it points to. `tempName` names the staging file beside the target (Node only).
   */
  stage(plan: { file: string; text: string }, tempName?: (target: string) => string): StagedWrite;
}
