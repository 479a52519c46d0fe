// A flat circuit: one document with qualified names, and for every element the layers (files and
// overrides) that wrote it. The resolver builds it and the checker reads it; both import this module
// so that neither imports the other.
import { splitPointer } from './parse.js';
import type { CircuitDoc } from './document.js';

/** One source of values for a module's document: a file, or an override inside a file. */
export interface Layer {
  file: string;
  /** Pointer prefix of this layer's content inside its file ('' or /include/0/override). */
  prefix: string;
  raw: unknown;
  locate: (pointer: string) => number | undefined;
}

export interface ModuleNode {
  prefix: string;
  file: string;
  name?: string;
  children: ModuleNode[];
}

/** Where an element of the flat circuit was written. */
export interface Origin {
  layers: Layer[];
  /** Pointer of the element inside its module document, e.g. /populations/exc */
  local: string;
}

export type Section = 'models' | 'populations' | 'projections' | 'modulators' | 'sources' | 'inputs' | 'outputs';
export const SECTIONS: Section[] = ['models', 'populations', 'projections', 'modulators', 'sources', 'inputs', 'outputs'];

export interface FlatCircuit {
  rootFile: string;
  /** The layers of the root document (with its bases), to locate top-level values such as /dt. */
  rootLayers?: Layer[];
  doc: CircuitDoc;
  /** Qualified port name -> qualified reference. */
  aliases: Map<string, string>;
  origins: Map<string, Origin>;
  modules: ModuleNode;
  /** Qualified names of elements the schema rejected (reported); references to them are not reported again. */
  broken: Set<string>;
}

/** Follows module ports ("left.out") to the population they expose. */
export function followPorts(aliases: Map<string, string>, ref: string): string {
  let r = ref;
  for (let i = 0; i < 16 && aliases.has(r); i++) r = aliases.get(r)!;
  return r;
}

/** Finds the layer that wrote a pointer (the first that has it) and turns it into an issue location. */
export function locateIn(layers: Layer[], local: string): { file: string; path: string; line?: number } {
  for (const layer of layers) {
    if (hasPointer(layer.raw, local)) {
      const path = layer.prefix + local;
      return { file: layer.file, path, line: layer.locate(path) };
    }
  }
  // The element exists but the exact value does not (a missing property): point at the nearest parent.
  const parts = splitPointer(local);
  while (parts.length > 0) {
    parts.pop();
    const parent = parts.length ? '/' + parts.join('/') : '';
    for (const layer of layers) {
      if (hasPointer(layer.raw, parent)) {
        return { file: layer.file, path: local === '' ? layer.prefix : layer.prefix + local, line: layer.locate(layer.prefix + parent) };
      }
    }
  }
  const last = layers[layers.length - 1];
  return { file: last.file, path: local };
}

function hasPointer(raw: unknown, ptr: string): boolean {
  let cur = raw;
  for (const p of splitPointer(ptr)) {
    if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, p)) return false;
    cur = (cur as Record<string, unknown>)[p];
  }
  return true;
}
