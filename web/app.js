// @ts-check
// The page's DOM glue: boot progress, drop zone and file picker, a queue, result cards, downloads.
// Python runs in a worker (engine.js -> worker.py). Each photo is analysed once (faces and eyes),
// then re-rendered whenever its look changes (editor.js). Downloads are made at full resolution when
// asked for, in the format chosen above the gallery. Photos dropped while Python is still loading
// wait in the queue and run as soon as it is ready.

import { Engine } from './engine.js';
import { Editor } from './editor.js';
import { downloadZip } from './vendor/client-zip/index.js';
import { UniqueNames, combinedDetections, failureList, isOutOfMemory, zipFailureMessage, zipFileName } from './download-all.js';
import { SPEC, lookProblems, savedDefaults } from './settings.js';
import { $, addOptions, applyRange } from './dom.js';
import { arrived, clipboardImages, readableFile, takeSharedFiles } from './intake.js';
import { AnimationChoices, cancelAnimation, makeAnimation, wasCancelled } from './animations.js';
import { CameraView } from './camera-view.js';

/** @typedef {import('./settings.js').Look} Look */
/** @typedef {import('./protocol.js').View} View */
/** @typedef {import('./protocol.js').Failure} Failure */
/** @typedef {import('./protocol.js').RenderAnswer} RenderAnswer */

/**
 * What the page shows of a photo after its latest render.
 * @typedef {object} PhotoResult
 * @property {import('./protocol.js').OverlayFace[]} faces
 * @property {number} width  the photo's upright size, in pixels
 * @property {number} height
 * @property {number} turn  the quarter turns the photo had when it was analysed (Photo.turn may be ahead)
 * @property {string} downloadName
 * @property {string} originalUrl  the preview without googly eyes (blob: URL)
 * @property {string} previewUrl  the preview with them (blob: URL)
 * @property {import('./protocol.js').EditorEye[]} eyes
 * @property {import('./protocol.js').NewEye} newEye
 * @property {number} renderMs
 * @property {number} [people]  faces the people mask was made round, when the background is changed
 * @property {string} [problem]  why the latest render failed (the preview shows the one before), if it did
 */

/**
 * One photo the user added, from drop to download.
 * @typedef {object} Photo
 * @property {string} id
 * @property {File} file
 * @property {string} name
 * @property {HTMLElement} card
 * @property {'waiting' | 'done' | 'failed'} status
 * @property {Look | null} settings  null: follows the defaults
 * @property {import('./protocol.js').Edits} edits
 * @property {number} turn  quarter turns clockwise asked for in the editor (Rotate), 0..3
 * @property {string[]} history  undo: earlier {settings, edits, turn} as JSON
 * @property {string[]} future  redo
 * @property {PhotoResult | null} result  null until analysed
 * @property {boolean} rendering  a render is on its way
 * @property {boolean} dirty  the look changed while it was: render again
 * @property {boolean} turning  it is being analysed again after a Rotate
 * @property {boolean} turnAgain  it was turned again meanwhile: analyse once more
 * @property {boolean} removed  the person removed it (its card is gone, the worker let it go)
 */

/**
 * The look every photo follows unless it has its own, and the view Python renders.
 * @typedef {object} LookKeeper
 * @property {Look} defaults
 * @property {(settings: Look) => void} setDefaults
 * @property {(photo: Photo) => View} view
 */

const bootBar = $('#boot-progress', HTMLProgressElement);
const bootText = $('#boot-text');
const statusArea = $('#status');
const results = $('#results');
const template = $('#result-template', HTMLTemplateElement);
const dropZone = $('#drop-zone');
const fileInput = $('#file-input', HTMLInputElement);
const batch = $('#batch');
const batchBar = $('#batch-progress', HTMLProgressElement);
const batchText = $('#batch-text');
const batchMessage = $('#batch-message');
const downloadAllButton = $('#download-all', HTMLButtonElement);
const downloadAllAnimationsButton = $('#download-all-animations', HTMLButtonElement);
const clearAllButton = $('#clear-all', HTMLButtonElement);
const zipJson = $('#zip-json', HTMLInputElement);
const zipMasks = $('#zip-masks', HTMLInputElement);
const outputFormat = $('#output-format', HTMLSelectElement);
const outputQuality = $('#output-quality', HTMLInputElement);
const removeInfo = $('#remove-info', HTMLInputElement);

const startedAt = performance.now();
/** @type {Engine | null} */
let engine = null;
let nextId = 1;
/** @type {Photo[]} Every photo added since the page opened, in the order added. */
const photos = [];
/** @type {Photo[]} photos dropped before the engine was ready */
const waiting = [];

/** The engine, once booted (photos are only analysed, rendered or exported after that). */
function ready() {
  if (!engine) throw new Error('the app has not started yet');
  return engine;
}

// What tests and benchmarks read: boot time, and one record per analysed file.
// results: one per analysed file; exports: one per full-resolution file made for a download.
window.googly = { readyMs: null, info: null, results: [], exports: [], animations: [], photos, idle: false, snapshot: null, clips: [] };

// ---- The look: defaults for every photo, kept in this browser --------------------------------

const DEFAULTS_KEY = 'googly-eyes:defaults';

