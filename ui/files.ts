// The files the IDE reads and writes beside the circuit it edits: the circuit file, its bridge
// document, the modules it includes, the packages installed where it can see them. In a Flux process
// these are the machine's files (files-node.ts); in a browser tab, the page's documents
// (files-page.ts, put in its place by package.json "browser"). Reading goes through the engine's host
// (host().readText), which reads the same files the engine builds from.
import { ideFiles as selected } from './files-node.js';
import type { IdeFiles } from './files-api.js';

export type { IdeFiles, StagedWrite } from './files-api.js';

/** The IDE's files where this program runs. */
export const ideFiles = (): IdeFiles => selected;
