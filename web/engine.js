// @ts-check
// The bridge to the Python worker (worker.py): start it, and ask it to analyse, render and export
// photos. Python runs in a PyScript worker, off the main thread, so the page never freezes.
// Every call sends one request and answers one object, as protocol.js declares them: {ok: true, ...}
// or {ok: false, error: {code, message, hint}}.
// Calls are queued one at a time: the worker handles one photo at once anyway, and a queue lets a
// quick re-render (a slider moved) go ahead of the remaining batch.

/** @typedef {import('./protocol.js').WorkerCalls} WorkerCalls */
/** @typedef {import('./protocol.js').BootInfo} BootInfo */
/** @typedef {import('./protocol.js').Failed} Failed */
/** @typedef {import('./protocol.js').View} View */

import { whenDefined } from './vendor/pyscript/core.js';

/** @param {string} name  a ?query option of the page (benchmarks) */
const pageOption = (name) => new URLSearchParams(location.search).get(name);

export class Engine {
  /**
   * @param {WorkerCalls} calls  the worker's functions
   * @param {BootInfo} info  what the boot reported
   */
  constructor(calls, info) {
    this.calls = calls;
    this.info = info;
    /** @type {Job[]} re-renders and exports the user is waiting for */
    this.urgent = [];
    /** @type {Job[]} analyses of newly dropped photos */
    this.batch = [];
    /** @type {Job[]} warming up after boot: only while nothing else waits (warmUp) */
    this.spare = [];
    this.running = false;
    /** @type {(() => void)[]} resolvers waiting for an empty queue */
    this.idle = [];
  }

  /**
   * Start the worker and load the models; `onStage('runtime' | 'models')` reports progress.
   * @param {(stage: 'runtime' | 'models') => void} onStage
   */
  static async start(onStage) {
    onStage('runtime');
    // index.html's <script type="py" worker> starts the worker once PyScript (core.js) is loaded.
    await whenDefined('py');
    const script = /** @type {any} */ (document.querySelector('script[type="py"][worker]'));
    const worker = script.xworker;
    await worker.ready;
    onStage('models');
    /** @type {WorkerCalls} */
    const calls = worker.sync;
    const info = await calls.boot({ base: document.baseURI, threads: pageOption('threads'), model: pageOption('model'), mesh: pageOption('mesh'), export: pageOption('export'), turns: pageOption('turns'), video: pageOption('video') });
    if (!info.ok) throw new Error(`${info.error.message} ${info.error.hint}`);
    return new Engine(calls, info);
  }

  /**
   * Run `call` when the worker is free; urgent calls go before queued analyses.
   * @template T
   * @param {() => Promise<T>} call
   * @param {boolean} urgent
   * @returns {Promise<T>}
   */
  schedule(call, urgent) {
    return new Promise((resolve, reject) => {
      (urgent ? this.urgent : this.batch).push({ call, resolve, reject });
      this.drain();
    });
  }

  async drain() {
    if (this.running) return;
    this.running = true;
    const next = () => this.urgent.shift() ?? this.batch.shift() ?? this.spare.shift();
    for (let job = next(); job; job = next()) {
      try {
        job.resolve(await job.call());
      } catch (error) {
        job.reject(error);
      }
    }
    this.running = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  /**
   * Warm the models up in small calls (worker.py warm_up says when to stop) that run only while no photo
   * waits: a step takes 20-250 ms, so a photo dropped meanwhile waits at most one, and the first photo then
   * runs on warmed-up code. Each step is queued when the one before it is done, so a photo's call comes next.
   */
  warmUp() {
    let step = 0;
    /** @param {import('./protocol.js').WarmUpAnswer | null} answer */
    const queue = (answer) => {
      if (answer && !answer.more) return;
      const current = step++;
      this.spare.push({ call: () => this.calls.warm_up({ step: current }), resolve: queue, reject: () => {} });
      this.drain();
    };
    queue(null);
  }

  /** @returns {Promise<void>} */
  whenIdle() {
    if (!this.running && !this.urgent.length && !this.batch.length) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(() => resolve()));
  }

