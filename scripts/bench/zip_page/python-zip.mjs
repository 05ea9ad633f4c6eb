// The "pyodide zipfile" candidate of scripts/bench/zip.py: Python's zipfile in a Pyodide worker, the way
// worker.py would zip its own exports. Each photo is fetched here (as the worker's export would make it),
// copied into wasm memory for zipfile, and every write comes back out as a Blob part.

import { loadPyodide } from './pyodide/pyodide.mjs';

try {
  const pyodide = await loadPyodide({ indexURL: new URL('./pyodide/', import.meta.url).href });
  pyodide.runPython(await (await fetch('./python_zip.py')).text());
  const openZip = pyodide.globals.get('open_zip');
  const add = pyodide.globals.get('add');
  /** @type {Uint8Array[] | null} every photo, when asked to fetch them beforehand (--in-memory) */
  let preloaded = null;
  self.onmessage = async ({ data: { names, preload } }) => {
    try {
      if (preload) {
        preloaded = [];
        for (const name of names) preloaded.push(new Uint8Array(await (await fetch(`photos/${name}`)).arrayBuffer()));
        self.postMessage({ preloaded: true });
        return;
      }
      const now = new Date();
      const dateTime = [now.getFullYear(), now.getMonth() + 1, now.getDate(), now.getHours(), now.getMinutes(), now.getSeconds()];
      const parts = [];
      const archive = openZip(parts);
      for (const [index, name] of names.entries()) {
        const bytes = preloaded ? preloaded[index] : new Uint8Array(await (await fetch(`photos/${name}`)).arrayBuffer());
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
