// The interface of host.ts: what the engine needs from the program it runs in (Node, a browser tab).

/** What a message may hand over to a worker (moved, not copied): message ports and ArrayBuffers. */
export type Transfer = object;

/** A worker thread as the engine uses one. */
export interface HostWorker {
  postMessage(message: unknown, transfer?: readonly Transfer[]): void;
  onMessage(listener: (message: unknown) => void): void;
  onError(listener: (error: Error) => void): void;
  /** The worker ended (with its exit code, where the host has one). */
  onExit(listener: (code: number) => void): void;
  /** An idle worker does not keep the program alive. */
  unref(): void;
  terminate(): Promise<void>;
}

/**
 * A worker script's side of the channel to the thread that started it: the data it was started with,
 * then messages both ways.
 */
export interface WorkerSide {
  /** What startWorker was given (Node hands it over with the thread; a page sends it as the first message). */
  data(): Promise<unknown>;
  /** The messages after the data, in order (any that came before the listener are given to it first). */
  onMessage(listener: (message: unknown) => void): void;
  postMessage(message: unknown): void;
}

/** The worker scripts of the engine: the CPU backend's kernel thread, and a wiring worker. */
export type WorkerScript = 'kernel-thread' | 'wiring';

export interface Host {
  /** Logical cores the program may use (threads are started only where there are two or more). */
  cores(): number;
  /** The built AssemblyScript kernels (kernels.wasm), or null where they are not built. */
  kernelsWasm(): Uint8Array<ArrayBuffer> | null;
  /** The text of a WGSL file of shaders/. */
  shader(name: string): string;
  /** Why a worker script cannot be started here, or null when it can. */
  cannotStart(script: WorkerScript): string | null;
  /** Starts a worker script with its data (what the script reads through workerSide().data()). */
  startWorker(script: WorkerScript, data?: unknown, transfer?: readonly Transfer[]): HostWorker;
  /** In a worker script: its side of the channel to the thread that started it. */
  workerSide(): WorkerSide;
  /**
   * Whether this thread may sleep in Atomics.wait. A page's main thread may not (it would freeze the
   * page): it spins instead.
   */
  canBlock(): boolean;
  /** Documents: the text of a file (throws with the reason when it cannot be read). */
  readText(path: string): string;
  /** Paths as the host names files (Node's: the platform's; a page's: POSIX paths in its own namespace). */
  resolve(...segments: string[]): string;
  dirname(path: string): string;
  join(...segments: string[]): string;
  isAbsolute(path: string): boolean;
  /** The folder of an installed package as seen from `fromFile`, or undefined. */
  packageDir(name: string, fromFile: string): string | undefined;
}