  // After a boot that could not start Python from a snapshot, make one for the next boot
  // (pyodide-boot.mjs) once no photo is waiting: it costs one more Python start (about 1.2-1.5 s
  // of one CPU) in a worker of its own. Answers what python-snapshot.mjs reported, or null.
  /** @returns {Promise<import('./protocol.js').SnapshotReport | null>} */
  async prepareNextBoot() {
    if (this.info.python?.snapshot !== 'none' || !('caches' in self)) return null;
    await this.whenIdle();
    return new Promise((resolve) => {
      const worker = new Worker(new URL('./python-snapshot.mjs', import.meta.url), { type: 'module' });
      worker.onmessage = (event) => resolve(event.data);
      worker.onerror = (event) => resolve({ saved: false, error: event.message ?? 'the worker failed' });
    });
  }

  /** @param {Blob} file */
  static bytesOf(file) {
    return file.arrayBuffer().then((buffer) => new Uint8Array(buffer));
  }

  /**
   * Find faces in a photo and render its first preview. Options: `turn` (quarter turns clockwise, the
   * editor's Rotate), `urgent` (ahead of the queued batch: a photo being edited), `onStart()` when its
   * turn comes, `cancelled()` checked then: a photo removed while it waited is not analysed at all.
   * @param {string} id
   * @param {File} file
   * @param {View} view
   * `onEarly(answer)`: the photo's first googly eyes, from the whole-photo look, while its small faces are
   * still being looked for (a photo with none to look for, or no face at that look, has no early answer).
   * @param {{turn?: number, urgent?: boolean, onStart?: () => void, cancelled?: () => boolean,
   *   onEarly?: (answer: import('./protocol.js').EarlyAnswer) => void}} [options]
   * @returns {Promise<import('./protocol.js').AnalyseAnswer | Failed>}
   */
  analyse(id, file, view, { turn = 0, urgent = false, onStart, cancelled, onEarly } = {}) {
    return this.schedule(async () => {
      if (cancelled?.()) return Engine.removed(file.name);
      onStart?.();
      const channel = onEarly ? new BroadcastChannel(EARLY_CHANNEL) : null;
      /** @param {MessageEvent<import('./protocol.js').EarlyAnswer>} event */
      if (channel) channel.onmessage = ({ data }) => { if (data.id === id) onEarly?.(data); };
      try {
        return await this.calls.analyse({ id, name: file.name, bytes: await Engine.bytesOf(file), view, turn, early: Boolean(onEarly) });
      } finally {
        channel?.close();
      }
    }, urgent);
  }

  /**
   * @param {string} name
   * @returns {Failed}
   */
  static removed(name) {
    return { ok: false, error: { code: 'removed', message: `${name} was removed.`, hint: '' } };
  }

  /**
   * Re-render the preview for new settings or edits (sending the file again if the worker let its
   * preview go).
   * @param {string} id
   * @param {Blob} file
   * @param {View} view
   */
  render(id, file, view) {
    return this.withPreview((bytes) => this.calls.render({ id, view, bytes }), file);
  }

  /**
   * An urgent call that needs the photo's preview in the worker: asked without the file first, and again
   * with its bytes if the worker had let the preview go (the failure "preview-gone").
   * @template {{ok: true}} T
   * @param {(bytes: Uint8Array | null) => Promise<T | Failed>} call
   * @param {Blob} file
   * @returns {Promise<T | Failed>}
   */
  withPreview(call, file) {
    return this.schedule(async () => {
      const answer = await call(null);
      if (!answer.ok && answer.error.code === 'preview-gone') return call(await Engine.bytesOf(file));
      return answer;
    }, true);
  }

  /**
   * The full-resolution file for download.
   * @param {string} id
   * @param {Blob} file
   * @param {View} view
   * @param {import('./protocol.js').Output} output
   */
  export(id, file, view, output) {
    return this.schedule(async () => this.calls.export({ id, bytes: await Engine.bytesOf(file), view, output }), true);
  }

