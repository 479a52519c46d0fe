// Serial devices and Arduino boards (bridge/devices.ts) as extensions: `device_in` streams one input
// field of a device, `device_out` writes its command's values to the device's output fields. The
// bridge's device bindings are nodes of these two types.
import { map } from 'rxjs';
import { Type, type Static } from '@sinclair/typebox';
import { defineExtension, type PortValue } from '../../extensions/api.js';
import { optionsGuard } from '../../extensions/registry.js';
import { need, type IoContext } from './context.js';
import { commandOf } from './ros-topic.js';

const deviceInSchema = Type.Object({ device: Type.String(), field: Type.String() }, { additionalProperties: false });

export const deviceIn = defineExtension<Static<typeof deviceInSchema>, IoContext>({
  name: 'device_in',
  kind: 'input',
  doc: "Streams one input field of a serial device or board declared under the bridge's devices",
  options: deviceInSchema,
  outputs: { value: { type: 'scalar' } },
  create(o, ctx) {
    const dev = need(ctx.devices, ctx, 'devices').get(o.device);
    if (!dev) throw new Error(`no device "${o.device}" (the bridge has ${[...(ctx.devices?.keys() ?? [])].join(', ') || 'none'})`);
    return { outputs: { value: dev.input(o.field).pipe(map((v) => (ctx.count?.('received'), v))) } };
  },
});

const deviceOutSchema = Type.Object(
  {
    device: Type.String(),
    fields: Type.Array(Type.String(), { minItems: 1, description: 'the device output field of each command value' }),
    safe: Type.Array(Type.Number(), {
      description:
        "one value per field: written when inputs or the engine stall, and at stop (the bridge's own device outputs leave it out)",
    }),
  },
  { additionalProperties: false },
);

/** The options as documents give them; `safe` is optional here because the bridge's own device outputs leave it out. */
export type DeviceOutOptions = Omit<Static<typeof deviceOutSchema>, 'safe'> & { safe?: number[] };

export const deviceOut = defineExtension<DeviceOutOptions, IoContext>({
  name: 'device_out',
  kind: 'output',
  doc: "Writes its command's values to output fields of a serial device or board",
  options: deviceOutSchema,
  inputs: { command: { type: 'message', doc: '{ values: number[] (one per field), safe: boolean }' } },
  create(o, ctx) {
    const dev = need(ctx.devices, ctx, 'devices').get(o.device);
    if (!dev) throw new Error(`no device "${o.device}" (the bridge has ${[...(ctx.devices?.keys() ?? [])].join(', ') || 'none'})`);
    const write = (command: PortValue) => {
      try {
        const c = commandOf(command);
        dev.write(Object.fromEntries(o.fields.map((f, k) => [f, c.values[k]])));
        ctx.count?.('published');
      } catch (e) {
        ctx.fail?.(e);
      }
    };
    return {
      consume(inputs) {
        inputs.command?.subscribe(write);
      },
      safe() {
        if (o.safe) write({ values: o.safe, safe: true });
      },
      stop() {
        if (o.safe) write({ values: o.safe, safe: true });
      },
    };
  },
});

/** Whether a node's options are device_out's (the guard thread reads a node's safe values through this). */
export const isDeviceOutOptions = optionsGuard(deviceOut);
