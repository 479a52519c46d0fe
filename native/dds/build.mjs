#!/usr/bin/env node
// Builds Flux's Cyclone DDS addon (native/dds) against the libddsc present on this machine, at
// install time (package.json "install") or on demand (`npm run build:dds`). Without libddsc the
// build is skipped with the command that would install it: the `dds` transport then reports itself
// unavailable and the rest of Flux works. A failed compile is reported the same way and never fails
// `npm ci`, unless FLUX_DDS_REQUIRED=1 (CI sets it, so a broken addon cannot pass unnoticed).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ddsEnv, ddsFlags } from './dds-flags.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const required = process.env.FLUX_DDS_REQUIRED === '1';

function give(reason) {
  const line = `flux: the DDS transport is not built: ${reason}`;
  if (required) {
    console.error(line);
    process.exit(1);
  }
  console.warn(line);
  process.exit(0);
}

// Where Cyclone DDS may live besides the system: a sourced ROS 2 (its own cyclonedds) or CYCLONEDDS_HOME.
const { env } = ddsEnv();
const flags = ddsFlags();
if (!flags) give('Cyclone DDS is not installed (apt-get install pkg-config cyclonedds-dev; on a ROS 2 machine, source its setup.bash)');
if (spawnSync('c++', ['--version'], { env }).status !== 0) give('no C++ compiler (apt-get install g++)');

// node-gyp: npm's own (npm hands its path to lifecycle scripts), else the one beside npm.
const gyp =
  process.env.npm_config_node_gyp ?? join(dirname(process.execPath), '../lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js');
if (!existsSync(gyp)) give(`node-gyp not found (looked at ${gyp}); run this through npm: npm run build:dds`);

// Node's headers must come from this machine: node-gyp would download them, and on robots and in
// CI only the npm registry may be reachable.
const nodedir = [process.env.npm_config_nodedir, join(dirname(process.execPath), '..'), '/usr'].find(
  (d) => d && existsSync(join(d, 'include/node/node_api.h')),
);
if (!nodedir) give(`Node.js headers not found (apt-get install libnode-dev, or a Node.js tarball's include/)`);

const started = Date.now();
const r = spawnSync(process.execPath, [gyp, 'rebuild', `--nodedir=${nodedir}`, '--jobs=2'], {
  cwd: here,
  env,
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
});
if (r.status !== 0) {
  process.stderr.write(r.stdout + r.stderr);
  give(`the compile failed (output above); Cyclone DDS ${flags.version}`);
}
console.log(`flux: built the DDS transport against Cyclone DDS ${flags.version} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