// Saved defaults from an earlier visit, checked by the rule Python uses (settings.js savedDefaults: a
// setting outside its range gets its factory value, the others are kept).
function loadDefaults() {
  let saved = null;
  try {
    saved = JSON.parse(localStorage.getItem(DEFAULTS_KEY) || 'null');
  } catch { /* storage blocked or damaged: use the factory look */ }
  const problems = saved === null ? [] : lookProblems(saved);
  if (problems.length) console.warn(`Saved defaults partly reset to the factory look: ${problems.join('; ')}`);
  return savedDefaults(saved);
}

/** @type {LookKeeper} */
const look = {
  defaults: loadDefaults(),
  setDefaults(settings) {
    this.defaults = { ...settings, look_at: null };  // a look-at point belongs to one photo
    try { localStorage.setItem(DEFAULTS_KEY, JSON.stringify(this.defaults)); } catch { /* private mode */ }
  },
  // What Python needs to render a photo: its own settings (or the defaults) and its hand edits.
  view(photo) {
    return { settings: photo.settings ?? this.defaults, edits: photo.edits };
  },
};

// ---- Boot ----------------------------------------------------------------------------------

/** @type {Record<'runtime' | 'models' | 'ready', [number, string]>} */
const BOOT_STEPS = {
  runtime: [1, 'Loading the Python runtime, numpy and Pillow…'],
  models: [2, 'Loading the face models…'],
  ready: [3, 'Ready'],
};

/** @param {keyof typeof BOOT_STEPS} stage */
function bootStep(stage) {
  const [value, text] = BOOT_STEPS[stage];
  bootBar.value = Math.max(bootBar.value, value);
  bootText.textContent = text;
}

/** @param {string} text  said in the page's live region */
function announce(text) {
  statusArea.textContent = text;
}

async function boot() {
  try {
    engine = await Engine.start(bootStep);
  } catch (error) {
    console.error(error);
    $('#boot').classList.add('failed');
    const message = `The app could not start: ${error instanceof Error ? error.message : error}. Reload the page to try again.`;
    bootText.textContent = message;
    announce(message);
    return;
  }
  const seconds = (performance.now() - startedAt) / 1000;
  window.googly.readyMs = Math.round(performance.now() - startedAt);
  window.googly.info = engine.info;
  const started = engine;
  window.googlyTimeModel = (runs) => started.timeModel(runs);  // scripts/bench
  window.googlyProfile = (runs, photo) => started.profile(runs, photo);  // scripts/bench/profile.py
  window.googlyMemory = () => started.memory();  // scripts/bench/soak.py
  // While the person picks photos, warm the models up (?warmup=0: not, for benchmarks comparing).
  if (new URLSearchParams(location.search).get('warmup') !== '0') started.warmUp();
  bootStep('ready');
  performance.mark('googly:ready');
  window.dispatchEvent(new Event('googly:ready'));
  $('#boot').classList.add('done');
  bootText.textContent = `Ready in ${seconds.toFixed(1)} s. Works offline: nothing leaves this device.`;
  document.body.classList.add('ready');
  announce(waiting.length ? `Ready. Processing ${waiting.length} waiting photo(s)…` : 'Ready. Drop photos to begin.');
  for (const photo of waiting.splice(0)) analyse(photo);
  // Offline caching (sw-register.js) and the Python snapshot for the next boot wait until the photos
  // dropped so far are done: both compete with them for the CPU (measured: ~0.6 s on the first result).
  started.whenIdle().then(() => {
    window.googly.idle = true;
    window.dispatchEvent(new Event('googly:idle'));
    return started.prepareNextBoot();
  }).then((made) => { window.googly.snapshot = made; });
}

// ---- Photos: add, analyse, show --------------------------------------------------------------

/**
 * @param {File} file
 * @returns {Photo}
 */
function newPhoto(file) {
  const card = /** @type {HTMLElement} */ (template.content.firstElementChild?.cloneNode(true));
  const name = $('.name', HTMLElement, card);
  name.textContent = file.name;
  name.title = file.name;  // a long name is cut with an ellipsis on screen (app.css); the full one on hover
  card.classList.add('pending');
  results.prepend(card);
  /** @type {Photo} */
  const photo = {
    id: `p${nextId++}`, file, name: file.name, card, status: 'waiting', settings: null,
    edits: { eyes: {}, added: [] }, turn: 0, history: [], future: [], result: null, rendering: false, dirty: false,
    turning: false, turnAgain: false, removed: false,
  };
  const remove = $('.remove', HTMLButtonElement, card);
  remove.setAttribute('aria-label', `Remove ${file.name}`);
  remove.title = `Remove ${file.name} (Delete)`;
  remove.addEventListener('click', () => removePhoto(photo));
  card.addEventListener('keydown', (event) => {
    // Delete, or ⌘+Backspace on a Mac (whose "delete" key is Backspace), as in file managers
    const remove = event.key === 'Delete' || (event.key === 'Backspace' && event.metaKey);
    if (remove && !event.repeat) { event.preventDefault(); removePhoto(photo); }
  });
  return photo;
}

/** @param {File[]} files */
function enqueue(files) {
  if (!files.length) return;
  for (const file of files) {
    const photo = newPhoto(file);
    photos.push(photo);
    setSummary(photo, engine ? 'Waiting…' : 'Waiting for the app to load…');
    if (engine) analyse(photo); else waiting.push(photo);
  }
  updateBatch();
  announce(`${files.length} photo(s) added.`);
}

/**
 * @param {Photo} photo
 * @param {string} text
 */
function setSummary(photo, text) {
  $('.summary', HTMLElement, photo.card).textContent = text;
}

/** @type {Promise<unknown>} the last photo's browser decoding (readableFile), to keep the order */
let decoding = Promise.resolve();

