#!/usr/bin/env node
// Compiler and linker flags for Cyclone DDS, for binding.gyp: pkg-config's CycloneDDS where it has one,
// else a Cyclone DDS install prefix that has none (CYCLONEDDS_HOME, a sourced ROS 2's /opt/ros/<distro>).
// `node dds-flags.mjs cflags|libs|libdir|version|prefix`; exits 1 when no Cyclone DDS is found.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export function ddsEnv() {
  const prefixes = [process.env.CYCLONEDDS_HOME, process.env.ROS_DISTRO && `/opt/ros/${process.env.ROS_DISTRO}`].filter(Boolean);
  const pc = prefixes
    .flatMap((p) => [join(p, 'lib/pkgconfig'), join(p, 'lib/x86_64-linux-gnu/pkgconfig'), join(p, 'lib/aarch64-linux-gnu/pkgconfig')])
    .filter((p) => existsSync(p));
  return { prefixes, env: { ...process.env, PKG_CONFIG_PATH: [...pc, process.env.PKG_CONFIG_PATH].filter(Boolean).join(':') } };
}

export function ddsFlags() {
  const { prefixes, env } = ddsEnv();
  const pk = (...a) => spawnSync('pkg-config', a, { env, encoding: 'utf8' });
  if (pk('--exists', 'CycloneDDS').status === 0)
    return {
      cflags: pk('--cflags', 'CycloneDDS').stdout.trim(),
      libs: pk('--libs', 'CycloneDDS').stdout.trim(),
      libdir: pk('--variable=libdir', 'CycloneDDS').stdout.trim(),
      version: pk('--modversion', 'CycloneDDS').stdout.trim(),
    };
  for (const p of prefixes) {
    if (!existsSync(join(p, 'include/dds/dds.h')) || !existsSync(join(p, 'lib/libddsc.so'))) continue;
    return {
      cflags: `-I${join(p, 'include')} -DDDS_NDEBUG`,
      libs: `-L${join(p, 'lib')} -lddsc`,
      libdir: join(p, 'lib'),
      version: `at ${p}`,
    };
  }
  return null;
}

if (process.argv[1] && process.argv[1].endsWith('dds-flags.mjs')) {
  const f = ddsFlags();
  if (!f) process.exit(1);
  console.log(f[process.argv[2]] ?? '');
}
