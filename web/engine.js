// The bridge to the Python worker (worker.py): start it, and ask it to analyse, render and export
// photos. Python runs in a PyScript worker, off the main thread, so the page never freezes.
// Every call answers plain data; a photo that fails answers { ok: false, error: {code, message, hint} }.
// Calls are queued one at a time: the worker handles one photo at once anyway, and a queue lets a
// quick re-render (a slider moved) go ahead of the remaining batch.

import { whenDefined } from './vendor/pyscript/core.js';

const pageOption = (name) => new URLSearchParams(location.search).get(name);

export class Engine {
  constructor(worker, info) {
    this.worker = worker;
    this.info = info;
    this.urgent = [];  // re-renders and exports the user is waiting for
    this.batch = [];   // analyses of newly dropped photos
    this.running = false;
    this.idle = [];    // resolvers waiting for an empty queue
  }

  // Start the worker and load the models; `onStage('runtime' | 'models')` reports progress.
  static async start(onStage) {
    onStage('runtime');
    // index.html's <script type="py" worker> starts the worker once PyScript (core.js) is loaded.
    await whenDefined('py');
    const worker = document.querySelector('script[type="py"][worker]').xworker;
    await worker.ready;
    onStage('models');
    const options = { base: document.baseURI, threads: pageOption('threads'), model: pageOption('model'), mesh: pageOption('mesh'), export: pageOption('export') };
    const info = JSON.parse(await worker.sync.boot(JSON.stringify(options)));
    if (!info.ok) throw new Error(info.message);
    return new Engine(worker, info);
  }

  // Run `call` when the worker is free; urgent calls go before queued analyses.
  schedule(call, urgent) {
    return new Promise((resolve, reject) => {
      (urgent ? this.urgent : this.batch).push({ call, resolve, reject });
      this.drain();
    });
  }

  async drain() {
    if (this.running) return;
    this.running = true;
    while (this.urgent.length || this.batch.length) {
      const job = this.urgent.shift() ?? this.batch.shift();
      try {
        job.resolve(await job.call());
      } catch (error) {
        job.reject(error);
      }
    }
    this.running = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  whenIdle() {
    if (!this.running && !this.urgent.length && !this.batch.length) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  // After a boot that could not start Python from a snapshot, make one for the next boot
  // (pyodide-boot.mjs) once no photo is waiting: it costs one more Python start (about 1.2-1.5 s
  // of one CPU) in a worker of its own. Answers what python-snapshot.mjs reported, or null.
  async prepareNextBoot() {
    if (this.info.python?.snapshot !== 'none' || !('caches' in self)) return null;
    await this.whenIdle();
    return new Promise((resolve) => {
      const worker = new Worker(new URL('./python-snapshot.mjs', import.meta.url), { type: 'module' });
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => resolve({ saved: false, error: event.message ?? 'the worker failed' });
    });
  }

  static bytesOf(file) {
    return file.arrayBuffer().then((buffer) => new Uint8Array(buffer));
  }

  // Find faces in a new photo and render its first preview; `onStart()` runs when its turn comes.
  analyse(id, file, view, onStart) {
    return this.schedule(async () => {
      onStart?.();
      return this.worker.sync.analyse(id, await Engine.bytesOf(file), file.name, JSON.stringify(view));
    }, false);
  }

  // Re-render the preview for new settings or edits (decoding the file again if the worker let it go).
  render(id, file, view) {
    return this.schedule(async () => {
      const json = JSON.stringify(view);
      const answer = await this.worker.sync.render(id, json, null);
      if (answer.missing && answer.name) return this.worker.sync.render(id, json, await Engine.bytesOf(file));
      return answer;
    }, true);
  }

  // The full-resolution file for download: output = { format, quality }.
  export(id, file, view, output) {
    return this.schedule(async () => this.worker.sync.export(id, await Engine.bytesOf(file), JSON.stringify(view), JSON.stringify(output)), true);
  }

  forget(id) {
    return this.schedule(() => this.worker.sync.forget(id), true);
  }

  async memory() {
    return JSON.parse(await this.schedule(() => this.worker.sync.memory(), true));
  }

  timeModel(runs) {
    return this.schedule(() => this.worker.sync.time_model(runs), true);
  }
}
