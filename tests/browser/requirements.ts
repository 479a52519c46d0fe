// tests/requirements.ts in a page (the browser project of vitest.config.ts puts this module in its
// place). The browser project runs only where Chromium is (or under CI=true, where it must); what a
// page may lack is the suite's own probe (a WebGPU adapter): without CI=true it is skipped, named in a
// skipped test; under CI=true it fails, as in Node.
import { it } from 'vitest';

export type Need = 'webgpu' | 'chromium';

export interface Requirement {
  skip: boolean;
  reason: string | null;
}

export function requires(need: Need, reason: string | null): Requirement {
  if (reason === null) return { skip: false, reason: null };
  // Written in by the page project's `define` (vitest.config.ts).
  const ci = process.env.CI === 'true';
  if (ci)
    it(`needs ${need} (CI=true)`, () => {
      throw new Error(`${need} is missing in the page: ${reason}`);
    });
  else it.skip(`needs ${need}: ${reason}`, () => undefined);
  return { skip: true, reason };
}
