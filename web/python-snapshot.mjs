// @ts-check
// A worker that makes the Python snapshot warm boots start from (see pyodide-boot.mjs), then ends.
// engine.js (prepareNextBoot) starts it once the app is idle, when the boot did not use a snapshot.
import { makeSnapshot } from './pyodide-boot.mjs';

try {
  postMessage(await makeSnapshot());
} catch (error) {
  postMessage({ saved: false, error: String(error) });
}
close();
