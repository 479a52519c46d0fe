// Node parameters behind one interface: ROS 2 parameters on the ROS transport (declared on the
// rclnodejs node, so `ros2 param get/set` and params files work), and a local store elsewhere that
// reads the same `-p` and `--params-file` arguments. Flux declares its parameters and reacts to
// changes the same way on both.
import { PARAMETER_TYPE, type RclnodejsModule, type RclNode, type RclParameter, type SetParametersResult } from '../transport/ros.js';
import { paramsForNode, type RosArgs } from './rosargs.js';

export type ParamValue = string | number | boolean;
export type ParamType = 'string' | 'double' | 'integer' | 'bool';

/** What a parameter accepts and says about itself, stated once (see flux-params.ts): every check comes from it. */
export interface ParamDecl {
  type: ParamType;
  description: string;
  readOnly?: boolean;
  /** Numbers: the accepted interval (`min` itself excluded when minExclusive); `what` names the quantity in refusals. */
  range?: { min: number; max?: number; minExclusive?: boolean; what: string };
  /** Strings: the accepted values. */
  choices?: readonly string[];
}

export interface ParamSpec extends ParamDecl {
  name: string;
  value: ParamValue;
}

export type { SetParametersResult };
/** Vets a batch of changes before any applies: return successful false with a reason to refuse it. */
export type ChangeHandler = (changes: { name: string; value: ParamValue }[]) => SetParametersResult;

export interface Parameters {
  /** Declares a parameter; an override (params file, -p) replaces the default. Returns the value in effect. */
  declare(spec: ParamSpec): ParamValue;
  get(name: string): ParamValue;
  /** Changes a parameter as `ros2 param set` would: vetted by the change handlers, then applied. */
  set(name: string, value: ParamValue): SetParametersResult;
  onChange(handler: ChangeHandler): void;
  names(): string[];
}

/** Whether `value` fits `type`; an integer is accepted for a double (rcl is stricter: write 500.0). */
export function checkType(name: string, type: ParamType, value: unknown): string | null {
  const ok =
    type === 'string'
      ? typeof value === 'string'
      : type === 'bool'
        ? typeof value === 'boolean'
        : type === 'integer'
          ? Number.isInteger(value)
          : typeof value === 'number' && Number.isFinite(value);
  return ok ? null : `parameter ${name} is a ${type}, got ${JSON.stringify(value)}`;
}

/** Whether `value` is one the declaration accepts (type, range, choices): the reason it is not, or null. */
export function checkValue(name: string, decl: ParamDecl, value: unknown): string | null {
  const bad = checkType(name, decl.type, value);
  if (bad) return bad;
  const { range, choices } = decl;
  if (range && typeof value === 'number') {
    const low = range.minExclusive ? value <= range.min : value < range.min;
    if (low || (range.max !== undefined && value > range.max)) {
      const want =
        range.max === undefined && range.min === 0 && range.minExclusive
          ? `a positive ${range.what}`
          : `a ${range.what} in ${range.minExclusive ? '(' : '['}${range.min}, ${range.max ?? 'Infinity'}${range.max === undefined ? ')' : ']'}`;
      return `${name} ${value}: give ${want}`;
    }
  }
  if (choices && typeof value === 'string' && !choices.includes(value))
    return `${name} "${value}": expected ${choices.slice(0, -1).join(', ')} or ${choices.at(-1)}`;
  return null;
}

const isParamValue = (v: unknown): v is ParamValue => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Parameters for the memory and simulated transports, from the ROS arguments Flux was given. */
export class LocalParameters implements Parameters {
  private readonly specs = new Map<string, ParamSpec>();
  private readonly values = new Map<string, ParamValue>();
  private readonly overrides: Record<string, unknown> = {};
  private readonly handlers: ChangeHandler[] = [];

  constructor(args: RosArgs, nodeName: string, namespace: string) {
    for (const f of args.paramsFiles) Object.assign(this.overrides, paramsForNode(f, nodeName, namespace));
    for (const p of args.params) if (!p.node || p.node === nodeName) this.overrides[p.name] = p.value;
  }

