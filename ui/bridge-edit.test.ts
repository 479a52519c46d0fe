import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { definitionsFor, shippedTypes } from '../bridge/codec/definitions.js';
import { compileFieldPath } from '../bridge/fieldpath.js';
import { fieldPaths } from './bridge-edit.js';
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
