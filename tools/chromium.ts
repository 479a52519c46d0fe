// Debian's chromium: the browser the page suites, the browser bench and vitest's page project drive.
import { existsSync } from 'node:fs';

export const CHROMIUM = '/usr/bin/chromium';

/** Whether the suites that drive Chromium run: it is here, or CI=true requires it (they fail without it there). */
export const chromiumSuitesRun = (): boolean => existsSync(CHROMIUM) || process.env.CI === 'true';
