// The "pyodide zipfile" candidate of scripts/bench/zip.py: Python's zipfile in a Pyodide worker, the way
// worker.py would zip its own exports. Each photo is fetched here (as the worker's export would make it),
// copied into wasm memory for zipfile, and every write comes back out as a Blob part.

import { loadPyodide } from './pyodide/pyodide.mjs';

try {
  const pyodide = await loadPyodide({ indexURL: new URL('./pyodide/', import.meta.url).href });
  pyodide.runPython(await (await fetch('./python_zip.py')).text());
  const openZip = pyodide.globals.get('open_zip');
  const add = pyodide.globals.get('add');
  self.onmessage = async ({ data: { names } }) => {
    try {
      const now = new Date();
      const dateTime = [now.getFullYear(), now.getMonth() + 1, now.getDate(), now.getHours(), now.getMinutes(), now.getSeconds()];
      const parts = [];
      const archive = openZip(parts);
      for (const name of names) {
        const bytes = new Uint8Array(await (await fetch(`photos/${name}`)).arrayBuffer());
        add(archive, name, bytes, dateTime);
      }
      archive.close();
      archive.destroy();
      self.postMessage({ zip: new Blob(parts, { type: 'application/zip' }) });
    } catch (error) {
      self.postMessage({ error: String(error) });
    }
  };
  self.postMessage({ ready: true });
} catch (error) {
  self.postMessage({ error: String(error) });
}