/** @param {Photo} photo */
async function analyse(photo) {
  let started = performance.now();
  const onStart = () => {
    started = performance.now();
    setSummary(photo, 'Finding faces…');
  };
  const cancelled = () => photo.removed;
  // HEIC/HEIF/AVIF: decoded here if this browser can (intake.js); Python reads the result. One at a
  // time, in the order dropped, so the photos are analysed in that order too.
  // (A file that cannot be read at all fails below, when the engine reads it, with the usual message.)
  const decoded = decoding.then(() => readableFile(photo.file)).catch(() => ({ file: photo.file, decodedFrom: null }));
  decoding = decoded.catch(() => {});
  const { file, decodedFrom } = await decoded;
  photo.file = file;
  /** @type {number | null} ms from its turn to its first googly eyes, when they came before the complete result */
  let earlyMs = null;
  let earlyUrl = '';
  // The faces the whole-photo look found get their googly eyes at once; the small faces follow.
  /** @param {import('./protocol.js').EarlyAnswer} early */
  const onEarly = (early) => {
    if (photo.removed || photo.status === 'done') return;
    earlyMs = Math.round(performance.now() - started);
    if (earlyUrl) URL.revokeObjectURL(earlyUrl);
    earlyUrl = URL.createObjectURL(new Blob([early.preview], { type: early.previewMime }));
    $('.frame img', HTMLImageElement, photo.card).src = earlyUrl;
    photo.card.classList.add('early');
    setSummary(photo, `${facesText(early.faces.length)} so far · looking for small faces…`);
  };
  const answer = await ready().analyse(photo.id, photo.file, look.view(photo), { onStart, cancelled, onEarly }).catch((error) => /** @type {const} */ ({
    ok: false, error: { code: 'internal', message: `${photo.name}: ${error}`, hint: 'Reload the page and try again.' },
  }));
  if (earlyUrl) setTimeout(() => URL.revokeObjectURL(earlyUrl), 1000);  // the complete preview replaces it
  if (photo.removed) return;  // removed while it was analysed: removePhoto has told the worker to let it go
  const totalMs = performance.now() - started;
  /** @type {import('./protocol.js').ResultRecord} */
  const record = { name: photo.name, ok: answer.ok, totalMs: Math.round(totalMs), earlyMs, decodedFrom };
  photo.card.classList.remove('early');
  if (answer.ok) {
    photo.status = 'done';
    const originalUrl = URL.createObjectURL(new Blob([answer.original], { type: answer.originalMime }));
    photo.result = { faces: answer.faces, width: answer.width, height: answer.height, turn: answer.turn, downloadName: answer.downloadName,
      originalUrl, previewUrl: '', eyes: [], newEye: answer.newEye, renderMs: 0 };
    showRender(photo, answer);
    showCard(photo, photo.result, totalMs, answer.timings);
    Object.assign(record, { faces: answer.faces.length, googlyEyes: answer.googlyEyes, width: answer.width, height: answer.height, timings: { ...answer.timings } });
  } else {
    photo.status = 'failed';
    showError(photo, answer.error);
    Object.assign(record, { error: answer.error.code, message: answer.error.message });
  }
  window.googly.results.push(record);
  photoFinished();
}

// A new preview from Python: show it on the card (and in the editor, which listens for it).
/**
 * @param {Photo} photo
 * @param {RenderAnswer} answer
 */
function showRender(photo, answer) {
  const { result } = photo;
  if (!result) return;
  const previous = result.previewUrl;
  result.previewUrl = URL.createObjectURL(new Blob([answer.preview], { type: answer.previewMime }));
  result.eyes = answer.eyes;
  result.newEye = answer.newEye;
  result.renderMs = answer.timings.render;
  result.people = answer.people;
  delete result.problem;
  $('.frame img', HTMLImageElement, photo.card).src = result.previewUrl;
  if (previous) setTimeout(() => URL.revokeObjectURL(previous), 1000);
}

/** @param {number} count */
function facesText(count) {
  return count ? `${count} face${count === 1 ? '' : 's'}` : 'No faces';
}

/**
 * @param {Photo} photo
 * @param {PhotoResult} result
 * @param {number} totalMs
 * @param {Record<string, number>} timings
 */
function showCard(photo, result, totalMs, timings) {
  const { card } = photo;
  const frame = $('.frame', HTMLButtonElement, card);
  frame.disabled = false;
  frame.setAttribute('aria-label', `Edit ${photo.name}`);
  frame.addEventListener('click', () => editor.open(photo));
  describeCard(photo, result, totalMs, timings);
  const faces = result.faces.length;
  /** @type {[string, string, () => void][]} */
  const buttons = [
    ['.edit', `Edit ${photo.name}`, () => editor.open(photo)],
    ['.download-image', `Download ${photo.name} with googly eyes`, () => downloadPhoto(photo, 'image')],
    ['.download-json', `Download the detections of ${photo.name} as JSON`, () => downloadPhoto(photo, 'json')],
    ['.download-animation', `Download ${photo.name} as an animation`, () => (animating.has(photo) ? cancelAnimation(photo) : downloadAnimation(photo))],
    ['.copy-image', `Copy ${photo.name} with googly eyes to the clipboard`, () => copyPhoto(photo)],
    ['.share', `Share ${photo.name} with googly eyes`, () => sharePhoto(photo)],
  ];
  $('.copy-image', HTMLButtonElement, card).hidden = !CAN_COPY_IMAGES;
  $('.share', HTMLButtonElement, card).hidden = !CAN_SHARE_FILES;
  for (const [selector, label, action] of buttons) {
    const button = $(selector, HTMLButtonElement, card);
    button.addEventListener('click', action);
    button.setAttribute('aria-label', label);
  }
  $('.actions', HTMLElement, card).hidden = false;
  announce(`${photo.name}: ${faces ? `${facesText(faces).toLowerCase()} got googly eyes` : 'no faces found'}.`);
}

