// What the control loop's thread and the guard thread share (bridge/safety/guard.ts and guard-worker.ts).
//
// The guard thread exists because a watchdog on the loop's own thread freezes with it: a long compile,
// an endless loop or a message flood stopped the old same-thread watchdog for 0.7-20 s while the robot
// kept its last command. The guard owns its own way to each actuator (a DDS writer of its own on the
// command topic, the serial port's file descriptor), holds each output's safe message already
// serialized, and writes it when the loop has not kicked it within the deadline: no JavaScript on the
// loop's thread has to run for the robot to stop.

/** One actuator path the guard can write without the loop's thread. Plain data: it crosses to the worker. */
export type GuardChannel =
  | {
      kind: 'dds';
      /** Output name, for reports. */
      name: string;
      domainId: number;
      ddsTopic: string;
      ddsType: string;
      reliability: 'reliable' | 'best_effort';
      durability: 'volatile' | 'transient_local';
      depth: number;
      userData?: string;
      /** The safe message, serialized (CDR with its encapsulation header). */
      bytes: Uint8Array;
      /** How often to repeat it while tripped (the output's period). */
      periodMs: number;
    }
  | {
      kind: 'fd';
      name: string;
      /** An open file descriptor of this process (a serial port), written with the safe frame. */
      fd: number;
      /** The device and inode the descriptor had when given: a reused descriptor number is never written. */
      dev: number;
      ino: number;
      bytes: Uint8Array;
      periodMs: number;
    };

/** Messages from the loop's thread to the guard. */
export type ToGuard = { type: 'channels'; channels: GuardChannel[] } | { type: 'deadline'; ms: number } | { type: 'stop' };

/** Messages from the guard to the loop's thread (reports only: the guard acts without an answer). */
export type FromGuard =
  | { type: 'ready'; channels: { name: string; kind: GuardChannel['kind']; error: string | null }[] }
  | { type: 'tripped'; silentMs: number; written: number }
  | { type: 'error'; message: string };

/** Int32 slots of the shared heartbeat (a SharedArrayBuffer of SLOTS * 4 bytes). */
export const SLOT = {
  /** Incremented by the loop after every finished tick. */
  kick: 0,
  /** 1 while the guard holds the outputs safe; the loop clears it once it has caught up. */
  tripped: 1,
  /** Trips so far (written by the guard). */
  trips: 2,
  /** 1 while the guard watches (the loop arms it once ticking, disarms it before stopping). */
  armed: 3,
  /** Safe messages the guard has written so far. */
  written: 4,
  /** Set by the loop to make the guard write every safe message now (a fatal error on the loop's thread). */
  panic: 5,
  /** Incremented by the guard once it has written every safe message after a panic. */
  panicDone: 6,
  /** Never written: Atomics.wait on it is a sleep that cannot be woken early. */
  sleep: 7,
} as const;
export const SLOTS = 8;
