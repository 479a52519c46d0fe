import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { definitionsFor, shippedTypes } from '../bridge/codec/definitions.js';
import { compileFieldPath } from '../bridge/fieldpath.js';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fieldPaths, setBinding, type BridgeHost } from './bridge-edit.js';
import { tempDir } from '../tests/helpers.js';
import { RefusedEdit } from './session.js';

describe('fieldPaths: completion for a binding', () => {
  it('lists nested fields by their dotted path and arrays as a slice', () => {
    const scan = fieldPaths('sensor_msgs/msg/LaserScan');
    expect(scan.map((f) => f.path)).toEqual(expect.arrayContaining(['angle_min', 'header.stamp', 'ranges[0:10]', 'intensities[0:10]']));
    expect(scan.find((f) => f.path === 'ranges[0:10]')).toEqual({ path: 'ranges[0:10]', type: 'float32[]', numeric: true });
    expect(scan.find((f) => f.path === 'header.frame_id')?.numeric).toBe(false);
    const twist = fieldPaths('geometry_msgs/msg/Twist');
    expect(twist.map((f) => f.path)).toEqual([
      'linear',
      'linear.x',
      'linear.y',
      'linear.z',
      'angular',
      'angular.x',
      'angular.y',
      'angular.z',
    ]);
    // A message of numbers reads as a vector: offered as numeric.
    expect(twist[0]).toEqual({ path: 'linear', type: 'geometry_msgs/Vector3', numeric: true });
  });

  it('property: every numeric path offered for a shipped type compiles against its definition', () => {
    const types = shippedTypes();
    fc.assert(
      fc.property(fc.constantFrom(...types), (type) => {
        const defs = definitionsFor(type).definitions;
        const fields = fieldPaths(type);
        expect(fields.length).toBeLessThanOrEqual(400);
        for (const f of fields.filter((x) => x.numeric)) expect(() => compileFieldPath(f.path, defs), `${type} ${f.path}`).not.toThrow();
      }),
      { numRuns: Math.min(types.length, 150) },
    );
  });

  it('property: any other text is refused with a status (400 not a type, 404 no definition), never a crash', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 60 }),
          fc.constantFrom('../../etc/passwd', 'a/msg/B', '__proto__/msg/x', 'std_msgs/msg/Nope'),
          fc.jsonValue(),
        ),
        (type) => {
          try {
            fieldPaths(type);
          } catch (e) {
            expect(e).toBeInstanceOf(RefusedEdit);
            expect([400, 404]).toContain((e as RefusedEdit).status);
          }
        },
      ),
      { numRuns: 300 },
    );
    expect(() => fieldPaths('../../etc/passwd')).toThrow(/package\/msg\/Type/);
    expect(() => fieldPaths('std_msgs/msg/Nope')).toThrow(/no definition/);
  });
});

describe('setBinding: devices', () => {
  // A host whose every rebuild would be a failure of the test: each refusal here comes before one.
  const host = (devices: boolean): BridgeHost => ({
    bridgeDocument: () => ({ file: '/tmp/b.yaml', text: 'circuit: ./c.yaml\ninputs: {}\n', saved: true }),
    reloadBridgeFrom: () => Promise.reject(new Error('built: the request should have been refused before')),
    transport: {},
    loaded: { circuitFile: '/tmp/c.yaml', config: {} },
    devices,
  });
  const serial = (path: string) => ({ serial: { path, baudRate: 115200, framing: { kind: 'lines' } } });

  it('a node that drives no hardware (flux edit, next to the simulator) refuses devices and bindings to them', async () => {
    await expect(setBinding(host(false), 'devices', 'ranger', serial('/dev/ttyUSB0'), undefined)).rejects.toThrow(/drives no hardware/);
    await expect(setBinding(host(false), 'inputs', 'range_front', { device: 'ranger', field: 'front' }, undefined)).rejects.toThrow(
      /drives no hardware/,
    );
  });

  it('a port is a serial device node (after links) or a serial node not there yet; links to other processes stay refused', async () => {
    const dir = tempDir('flux-bridge-edit-');
    symlinkSync('/etc/hostname', join(dir, 'ttyUSB0'));
    for (const path of [
      '/etc/hostname',
      join(dir, 'ttyUSB0'),
      '/dev/null',
      'dev/ttyUSB0',
      '/dev/tty../x',
      '/dev/tty',
      '/dev/serial/by-id/..',
    ])
      await expect(setBinding(host(true), 'devices', 'ranger', serial(path), undefined), path).rejects.toThrow(/not another file/);
    await expect(setBinding(host(true), 'devices', 'board', { board: { port: '/dev/zero' } }, undefined)).rejects.toThrow(
      /devices\.board\.board\.port: a serial device/,
    );
    // Past the port check, the document's checks run (here: the circuit file does not exist).
    await expect(setBinding(host(true), 'devices', 'ranger', serial('/dev/ttyFLUXNONE0'), undefined)).rejects.not.toThrow(
      /not another file/,
    );
    await expect(setBinding(host(true), 'inputs', 'x', { from: 'n.out' }, undefined)).rejects.toThrow(/links to other processes/);
  });
});
