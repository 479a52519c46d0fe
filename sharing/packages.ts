// Sharing circuits and extensions through npm: `flux add` installs a package and lists what it
// provides, `flux pack` turns a circuit (with the local modules it includes) into a publishable
// package. A Flux package is an ordinary npm package whose package.json has a `flux` field:
//   "flux": { "circuits": { "half-centre": "half-centre.yaml" }, "extensions": ["deadband"] }
// Circuits are included by package path (`@lab/cpg/half-centre`, with an optional semver `version`
// range); extensions are loaded by package name in a bridge document's `extensions.load`. npm does the
// installing, versions and dependencies; Flux adds checks, listings and the packing.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import semver from 'semver';
import { loadCircuit } from '../engine/engine.js';
import { parseFile } from '../engine/circuit/parse.js';
import { findPackageDir, isModulePath, packageNameOf, resolveModulePath } from '../engine/circuit/resolve.js';
import type { CircuitDoc } from '../engine/circuit/document.js';
import { ExtensionRegistry, packageEntry } from '../extensions/registry.js';
import type { InstalledCircuit } from './catalog.js';

export interface FluxManifest {
  circuits?: Record<string, string>;
  /** Models defined by equations (one model document each), used as `models: { eif: "<package>/eif" }`. */
  models?: Record<string, string>;
  /** Names of the extensions the package's main module exports (documentation; the module is what loads). */
  extensions?: string[];
}

export interface PackageInfo {
  name: string;
  version: string;
  dir: string;
  description?: string;
  flux: FluxManifest | null;
}

function readPackage(dir: string, readText = (path: string) => readFileSync(path, 'utf8')): PackageInfo {
  const p = JSON.parse(readText(join(dir, 'package.json'))) as {
    name: string;
    version: string;
    description?: string;
    flux?: FluxManifest;
  };
  return { name: p.name, version: p.version, dir, description: p.description, flux: p.flux ?? null };
}

/**
 * What a package provides, checked: every circuit it names loads and validates (with its own
 * includes), and its extensions load and pass the extension checks. Problems name the package and the
 * circuit or extension.
 */
export async function describePackage(dir: string): Promise<{
  info: PackageInfo;
  circuits: { name: string; module: string; populations: number; neurons: number }[];
  models: { name: string; module: string; kind: string }[];
  extensions: { name: string; kind: string; doc: string }[];
  problems: string[];
}> {
  const info = readPackage(dir);
  const problems: string[] = [];
  const models: { name: string; module: string; kind: string }[] = [];
  for (const [name, rel] of Object.entries(info.flux?.models ?? {})) {
    // A model is checked as a circuit that defines only it would be: schema, units, method.
    try {
      const file = resolve(dir, rel);
      loadCircuit(join(dir, 'package.json'), `models:\n  ${name}: ${JSON.stringify(file)}\n`);
      const kind = (parseFile(file).doc as { kind?: string }).kind ?? 'neuron';
      models.push({ name, module: `${info.name}/${name}`, kind });
    } catch (e) {
      problems.push(`${info.name}: model ${name} (${rel}): ${(e as Error).message}`);
    }
  }
  const circuits: { name: string; module: string; populations: number; neurons: number }[] = [];
  const extensions: { name: string; kind: string; doc: string }[] = [];
  for (const [name, rel] of Object.entries(info.flux?.circuits ?? {})) {
    try {
      const { circuit } = loadCircuit(resolve(dir, rel));
      circuits.push({
        name,
        module: `${info.name}/${name}`,
        populations: circuit.populations.length,
        neurons: circuit.populations.reduce((a, p) => a + p.size, 0),
      });
    } catch (e) {
      problems.push(`${info.name}: circuit ${name} (${rel}): ${(e as Error).message}`);
    }
  }
  if (info.flux?.extensions?.length) {
    const registry = new ExtensionRegistry();
    try {
      const names = await registry.load(packageEntry(dir), dir);
      for (const n of names) {
        const e = registry.get(n)!.extension;
        extensions.push({ name: n, kind: e.kind, doc: e.doc });
      }
      for (const n of info.flux.extensions)
        if (!names.includes(n))
          problems.push(
            `${info.name}: its flux.extensions names "${n}", which its module does not export (it exports ${names.join(', ') || 'nothing'})`,
          );
    } catch (e) {
      problems.push(`${info.name}: ${(e as Error).message}`);
    }
  }
  if (!info.flux) problems.push(`${info.name} is not a Flux package: its package.json has no "flux" field`);
  return { info, circuits, models, extensions, problems };
}