/**
 * @param {Photo} photo
 * @param {Failure} failure
 */
function showError(photo, { message, hint }) {
  const { card } = photo;
  card.classList.remove('pending');
  card.classList.add('error');
  $('.frame', HTMLElement, card).remove();
  setSummary(photo, 'Could not be processed');
  const text = $('.message', HTMLElement, card);
  text.textContent = `${message} ${hint}`;
  text.hidden = false;
  announce(message);  // the message names the file
}

// The card's words for its latest analysis: faces, size, time; the no-faces message.
/**
 * @param {Photo} photo
 * @param {PhotoResult} result
 * @param {number} totalMs
 * @param {Record<string, number>} timings
 */
function describeCard(photo, result, totalMs, timings) {
  const { card } = photo;
  card.classList.remove('pending');
  const faces = result.faces.length;
  const img = $('.frame img', HTMLImageElement, card);
  img.alt = faces ? `${photo.name} with googly eyes on ${facesText(faces).toLowerCase()}` : `${photo.name} (no faces found)`;
  setSummary(photo, `${facesText(faces)} · ${result.width}×${result.height} · ${Math.round(totalMs)} ms`);
  $('.summary', HTMLElement, card).title = `Time by stage (ms): ${Object.entries(timings).map(([stage, ms]) => `${stage} ${Math.round(ms)}`).join(' · ')}`;
  const text = $('.message', HTMLElement, card);
  text.textContent = faces ? '' : 'No faces found in this photo. Open it to add googly eyes by hand.';
  text.hidden = faces > 0;
}

// ---- Rotating by hand: the photo is analysed again in its new orientation -------------------

// The editor turned the photo (or undid a turn): find the faces again with photo.turn. Turns made
// while an analysis runs are coalesced: the latest wins.
/** @param {Photo} photo */
async function reanalyse(photo) {
  const { result } = photo;
  if (photo.status !== 'done' || !result) return;
  if (photo.turning) { photo.turnAgain = true; return; }
  photo.turning = true;
  photo.card.classList.add('pending');
  editor.rendered(photo);
  let answer;
  let started;
  do {
    photo.turnAgain = false;
    started = performance.now();
    answer = await ready().analyse(photo.id, photo.file, look.view(photo), { turn: photo.turn, urgent: true, cancelled: () => photo.removed });
  } while (photo.turnAgain && !photo.removed);
  photo.turning = false;
  if (photo.removed) return;
  photo.card.classList.remove('pending');
  if (answer.ok) {
    URL.revokeObjectURL(result.originalUrl);
    Object.assign(result, { faces: answer.faces, width: answer.width, height: answer.height, turn: answer.turn,
      originalUrl: URL.createObjectURL(new Blob([answer.original], { type: answer.originalMime })) });
    showRender(photo, answer);
    describeCard(photo, result, performance.now() - started, answer.timings);
    const faces = answer.faces.length;
    announce(`${photo.name} rotated: ${faces ? `${facesText(faces).toLowerCase()} found` : 'no faces found'}.`);
  } else {
    announce(`${photo.name} could not be rotated: ${answer.error.message} ${answer.error.hint}`);
  }
  editor.rendered(photo);
}

// ---- Re-rendering after a change of look -------------------------------------------------------

// Render `photo` again with its current look; a change made while a render runs is rendered after it.
/** @param {Photo} photo */
async function rerender(photo) {
  if (photo.status !== 'done') return;
  if (photo.rendering) { photo.dirty = true; return; }
  photo.rendering = true;
  do {
    photo.dirty = false;
    const answer = await ready().render(photo.id, photo.file, look.view(photo));
    if (answer.ok) showRender(photo, answer);
    else if (!photo.dirty) {
      if (photo.result) photo.result.problem = `${answer.error.message} ${answer.error.hint}`.trim();
      announce(`${photo.name}: ${answer.error.message}`);
    }
  } while (photo.dirty);
  photo.rendering = false;
  editor.rendered(photo);
}

// The defaults changed: every photo that follows them gets drawn again (in the background).
function rerenderDefaults() {
  for (const photo of photos) if (!photo.settings) rerender(photo);
}

// ---- Removing photos ----------------------------------------------------------------------------

// Take a photo off the page: its card, its blob: URLs, and everything the worker keeps of it. A photo
// still waiting is never analysed; one being analysed is let go as soon as that finishes (the worker
// runs one call at a time, so the forget queued here comes after it).
/**
 * @param {Photo} photo
 * @param {{quiet?: boolean}} [options]
 */
