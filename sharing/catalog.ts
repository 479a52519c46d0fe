// What installed Flux packages provide, as the dashboard's component browser lists them: declared
// here, where the listing is made (packages.ts), and read by the browser code too (ui/web/protocol.ts
// re-exports it; ui/tsconfig.json compiles this one file with the page). Types only: no imports.

/** A circuit of an installed Flux package, as the component browser lists it (GET /api/packages). */
export interface InstalledCircuit {
  package: string;
  version: string;
  description?: string;
  /** What an include names: `<package>/<circuit>`. */
  module: string;
  circuit: string;
  populations: number;
  neurons: number;
  ports: string[];
  problem?: string;
}