/** `flux add <spec...>`: npm install into the project here, then what each package provides. */
export async function fluxAdd(specs: string[], cwd = process.cwd()): Promise<number> {
  if (!existsSync(join(cwd, 'package.json'))) {
    // A robot project without a package.json yet: a private one, so npm installs here and not in a parent.
    writeFileSync(
      join(cwd, 'package.json'),
      JSON.stringify(
        {
          name:
            basename(cwd)
              .toLowerCase()
              .replace(/[^a-z0-9-]/g, '-') || 'flux-project',
          private: true,
        },
        null,
        2,
      ) + '\n',
    );
    console.log(`flux add: created ${join(cwd, 'package.json')}`);
  }
  const r = spawnSync('npm', ['install', '--save', '--no-audit', '--no-fund', ...specs], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0) {
    console.error(`flux add: npm install ${specs.join(' ')} failed:\n${(r.stderr || r.stdout).trim()}`);
    return 1;
  }
  const deps =
    (JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {};
  let failed = 0;
  for (const spec of specs) {
    // The name npm saved it under: a path or tarball installs under its package.json's name.
    const local = resolve(cwd, spec);
    const name = existsSync(join(local, 'package.json'))
      ? readPackage(local).name // a folder: its own name
      : (Object.keys(deps).find((d) => deps[d].endsWith(basename(spec))) ?? spec.replace(/^(@?[^@]+)@.*$/, '$1')); // a tarball, or name@range
    const dir = join(cwd, 'node_modules', name);
    if (!existsSync(join(dir, 'package.json'))) {
      console.error(`flux add: ${spec} installed, but node_modules/${name} is not where it went`);
      failed++;
      continue;
    }
    const d = await describePackage(dir);
    console.log(`${d.info.name}@${d.info.version}${d.info.description ? `: ${d.info.description}` : ''}`);
    for (const c of d.circuits)
      console.log(
        `  circuit ${c.module}  (${c.populations} populations, ${c.neurons} neurons)  include: { module: '${c.module}', version: '^${d.info.version}', prefix: ... }`,
      );
    for (const m of d.models) console.log(`  ${m.kind} model ${m.module}  models: { ${m.name}: '${m.module}' }`);
    for (const x of d.extensions) console.log(`  extension ${x.name} (${x.kind}): ${x.doc}  extensions: { load: [${d.info.name}] }`);
    for (const p of d.problems) console.error(`  problem: ${p}`);
    if (d.problems.length) failed++;
  }
  return failed ? 1 : 0;
}

/** The files a circuit needs from its own folder, and the packages it includes (with ranges). */
function closure(
  file: string,
  root: string,
  files = new Set<string>(),
  packages = new Map<string, string>(),
): { files: Set<string>; packages: Map<string, string> } {
  if (files.has(file)) return { files, packages };
  if (relative(root, file).startsWith('..'))
    throw new Error(`${file} is outside ${root}: a package can only carry files under the circuit's folder`);
  files.add(file);
  const doc = parseFile(file).doc as CircuitDoc;
  const refs = [
    ...(doc.extends ? [{ module: doc.extends, version: undefined as string | undefined }] : []),
    ...(doc.include ?? []).map((i) => ({ module: i.module, version: i.version })),
  ];
  // Models given by reference travel too: a file as part of the package, a package model as a dependency.
  const modelRefs = Object.values(doc.models ?? {}).filter((m): m is string => typeof m === 'string');
  for (const m of modelRefs) {
    if (isModulePath(m)) {
      const f = resolveModulePath(m, file, 'models');
      if (relative(root, f).startsWith('..'))
        throw new Error(`${f} is outside ${root}: a package can only carry files under the circuit's folder`);
      files.add(f);
    } else refs.push({ module: m, version: undefined });
  }
  for (const r of refs) {
    if (isModulePath(r.module)) closure(resolveModulePath(r.module, file), root, files, packages);
    else {
      // The circuit loaded (fluxPack checked it first), so the package is installed.
      const name = packageNameOf(r.module);
      packages.set(name, r.version ?? packages.get(name) ?? `^${readPackage(findPackageDir(name, file)!).version}`);
    }
  }
  return { files, packages };
}

/**
 * `flux pack <circuit>`: validates the circuit with everything it includes, then writes a package:
 * the circuit and its local modules (paths kept), a package.json naming the circuit under `flux` with
 * the packages it includes as dependencies, a README; and `npm pack` makes the tarball to publish.
 */
export function fluxPack(circuitFile: string, o: { name?: string; version?: string; out: string }): { dir: string; tarball: string } {
  const file = resolve(circuitFile);
  const { circuit } = loadCircuit(file); // every problem, with file, line and path, before anything is written
  const version = o.version ?? '1.0.0';
  if (!semver.valid(version)) throw new Error(`--version ${version}: not a semver version (e.g. 1.0.0)`);
  const doc = parseFile(file).doc as CircuitDoc;
  const circuitName = (doc.name ?? basename(file).replace(/\.(ya?ml|json)$/i, '')).replace(/[^A-Za-z0-9_-]/g, '-');
  const name = o.name ?? `flux-circuit-${circuitName}`;
  if (!/^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/.test(name))
    throw new Error(`package name "${name}" is not a valid npm name (lower case, e.g. @lab/cpg)`);
  const root = dirname(file);
  const { files, packages } = closure(file, root);
  const dir = resolve(o.out, name.replace('/', '__'));
  mkdirSync(dir, { recursive: true });
  for (const f of files) {
    const to = join(dir, relative(root, f));
    mkdirSync(dirname(to), { recursive: true });
    // An editor's $schema hint points into Flux's checkout; the packed copy drops nothing else.
    copyFileSync(f, to);
  }
  const rel = (f: string) => relative(root, f).split('\\').join('/');
  const manifest = {
    name,
    version,
    description:
      doc.description ??
      `Flux circuit ${circuitName}: ${circuit.populations.length} populations, ${circuit.populations.reduce((a, p) => a + p.size, 0)} neurons`,
    keywords: ['flux-circuit'],
    files: [...[...files].map(rel), 'README.md'],
    flux: { circuits: { [circuitName]: rel(file) } },
    ...(packages.size ? { dependencies: Object.fromEntries([...packages].sort()) } : {}),
  };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
  if (!existsSync(join(dir, 'README.md')))
    writeFileSync(
      join(dir, 'README.md'),
      `# ${name}\n\n${manifest.description}\n\n\`\`\`yaml\ninclude:\n  - { module: '${name}/${circuitName}', version: '^${version}', prefix: ${circuitName.replace(/-/g, '_')} }\n\`\`\`\n\nMade with \`flux pack\` from ${basename(file)}.\n`,
    );
  const r = spawnSync('npm', ['pack', '--pack-destination', resolve(o.out)], {
    cwd: dir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status !== 0) throw new Error(`npm pack failed: ${(r.stderr || r.stdout).trim()}`);
  const tarball = resolve(o.out, r.stdout.trim().split('\n').at(-1)!);
  return { dir, tarball };
}

export type { InstalledCircuit } from './catalog.js';

/** How installedCircuits looks into folders: the machine's by default, the page's documents in a tab (ui/files.ts). */
export interface PackageFolders {
  exists(path: string): boolean;
  /** The names in a folder. */
  list(path: string): string[];
  readText(path: string): string;
}

const MACHINE_FOLDERS: PackageFolders = {
  exists: (path) => existsSync(path),
  list: (path) => readdirSync(path),
  readText: (path) => readFileSync(path, 'utf8'),
};

/**
 * The circuits of every Flux package installed where `fromDir` can see them (node_modules folders
 * from there up, as Node resolves packages), for the dashboard's component browser.
 */
export function installedCircuits(fromDir: string, folders: PackageFolders = MACHINE_FOLDERS): InstalledCircuit[] {
  const { exists, list } = folders;
  const out: InstalledCircuit[] = [];
  const seen = new Set<string>();
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const nm = join(dir, 'node_modules');
    if (exists(nm)) {
      const names = list(nm).flatMap((n) => (n.startsWith('@') ? list(join(nm, n)).map((m) => `${n}/${m}`) : [n]));
      for (const name of names) {
        if (seen.has(name) || !exists(join(nm, name, 'package.json'))) continue;
        let info: PackageInfo;
        try {
          info = readPackage(join(nm, name), folders.readText);
        } catch {
          continue;
        }
        if (!info.flux?.circuits) continue;
        seen.add(name);
        for (const [circuit, rel] of Object.entries(info.flux.circuits)) {
          const entry: InstalledCircuit = {
            package: info.name,
            version: info.version,
            description: info.description,
            module: `${info.name}/${circuit}`,
            circuit,
            populations: 0,
            neurons: 0,
            ports: [],
          };
          try {
            const { circuit: c } = loadCircuit(resolve(info.dir, rel));
            entry.populations = c.populations.length;
            entry.neurons = c.populations.reduce((a, p) => a + p.size, 0);
            entry.ports = Object.keys((parseFile(resolve(info.dir, rel)).doc as CircuitDoc).ports ?? {});
          } catch (e) {
            entry.problem = (e as Error).message;
          }
          out.push(entry);
        }
      }
    }
    if (dirname(dir) === dir) break;
  }
  return out.sort((a, b) => a.module.localeCompare(b.module));
}