function removePhoto(photo, { quiet = false } = {}) {
  if (photo.removed) return;
  photo.removed = true;
  if (animating.has(photo)) cancelAnimation(photo);
  if (editor.openPhoto === photo) editor.close();
  const cards = [...results.children];
  const index = cards.indexOf(photo.card);
  const hadFocus = photo.card.contains(document.activeElement);
  photos.splice(photos.indexOf(photo), 1);
  if (waiting.includes(photo)) waiting.splice(waiting.indexOf(photo), 1);
  photo.card.remove();
  if (photo.result) {
    URL.revokeObjectURL(photo.result.originalUrl);
    if (photo.result.previewUrl) URL.revokeObjectURL(photo.result.previewUrl);
  }
  if (engine) engine.forget(photo.id);
  updateBatch();
  if (quiet) return;
  // Keyboard users keep their place: the next card (or the one before), else the drop zone.
  const next = /** @type {HTMLElement | undefined} */ (cards[index + 1] ?? cards[index - 1]);
  if (hadFocus) (next ? $('.remove', HTMLButtonElement, next) : dropZone).focus();
  announce(`${photo.name} removed.${photos.length ? '' : ' Drop photos to begin again.'}`);
}

// "Clear all": every photo goes (the files on the device are not touched).
function clearAll() {
  for (const clip of [...clips]) removeClip(clip);
  const count = photos.length;
  if (!count) return;
  if (count > 1 && !window.confirm(`Remove all ${count} photos from this page? The files on your device are not changed.`)) return;
  for (const photo of [...photos]) removePhoto(photo, { quiet: true });
  batchMessage.hidden = true;
  dropZone.focus();
  announce(`All ${count} photo(s) removed. Drop photos to begin again.`);
}

// ---- Batch summary and downloads -----------------------------------------------------------------

const counts = () => ({
  added: photos.length,
  done: photos.filter((photo) => photo.status !== 'waiting').length,
  failed: photos.filter((photo) => photo.status === 'failed').length,
  ok: photos.filter((photo) => photo.status === 'done').length,
});

// "3 of 12 done · 1 could not be read": the summary text for the current counts.
function batchSummary() {
  const { added, done, failed } = counts();
  const failedText = failed ? ` · ${failed} could not be read` : '';
  if (done === added) return `All ${added} done${failedText}`;
  return `${done} of ${added} done${failedText}`;
}

// Refresh the summary and the button; the summary is not a live region, #status speaks for it.
function updateBatch() {
  const { added, done, ok } = counts();
  batch.hidden = added === 0;
  batchBar.max = Math.max(1, added);
  batchBar.value = done;
  batchText.textContent = batchSummary();
  downloadAllButton.disabled = ok === 0 || downloadAllButton.dataset.busy === '1';
  downloadAllAnimationsButton.disabled = downloadAllButton.disabled;
  clearAllButton.disabled = added === 0 || downloadAllButton.dataset.busy === '1';
}

function photoFinished() {
  updateBatch();
  const { added, done } = counts();
  if (done === added && added > 1) announce(`${statusArea.textContent} ${batchSummary()}.`);
}

/** @returns {import('./protocol.js').Output} */
function outputChoice() {
  return { format: outputFormat.value, quality: Number(outputQuality.value), photo_info: removeInfo.checked ? 'remove' : 'keep' };
}

// "Remove all photo information" is remembered in this browser (a privacy choice is made once).
const REMOVE_INFO_KEY = 'googly-eyes:remove-photo-info';
try { removeInfo.checked = localStorage.getItem(REMOVE_INFO_KEY) === '1'; } catch { /* storage blocked */ }
removeInfo.addEventListener('change', () => {
  try { localStorage.setItem(REMOVE_INFO_KEY, removeInfo.checked ? '1' : '0'); } catch { /* private mode */ }
});

// The format choices and the quality slider come from the spec (settings.js), made before they are used.
addOptions(outputFormat, SPEC.output.format);
applyRange(outputQuality, SPEC.output.quality);

// Quality matters for JPEG and WebP only (and "Same as original" may be JPEG).
function updateOutputControls() {
  $('#output-quality-value').textContent = outputQuality.value;
  outputQuality.disabled = outputFormat.value === 'png';
}
outputFormat.addEventListener('change', updateOutputControls);
outputQuality.addEventListener('input', updateOutputControls);

// The full-resolution file (or its JSON) for one photo, made now with its current look; throws the
// worker's failure as an Error with its message and hint.
/**
 * @param {Photo} photo
 * @param {import('./protocol.js').Output} [output]  the format chosen above the gallery, unless given
 * @returns {Promise<import('./protocol.js').ExportAnswer>}
 */
async function exportPhoto(photo, output = outputChoice()) {
  const started = performance.now();
  const answer = await ready().export(photo.id, photo.file, look.view(photo), output);
  const totalMs = Math.round(performance.now() - started);
  if (!answer.ok) {
    window.googly.exports.push({ name: photo.name, ok: false, totalMs, timings: null, path: null, bytes: null, mime: null });
    throw new Error(`${answer.error.message} ${answer.error.hint}`);
  }
  window.googly.exports.push({ name: photo.name, ok: true, totalMs, timings: answer.timings, path: answer.path,
    bytes: answer.image.length, mime: answer.mime });
  return answer;
}

// Hand a Blob to the browser as a download, then let go of its object URL.
/** @param {Blob} blob @param {string} name */
function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // Revoking at once can cancel the download in some browsers; a while later it is safe.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** @param {Photo} photo @param {'image' | 'json'} what */
async function downloadPhoto(photo, what) {
  announce(`Preparing ${photo.name} at full resolution…`);
  try {
    const answer = await exportPhoto(photo);
    if (what === 'json') saveBlob(new Blob([answer.json], { type: 'application/json' }), answer.downloadName.replace(/\.[^.]+$/, '.json'));
    else saveBlob(new Blob([answer.image], { type: answer.mime }), answer.downloadName);
    announce(`${what === 'json' ? answer.downloadName.replace(/\.[^.]+$/, '.json') : answer.downloadName} is ready.`);
  } catch (error) {
    announce(error instanceof Error ? error.message : String(error));
  }
}

