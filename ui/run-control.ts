// Run control for a circuit without a robot (`flux edit`): run, pause, step one tick, reset to the
// initial state, real time or as fast as the engine goes. The node ticks on a ControlledClock; reset
// builds the engine again from the running circuit's document (live edits kept, state from its
// initial values) without writing the file, as a module insert builds before it writes.
import type { ControlledClock } from '../bridge/clock.js';
import { planSave } from './save.js';
import type { RunningNode } from './session.js';

export type RunAction = 'run' | 'pause' | 'step' | 'reset';
export type RunSpeed = 'realtime' | 'fast';

export interface RunState {
  running: boolean;
  speed: RunSpeed;
}

const ACTIONS: readonly RunAction[] = ['run', 'pause', 'step', 'reset'];
const SPEEDS: readonly RunSpeed[] = ['realtime', 'fast'];

/** A POST /api/run body: { action?: run|pause|step|reset, speed?: realtime|fast }, checked; a message when it is not one. */
export function parseRunRequest(body: unknown): { action?: RunAction; speed?: RunSpeed } | string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'expected { action?, speed? }';
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (k !== 'action' && k !== 'speed') return `unknown field "${k}" (expected action and speed)`;
  const action = Object.hasOwn(b, 'action') ? b.action : undefined;
  const speed = Object.hasOwn(b, 'speed') ? b.speed : undefined;
  if (action !== undefined && !ACTIONS.includes(action as RunAction)) return `action: expected one of ${ACTIONS.join(', ')}`;
  if (speed !== undefined && !SPEEDS.includes(speed as RunSpeed)) return `speed: expected one of ${SPEEDS.join(', ')}`;
  if (action === undefined && speed === undefined) return 'expected an action or a speed';
  return { action: action as RunAction | undefined, speed: speed as RunSpeed | undefined };
}

export class RunControl {
  constructor(
    readonly clock: ControlledClock,
    private readonly node: RunningNode,
    private readonly circuitFile: () => string,
  ) {}

  get state(): RunState {
    return { running: this.clock.running, speed: this.clock.speed };
  }

  async perform(r: { action?: RunAction; speed?: RunSpeed }): Promise<RunState> {
    if (r.speed) this.clock.setSpeed(r.speed);
    if (r.action === 'run') this.clock.run();
    else if (r.action === 'pause') this.clock.pause();
    else if (r.action === 'step') {
      this.clock.pause();
      this.clock.step();
    } else if (r.action === 'reset') await this.reset();
    return this.state;
  }

  private async reset(): Promise<void> {
    if (!this.node.reloadCircuitFrom) throw new Error('this node cannot rebuild its engine');
    // The file as the running circuit would save it: edits kept, nothing written.
    const { text } = planSave(this.circuitFile(), this.node.engine.flat);
    await this.node.reloadCircuitFrom(text);
  }
}
