// @ts-check
// Pyodide for PyScript, started from a memory snapshot when this browser has one (warm boots).
//
// pyscript.toml names this module as the interpreter; PyScript calls its loadPyodide() exactly as
// it would call Pyodide's own. Starting Python runs ~200 standard modules: about 0.9 s here even
// with the standard library compiled to bytecode at build time (scripts/compile_python.mjs).
// Pyodide can save an interpreter's memory right after that start (a "snapshot": its
// `_makeSnapshot` / `_loadSnapshot` options) and later start from it instead (about 0.45 s).
//
// So: a boot without a snapshot starts Python normally. Once the app is ready and idle, engine.js
// runs python-snapshot.mjs, a worker that starts a second Python, imports the pure-Python standard
// modules the app needs (PRELOAD), saves its memory in the browser's Cache Storage and ends. Later
// boots start from that snapshot, then load numpy, Pillow and googly_eyes as usual: packages with
// compiled code cannot be restored from memory alone, so the snapshot is taken before them.
//
// The snapshot holds no photo (its Python never sees one) and never leaves the browser. Anything
// wrong with it (another Pyodide build, a damaged entry, no Cache Storage) means a normal start,
// and a bad entry is deleted.

import { loadPyodide as loadPyodideItself, version } from './vendor/pyodide/pyodide.mjs';

export { version };

const INDEX_URL = new URL('./vendor/pyodide/', import.meta.url).href;
const LOCATION = { indexURL: INDEX_URL, lockFileURL: INDEX_URL + 'pyodide-lock.json' };
const CACHE_NAME = 'googly-python-snapshot'; // not 'googly-eyes-…', the service worker's caches
// A snapshot fits only the files it was made from: scripts/build_site.py stamps this with a hash of
// Pyodide's runtime, the compiled standard library (the snapshot holds zipimport's index of that
// zip) and this file (PRELOAD). Another build's snapshot has another key and is replaced.
const SNAPSHOT_KEY = '__GOOGLY_PYTHON_SNAPSHOT_KEY__';
const SNAPSHOT_URL = new URL(`./python-snapshot/pyodide-${version}-${SNAPSHOT_KEY}`, import.meta.url).href;

// Standard modules that numpy, Pillow, Pyodide's package loader and googly_eyes import after the
// start (measured: sys.modules after a full boot minus those after the start). Importing them
// before the snapshot puts their compiled code in it. Pure Python or built in: no package code.
const PRELOAD = `
import __future__, base64, calendar, csv, ctypes, dataclasses, datetime, hashlib, hmac, json
import numbers, pickle, platform, quopri, secrets, tarfile
import email.message, email.utils, importlib.metadata
`;

// How this start went, for worker.py's boot info (js.googlyPythonStart).
/** @type {import('./protocol.js').StartStats} */
const stats = { snapshot: 'none', ms: 0, packages_ms: 0, error: null };
globalThis.googlyPythonStart = stats;

async function readSnapshot() {
  if (!globalThis.caches) return null;
  try {
    const cache = await caches.open(CACHE_NAME);
    const response = await cache.match(SNAPSHOT_URL);
    if (!response?.body) return null;
    const snapshot = new Uint8Array(await new Response(response.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
    checkSnapshot(snapshot);
    return snapshot;
  } catch (error) {
    stats.error = `read: ${error}`;
    await forgetSnapshot();
    return null;
  }
}

// Pyodide checks a snapshot's build id only after it has set up a wasm memory of the snapshot's
// size, and a memory it cannot use makes it hang rather than fail; so look at the shape first:
// Pyodide's magic number, then a header (its stated size) and whole 64 KiB pages of memory.
const SNAPSHOT_MAGIC = 1886286592;

/** @param {Uint8Array} snapshot */
function checkSnapshot(snapshot) {
  const words = new Uint32Array(snapshot.buffer, snapshot.byteOffset, Math.floor(snapshot.byteLength / 4));
  const memory = snapshot.byteLength - (words[1] ?? 0);
  if (words[0] !== SNAPSHOT_MAGIC || memory <= 0 || memory % 65536 !== 0) {
    throw new Error(`not a Pyodide snapshot (${snapshot.byteLength} bytes)`);
  }
}

/** @param {Uint8Array} snapshot */
async function saveSnapshot(snapshot) {
  if (!globalThis.caches) return false;
  try {
    const gzipped = new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (snapshot)]).stream().pipeThrough(new CompressionStream('gzip'));
    const body = await new Response(gzipped).blob(); // whole, so a partial entry is never stored
    const cache = await caches.open(CACHE_NAME);
    for (const request of await cache.keys()) {
      if (request.url !== SNAPSHOT_URL) await cache.delete(request); // another Pyodide's snapshot
    }
    await cache.put(SNAPSHOT_URL, new Response(body, { headers: { 'Content-Type': 'application/gzip' } }));
    return true;
  } catch (error) {
    stats.error = `save: ${error}`;
    return false;
  }
}

async function forgetSnapshot() {
  try {
    await (await caches.open(CACHE_NAME)).delete(SNAPSHOT_URL);
  } catch {
    // nothing to forget
  }
}

/** @param {Parameters<typeof loadPyodideItself>[0]} options */
async function startPython(options) {
  const snapshot = await readSnapshot();
  if (snapshot) {
    try {
      const pyodide = await loadPyodideItself({ ...options, _loadSnapshot: snapshot });
      stats.snapshot = 'used';
      return pyodide;
    } catch (error) {
      stats.error = `restore: ${error}`;
      await forgetSnapshot();
    }
  }
  return loadPyodideItself(options);
}

// PyScript's entry: Python, then the packages.
/** @param {Parameters<typeof loadPyodideItself>[0] & {packages?: string[]}} options */
export async function loadPyodide({ packages = [], ...options } = {}) {
  // PyScript passes the folder of this file as indexURL; Pyodide's files are one folder down.
  const started = performance.now();
  const pyodide = await startPython({ ...options, ...LOCATION });
  stats.ms = Math.round(performance.now() - started);
  if (packages.length) await pyodide.loadPackage(packages);
  stats.packages_ms = Math.round(performance.now() - started) - stats.ms;
  return pyodide;
}

// Make and save a snapshot, in a Python of its own (python-snapshot.mjs runs this in a worker once
// the app is idle): an interpreter that made a snapshot cannot be used afterwards, as Pyodide
// then wraps every JavaScript object Python sees to record it, and browser methods called through
// the wrapper fail ("Illegal invocation").
export async function makeSnapshot() {
  const started = performance.now();
  const pyodide = await loadPyodideItself({ ...LOCATION, _makeSnapshot: true });
  pyodide.runPython(PRELOAD);
  const snapshot = pyodide.makeMemorySnapshot();
  const saved = await saveSnapshot(snapshot);
  return { saved, bytes: snapshot.length, ms: Math.round(performance.now() - started), error: stats.error };
}