// ---- Ways out besides a download: Copy image, Share --------------------------------------------

// Where the browser can put a PNG on the clipboard, and share files (phones, some desktops).
const CAN_COPY_IMAGES = typeof ClipboardItem === 'function' && !!navigator.clipboard && 'write' in navigator.clipboard;
const CAN_SHARE_FILES = typeof navigator.canShare === 'function'
  && navigator.canShare({ files: [new File([new Uint8Array(1)], 'test.png', { type: 'image/png' })] });

/** @param {unknown} error */
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

// The photo at full resolution as PNG, on the clipboard. The clipboard write starts at once, with the
// PNG still being made (a promise in the ClipboardItem), so the click's permission still holds.
/** @param {Photo} photo */
async function copyPhoto(photo) {
  announce(`Copying ${photo.name} at full resolution…`);
  const png = exportPhoto(photo, { ...outputChoice(), format: 'png' }).then((answer) => new Blob([answer.image], { type: 'image/png' }));
  try {
    await navigator.clipboard.write([new ClipboardItem({ 'image/png': png })]);
    announce(`${photo.name} with googly eyes is on the clipboard: paste it into any app.`);
  } catch (error) {
    png.catch(() => {});
    announce(`${photo.name} could not be copied: ${messageOf(error)} Use Download instead.`);
  }
}

/** @type {WeakMap<Photo, {key: string, file: File}>} the file made for the last Share, by photo */
const shareReady = new WeakMap();

// Share the full-resolution file with another app (the system's share sheet). Browsers allow it only
// shortly after a click: if making the file took too long, it is kept and the next tap shares it at once.
/** @param {Photo} photo */
async function sharePhoto(photo) {
  const key = JSON.stringify([look.view(photo), outputChoice(), photo.turn]);
  let file = shareReady.get(photo)?.key === key ? shareReady.get(photo)?.file : undefined;
  try {
    if (!file) {
      announce(`Preparing ${photo.name} to share…`);
      const answer = await exportPhoto(photo);
      file = new File([answer.image], answer.downloadName, { type: answer.mime });
      shareReady.set(photo, { key, file });
    }
    await navigator.share({ files: [file], title: file.name });
    announce(`${file.name} shared.`);
  } catch (error) {
    const name = error instanceof DOMException ? error.name : '';
    if (name === 'AbortError') announce('Sharing cancelled.');
    else if (name === 'NotAllowedError' && file) announce(`${file.name} is ready: press Share again to share it.`);
    else announce(`${photo.name} could not be shared: ${messageOf(error)} Use Download instead.`);
  }
}

// ---- Animated downloads ------------------------------------------------------------------------

const animationChoices = new AnimationChoices();
/** @type {Map<Photo, {done: number, total: number}>} photos whose animation is being made, and how far */
const animating = new Map();
/** @type {WeakMap<Photo, File>} the last animation made of each photo, for Share animation */
const lastAnimation = new WeakMap();

// Show how far the animation of `photo` is: on its card's Animation button (which cancels it meanwhile)
// and, if the editor has it open, in the editor's progress bar.
/** @param {Photo} photo */
function showAnimationProgress(photo) {
  const progress = animating.get(photo);
  const button = $('.download-animation', HTMLButtonElement, photo.card);
  button.textContent = progress ? `Cancel animation (${Math.round((100 * progress.done) / Math.max(1, progress.total))}%)` : 'Animation';
  if (editor.openPhoto !== photo) return;
  $('#animation-progress').hidden = !progress;
  $('#editor-animation', HTMLButtonElement).disabled = !!progress;
  const bar = $('#animation-progress progress', HTMLProgressElement);
  bar.max = progress?.total || 1;
  bar.value = progress?.done ?? 0;
  const file = lastAnimation.get(photo);
  $('#share-animation', HTMLButtonElement).hidden = !(file && canShareFile(file));
}

/** @param {File} file */
function canShareFile(file) {
  try { return typeof navigator.canShare === 'function' && navigator.canShare({ files: [file] }); } catch { return false; }
}

// Make the animation of `photo` with the choices in the editor and save it (null when it failed or
// was cancelled: said in the live region).
/** @param {Photo} photo */
async function downloadAnimation(photo) {
  if (animating.has(photo)) return null;
  const choice = animationChoices.value();
  animating.set(photo, { done: 0, total: 0 });
  showAnimationProgress(photo);
  announce(`Making ${photo.name} as an animation…`);
  try {
    const answer = await makeAnimation(ready(), photo, look.view(photo), choice, (done, total) => {
      animating.set(photo, { done, total });
      showAnimationProgress(photo);
    });
    if (photo.removed) return null;  // removed while it was being made
    const file = new File([answer.image], answer.downloadName, { type: answer.mime });
    lastAnimation.set(photo, file);
    saveBlob(file, answer.downloadName);
    const fallback = choice.format === 'mp4' && answer.format !== 'mp4' ? ' (WebM: this browser cannot make MP4 video)' : '';
    announce(`${answer.downloadName} is ready${fallback}: ${answer.frames} frames, ${answer.width}×${answer.height}.`);
    return answer;
  } catch (error) {
    announce(wasCancelled(error) ? `The animation of ${photo.name} was cancelled.` : messageOf(error));
    return null;
  } finally {
    animating.delete(photo);
    showAnimationProgress(photo);
  }
}

