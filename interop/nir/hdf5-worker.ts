// The thread that reads one NIR file for readNirFile (hdf5.ts), which terminates it when the HDF5
// library takes longer than the time bound: WebAssembly cannot be interrupted from inside.
import { parentPort, workerData } from 'node:worker_threads';
import { hdf5Message, readNirFileInThread, type WorkerAnswer } from './hdf5.js';
import { NirFileError } from './graph.js';

const { file } = workerData as { file: string };
let answer: WorkerAnswer;
try {
  answer = { ok: true, nir: await readNirFileInThread(file) };
} catch (e) {
  answer = { ok: false, message: e instanceof NirFileError ? e.reason : `the HDF5 reader failed: ${hdf5Message(e)}` };
}
parentPort!.postMessage(answer);