  /**
   * What the editor's live wobble draws and moves (sending the file again if the worker let its preview go).
   * @param {string} id
   * @param {Blob} file
   * @param {View} view
   */
  moving(id, file, view) {
    return this.withPreview((bytes) => this.calls.moving({ id, view, bytes }), file);
  }

  /**
   * An animated download. `onProgress(done, total)` reports frames made; `cancelled()` is checked when
   * its turn comes (an animation cancelled while it waited is not started). Cancel one being made with
   * Engine.cancelAnimation(job).
   * @param {string} id
   * @param {File} file
   * @param {View} view
   * @param {import('./protocol.js').AnimationChoice} animation
   * @param {{onProgress?: (done: number, total: number) => void, cancelled?: () => boolean}} [options]
   * @returns {Promise<import('./protocol.js').AnimateAnswer | Failed>}
   */
  animate(id, file, view, animation, { onProgress, cancelled } = {}) {
    const job = `${id}-${++Engine.jobs}`;
    const channel = new BroadcastChannel(ANIMATION_CHANNEL);
    /** @param {MessageEvent<import('./protocol.js').AnimationMessage>} event */
    channel.onmessage = ({ data }) => { if ('job' in data && data.job === job) onProgress?.(data.done, data.total); };
    Engine.running.set(id, job);
    return this.schedule(async () => {
      if (cancelled?.()) return Engine.cancelledAnswer(file.name);
      return this.calls.animate({ id, bytes: await Engine.bytesOf(file), view, animation, job });
    }, true).finally(() => {
      channel.close();
      if (Engine.running.get(id) === job) Engine.running.delete(id);
    });
  }

  /**
   * Stop the animation being made of photo `id` (its answer is then the failure "cancelled").
   * @param {string} id
   */
  static cancelAnimation(id) {
    const job = Engine.running.get(id);
    if (!job) return;
    const channel = new BroadcastChannel(ANIMATION_CHANNEL);
    /** @type {import('./protocol.js').AnimationMessage} */
    const message = { cancel: job };
    channel.postMessage(message);
    channel.close();
  }

  /**
   * @param {string} name
   * @returns {Failed}
   */
  static cancelledAnswer(name) {
    return { ok: false, error: { code: 'cancelled', message: `The animation of ${name} was cancelled.`, hint: '' } };
  }

  /**
   * The photo to put behind the people (background "photo"), for every photo that uses it.
   * @param {File} file
   */
  backgroundPhoto(file) {
    return this.schedule(async () => this.calls.background_photo({ name: file.name, bytes: await Engine.bytesOf(file) }), true);
  }

  /** @param {string} id */
  forget(id) {
    return this.schedule(() => this.calls.forget({ id }), true);
  }

  /**
   * The camera mode's kit for these settings (googly_eyes.camera.camera_kit).
   * @param {import('./settings.js').Look} settings
   */
  cameraKit(settings) {
    return this.schedule(() => this.calls.camera({ view: { settings } }), true);
  }

  // For scripts/bench/soak.py: the worker's memory.
  memory() {
    return this.schedule(() => this.calls.memory(), true);
  }

  // For scripts/bench: the face detector alone, `runs` times (ms each).
  /** @param {number} runs */
  async timeModel(runs) {
    return (await this.schedule(() => this.calls.time_model({ runs }), true)).times;
  }

  // For scripts/bench/profile.py: where a model run's time goes in the page, and one photo's analysis.
  /** @param {number} runs @param {Uint8Array} [photo] */
  profile(runs, photo) {
    return this.schedule(() => this.calls.time_model({ runs, photo }), true);
  }
}

/** The channel a photo's first googly eyes come over (web/worker.py EARLY_CHANNEL). */
const EARLY_CHANNEL = 'googly-early';
/** The channel animation progress and cancels go over (web/animation_export.py CHANNEL). */
const ANIMATION_CHANNEL = 'googly-animation';
Engine.jobs = 0;
/** @type {Map<string, string>} the animation job of each photo being animated */
Engine.running = new Map();

/**
 * @typedef {object} Job
 * @property {() => Promise<any>} call
 * @property {(value: any) => void} resolve
 * @property {(error: any) => void} reject
 */