/** @param {Photo} photo */
async function shareAnimation(photo) {
  const file = lastAnimation.get(photo);
  if (!file) return;
  try {
    await navigator.share({ files: [file], title: file.name });
    announce(`${file.name} shared.`);
  } catch (error) {
    const name = error instanceof DOMException ? error.name : '';
    announce(name === 'AbortError' ? 'Sharing cancelled.' : `${file.name} could not be shared: ${messageOf(error)}`);
  }
}

$('#editor-animation', HTMLButtonElement).addEventListener('click', () => { if (editor.openPhoto) downloadAnimation(editor.openPhoto); });
$('#cancel-animation', HTMLButtonElement).addEventListener('click', () => { if (editor.openPhoto) cancelAnimation(editor.openPhoto); });
$('#share-animation', HTMLButtonElement).addEventListener('click', () => { if (editor.openPhoto) shareAnimation(editor.openPhoto); });

// Make every photo at full resolution, one after the other, and download them as one ZIP. Each file goes
// into client-zip's stream as soon as it is made and is let go once the stream has taken it, so the batch
// is never held twice (scripts/bench/zip.py measures it); the browser collects the ZIP as one Blob.
// Past 4 GB client-zip writes ZIP64. A photo that cannot be made is left out and named.
// With `animations`, every photo is an animation (the editor's animation choices) instead.
async function downloadAll(animations = false) {
  const finished = photos.filter((photo) => photo.status === 'done');
  if (!finished.length) return;
  downloadAllButton.dataset.busy = '1';
  updateBatch();
  batchMessage.hidden = true;
  window.addEventListener('beforeunload', askBeforeLeaving);
  const now = new Date();
  const zipName = animations ? zipFileName(now).replace('googly-eyes-', 'googly-eyes-animations-') : zipFileName(now);
  const names = new UniqueNames();
  /** @type {{json: string, zipName: string}[]} */
  const made = [];
  /** @type {string[]} */
  const failures = [];
  let bytes = 0;
  /** @type {unknown} what stopped the entries, if anything (Response.blob() only says "Failed to fetch") */
  let stoppedBy = null;
  // The ZIP's entries, made one at a time as client-zip asks for the next.
  async function* entries() {
    try {
      for (const [index, photo] of finished.entries()) {
        if (photo.removed) continue;  // removed while the ZIP was being made
        announce(`Preparing ${zipName}: photo ${index + 1} of ${finished.length}…`);
        let answer;
        try {
          answer = animations ? await makeAnimation(ready(), photo, look.view(photo), animationChoices.value())
            : await exportPhoto(photo, { ...outputChoice(), eye_mask: zipMasks.checked });
        } catch (error) {
          if (isOutOfMemory(error)) throw error;
          const reason = error instanceof Error ? error.message : String(error);
          failures.push(reason.includes(photo.name) ? reason : `${photo.name}: ${reason}`);
          continue;
        }
        const name = names.take(answer.downloadName);
        made.push({ json: answer.json, zipName: name });
        bytes += answer.image.length;
        yield { name, input: answer.image, lastModified: now };
        // Its eyes' mask beside it: holiday.googly.jpg -> holiday.googly.eyes.png
        if ('eyeMask' in answer && answer.eyeMask) yield { name: names.take(name.replace(/\.[^.]+$/, '.eyes.png')), input: answer.eyeMask, lastModified: now };
      }
      if (made.length && zipJson.checked) {
        yield { name: names.take('detections.json'), input: combinedDetections(made), lastModified: now };
      }
    } catch (error) {
      stoppedBy = error;
      throw error;
    }
  }
  const leftOut = () => (failures.length ? ` Left out, as they could not be made: ${failureList(failures)}` : '');
  let message = '';
  let trouble = true;  // shown under the batch bar as well
  try {
    const zip = await downloadZip(entries()).blob();
    if (made.length) {
      saveBlob(zip, zipName);
      message = `${zipName} is ready: ${made.length} ${animations ? 'animation' : 'photo'}(s).${leftOut()}`;
      trouble = failures.length > 0;
    } else {
      message = `No photo could be made, so there is no ZIP: ${failureList(failures)}`;
    }
  } catch (error) {
    message = zipFailureMessage(stoppedBy, made.length, bytes) + leftOut();
  } finally {
    window.removeEventListener('beforeunload', askBeforeLeaving);
    delete downloadAllButton.dataset.busy;
    updateBatch();
  }
  if (trouble) {
    batchMessage.textContent = message;
    batchMessage.hidden = false;
  }
  announce(message);
}

// While a ZIP is being made, leaving the page would lose it: the browser asks first.
/** @param {BeforeUnloadEvent} event */
function askBeforeLeaving(event) {
  event.preventDefault();
  event.returnValue = '';  // what older browsers need to ask
}

downloadAllButton.addEventListener('click', () => downloadAll());
downloadAllAnimationsButton.addEventListener('click', () => downloadAll(true));
clearAllButton.addEventListener('click', clearAll);

// ---- The editor ------------------------------------------------------------------------------

const editor = new Editor({
  look,
  rerender,
  reanalyse,
  rerenderDefaults,
  download: (photo) => downloadPhoto(photo, 'image'),
  opened: (photo) => showAnimationProgress(photo),
  moving: (photo) => ready().moving(photo.id, photo.file, look.view(photo)),
  backgroundPhoto: (file) => ready().backgroundPhoto(file),
  announce,
});
// The live wobble, for tests and benchmarks: whether it runs, frames drawn, physics steps, the pupils.
window.googly.wobble = () => ({ running: editor.wobble.running, ...editor.wobble.stats, pupils: Array.from(editor.wobble.pupils?.x ?? []) });