  declare(spec: ParamSpec): ParamValue {
    if (this.specs.has(spec.name)) throw new Error(`parameter ${spec.name} is already declared`);
    // An override (-p, a params file) and a default from the caller (a command-line option) are checked alike.
    const value = spec.name in this.overrides ? this.overrides[spec.name] : spec.value;
    const bad = checkValue(spec.name, spec, value);
    if (bad) throw new Error(bad);
    if (!isParamValue(value)) throw new Error(`parameter ${spec.name}: ${JSON.stringify(value)} is no parameter value`);
    this.specs.set(spec.name, spec);
    this.values.set(spec.name, value);
    return value;
  }

  get(name: string): ParamValue {
    if (!this.values.has(name)) throw new Error(`no parameter ${name}`);
    return this.values.get(name)!;
  }

  set(name: string, value: ParamValue): SetParametersResult {
    const spec = this.specs.get(name);
    if (!spec) return { successful: false, reason: `parameter ${name} is not declared` };
    if (spec.readOnly) return { successful: false, reason: `parameter ${name} is read-only` };
    const bad = checkValue(name, spec, value);
    if (bad) return { successful: false, reason: bad };
    for (const h of this.handlers) {
      const r = h([{ name, value }]);
      if (!r.successful) return r;
    }
    this.values.set(name, value);
    return { successful: true, reason: '' };
  }

  onChange(handler: ChangeHandler): void {
    this.handlers.push(handler);
  }

  names(): string[] {
    return [...this.specs.keys()];
  }
}

const ROS_TYPE: Record<ParamType, number> = {
  bool: PARAMETER_TYPE.BOOL,
  integer: PARAMETER_TYPE.INTEGER,
  double: PARAMETER_TYPE.DOUBLE,
  string: PARAMETER_TYPE.STRING,
};

/** ROS 2 parameters of the rclnodejs node. */
export class RosParameters implements Parameters {
  private readonly specs = new Map<string, ParamSpec>();

  constructor(
    private readonly rcl: RclnodejsModule,
    private readonly node: RclNode,
  ) {}

  private toRos(spec: ParamSpec, value: ParamValue): RclParameter {
    // rclnodejs keeps integers as BigInt.
    return new this.rcl.Parameter(spec.name, ROS_TYPE[spec.type], spec.type === 'integer' ? BigInt(value as number) : value);
  }

  private fromRos(p: RclParameter): ParamValue {
    return typeof p.value === 'bigint' ? Number(p.value) : (p.value as ParamValue);
  }

  declare(spec: ParamSpec): ParamValue {
    this.specs.set(spec.name, spec);
    // use_sim_time is declared by rclnodejs itself (its TimeSource).
    if (this.node.hasParameter(spec.name)) return this.fromRos(this.node.getParameter(spec.name));
    const descriptor = new this.rcl.ParameterDescriptor(spec.name, ROS_TYPE[spec.type], spec.description, spec.readOnly ?? false);
    const value = this.fromRos(this.node.declareParameter(this.toRos(spec, spec.value), descriptor));
    // rcl has applied -p and params files: the value in effect passes the same checks as a later set.
    const bad = checkValue(spec.name, spec, value);
    if (bad) throw new Error(bad);
    return value;
  }

  get(name: string): ParamValue {
    return this.fromRos(this.node.getParameter(name));
  }

  set(name: string, value: ParamValue): SetParametersResult {
    const spec = this.specs.get(name);
    if (!spec) return { successful: false, reason: `parameter ${name} is not declared` };
    const bad = checkValue(name, spec, value);
    if (bad) return { successful: false, reason: bad };
    return this.node.setParameter(this.toRos(spec, value));
  }

  onChange(handler: ChangeHandler): void {
    this.node.addOnSetParametersCallback((ps) => {
      // Declarations pass through here too; only Flux's declared parameters are Flux's to vet.
      const mine = ps.filter((p) => this.specs.has(p.name) && this.node.hasParameter(p.name));
      for (const p of mine) {
        const bad = checkValue(p.name, this.specs.get(p.name)!, this.fromRos(p));
        if (bad) return { successful: false, reason: bad };
      }
      return mine.length ? handler(mine.map((p) => ({ name: p.name, value: this.fromRos(p) }))) : { successful: true, reason: '' };
    });
  }

  names(): string[] {
    return [...this.specs.keys()];
  }
}
