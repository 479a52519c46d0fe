#!/usr/bin/env node
// Entry point of the `flux` command; the TypeScript is compiled to dist/ by `npm install` (prepare).
import { main } from '../dist/cli/main.js';

await main(process.argv);