// ---- Input: drag and drop anywhere on the page, paste, the file picker, shares from other apps ----

/** @param {import('./intake.js').Arrival} arrival */
function take({ files, note }) {
  if (note) announce(note);
  enqueue(files);
}

fileInput.addEventListener('change', () => {
  enqueue([...(fileInput.files ?? [])]);
  fileInput.value = '';
});

let dragDepth = 0;
document.addEventListener('dragenter', (event) => {
  event.preventDefault();
  dragDepth += 1;
  dropZone.classList.add('dragging');
});
document.addEventListener('dragleave', () => {
  dragDepth = Math.max(0, dragDepth - 1);
  if (!dragDepth) dropZone.classList.remove('dragging');
});
document.addEventListener('dragover', (event) => event.preventDefault());
document.addEventListener('drop', (event) => {
  event.preventDefault();
  dragDepth = 0;
  dropZone.classList.remove('dragging');
  take(arrived(event.dataTransfer, 'drop'));
});

// Ctrl/Cmd+V anywhere on the page (but in a text field, where it pastes text).
document.addEventListener('paste', (event) => {
  if (event.target instanceof Element && event.target.closest('input, textarea, [contenteditable]')) return;
  event.preventDefault();
  take(arrived(event.clipboardData, 'paste'));
});

// The Paste button, where the async Clipboard API can read images (it may ask the person first).
const pasteButton = $('#paste-button', HTMLButtonElement);
pasteButton.hidden = !(navigator.clipboard && 'read' in navigator.clipboard);
pasteButton.addEventListener('click', () => clipboardImages().then(enqueue, (error) => announce(error.message)));

// Opened by a share from another app (sw.js kept the files): they join the queue like a drop.
takeSharedFiles().then((arrival) => { if (arrival) take(arrival); }, (error) => announce(`The shared photos could not be opened: ${error}`));

// ---- Clips the camera mode recorded: a card each, to play and download ----------------------------

/** @type {{name: string, blob: Blob, card: HTMLElement, url: string}[]} */
const clips = [];

/**
 * @param {Blob} blob
 * @param {string} name
 * @param {number} seconds
 */
function addClip(blob, name, seconds) {
  const card = /** @type {HTMLElement} */ ($('#clip-template', HTMLTemplateElement).content.firstElementChild?.cloneNode(true));
  const url = URL.createObjectURL(blob);
  const clip = { name, blob, card, url };
  $('video', HTMLVideoElement, card).src = url;
  $('.name', HTMLElement, card).textContent = name;
  $('.summary', HTMLElement, card).textContent = `Clip · ${seconds.toFixed(1)} s · ${(blob.size / 1e6).toFixed(1)} MB`;
  $('.download-clip', HTMLButtonElement, card).addEventListener('click', () => saveBlob(blob, name));
  const remove = $('.remove', HTMLButtonElement, card);
  remove.setAttribute('aria-label', `Remove ${name}`);
  remove.addEventListener('click', () => removeClip(clip));
  results.prepend(card);
  clips.push(clip);
  window.googly.clips.push({ name, bytes: blob.size, mime: blob.type, seconds });
}

/** @param {{name: string, blob: Blob, card: HTMLElement, url: string}} clip */
function removeClip(clip) {
  clip.card.remove();
  URL.revokeObjectURL(clip.url);
  clips.splice(clips.indexOf(clip), 1);
}

// The camera mode: its googly eyes follow the look the photos get by default.
const cameraButton = $('#camera-button', HTMLButtonElement);
const cameraView = new CameraView({
  dialog: $('#camera', HTMLDialogElement), video: $('#camera-video', HTMLVideoElement),
  canvas: $('#camera-canvas', HTMLCanvasElement), stage: $('#camera-stage', HTMLElement),
  status: $('#camera-status', HTMLElement), snapshot: $('#camera-snapshot', HTMLButtonElement),
  record: $('#camera-record', HTMLButtonElement), close: $('#camera-close', HTMLButtonElement),
  retry: $('#camera-retry', HTMLButtonElement), switch: $('#camera-switch', HTMLButtonElement),
}, {
  kit: async () => {
    const answer = await ready().cameraKit(look.defaults);
    if (!answer.ok) throw new Error(answer.error.message);
    return answer;
  },
  addPhoto: (file) => enqueue([file]),
  addClip,
  announce,
});
cameraButton.addEventListener('click', () => cameraView.enter());
window.addEventListener('googly:ready', () => { cameraButton.disabled = false; }, { once: true });
window.googly.camera = () => ({ ...cameraView.stats, faces: cameraView.faces.size, open: cameraView.open,
  live: Boolean(cameraView.camera?.stream), trace: cameraView.trace, modelsMs: cameraView.camera?.modelsMs ?? null,
  pupils: Array.from(cameraView.pupils?.x ?? []), reach: cameraView.kit?.slots.map((slot) => slot.params.reach) ?? [],
  slots: [...cameraView.faces.values()].map((face) => face.slot) });

updateOutputControls();
// From here on drops are accepted (they wait for Python if it is still loading): benchmarks read this mark.
performance.mark('googly:drop-ready');
document.head.append($('#preload-hints', HTMLTemplateElement).content.cloneNode(true));
boot();
