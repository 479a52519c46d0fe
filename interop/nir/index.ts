// NIR (Neuromorphic Intermediate Representation) import and export for Flux circuits.
// Conventions (units, scale factors, what maps to what): conventions.ts and README.md.
export * from './graph.js';
export * from './conventions.js';
export { readNirFile, writeNirFile, NIR_READ_TIMEOUT_MS, NIR_MAX_FILE_BYTES, type NirReadOptions } from './hdf5.js';
export { checkNirFile, NIR_IMPORT_LIMITS } from './check.js';
export { circuitToNir, exportNir, type NirExportOptions, type NirExportResult } from './export.js';
export { nirToCircuit, importNir, type NirImportOptions, type NirImportResult } from './import.js';
