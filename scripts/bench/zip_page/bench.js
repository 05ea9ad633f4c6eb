// The candidates scripts/bench/zip.py times: each makes one ZIP of the same photos the way "Download all"
// would. The photos arrive one at a time as fresh Uint8Arrays, as the worker's export answers do.
// zip.py puts the libraries next to this file: baseline-zip.js (web/zip.js before it was replaced),
// client-zip.js and fflate.js (from npm), and pyodide/ (the site's vendored Pyodide).

import * as baseline from './baseline-zip.js';
import { downloadZip } from './client-zip.js';
import { Zip, ZipPassThrough } from './fflate.js';

const names = await (await fetch('photos/index.json')).json();
const now = new Date();

/** @type {Uint8Array[] | null} every photo, when preload() fetched them all beforehand */
let preloaded = null;

// What downloadAll receives: each photo's full-resolution file, one after the other.
async function* exports() {
  for (const [index, name] of names.entries()) {
    if (preloaded) yield { name, bytes: preloaded[index] };
    else yield { name, bytes: new Uint8Array(await (await fetch(`photos/${name}`)).arrayBuffer()) };
  }
}

// --in-memory: fetch every photo first, so that a run times the ZIP writer alone.
window.preload = async () => {
  preloaded = [];
  for (const name of names) preloaded.push(new Uint8Array(await (await fetch(`photos/${name}`)).arrayBuffer()));
  if (python) {
    await new Promise((resolve) => {
      python.onmessage = resolve;
      python.postMessage({ names, preload: true });
    });
  }
};

// Python's zipfile in a Pyodide worker of its own, started only on the page that measures it.
const python = new URLSearchParams(location.search).has('python')
  ? await new Promise((resolve, reject) => {
    const worker = new Worker('./python-zip.mjs', { type: 'module' });
    worker.onmessage = (event) => (event.data.ready ? resolve(worker) : reject(new Error(event.data.error)));
    worker.onerror = (event) => reject(new Error(event.message));
  })
  : null;

const CANDIDATES = {
  // The floor: reading the photos and dropping them, no ZIP at all.
  async 'read only'() {
    let total = 0;
    for await (const { bytes } of exports()) total += bytes.length;
    return new Blob([new Uint8Array(0)]);
  },

  // Today's downloadAll: keep every answer, wrap each in a Blob, then web/zip.js's makeZip.
  async 'zip.js (today)'() {
    const answers = [];
    for await (const answer of exports()) answers.push(answer);
    const files = answers.map(({ name, bytes }) => ({ name, data: new Blob([bytes], { type: 'image/jpeg' }) }));
    return baseline.makeZip(files, now);
  },

  // client-zip: an async generator of entries into downloadZip, collected by Response.blob().
  'client-zip'() {
    async function* entries() {
      for await (const { name, bytes } of exports()) yield { name, input: bytes, lastModified: now };
    }
    return downloadZip(entries()).blob();
  },

  // fflate: Zip + ZipPassThrough (stored), its chunks streamed into Response.blob() the same way.
  'fflate'() {
    const stream = new ReadableStream({
      async start(controller) {
        const zip = new Zip((error, chunk, final) => {
          if (error) controller.error(error);
          else {
            controller.enqueue(chunk);
            if (final) controller.close();
          }
        });
        for await (const { name, bytes } of exports()) {
          const entry = new ZipPassThrough(name);
          entry.mtime = now;
          zip.add(entry);
          entry.push(bytes, true);
        }
        zip.end();
      },
    });
    return new Response(stream).blob();
  },

  // Python's zipfile in the worker: each photo copied into wasm memory, each write out as a Blob part.
  'pyodide zipfile'() {
    return new Promise((resolve, reject) => {
      python.onmessage = (event) => (event.data.error ? reject(new Error(event.data.error)) : resolve(event.data.zip));
      python.postMessage({ names });
    });
  },
};

// Make one ZIP with `candidate`; keep it for saveZip(); answer its size and the milliseconds taken.
window.runCandidate = async (candidate) => {
  const started = performance.now();
  const zip = await CANDIDATES[candidate]();
  const ms = performance.now() - started;
  window.lastZip = zip;
  return { ms, bytes: zip.size };
};

// Download the last ZIP the way the page's saveBlob does, then let it go.
window.saveZip = (name) => {
  const url = URL.createObjectURL(window.lastZip);
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  link.click();
  window.lastZip = null;
};

window.benchReady = true;
