// The page's DOM glue: boot progress, drop zone and file picker, a queue, result cards, downloads.
// Python (main.py) does the work; it publishes window.googlyProcess(file) and fires "googly:ready".
// Photos dropped while Python is still loading wait in the queue and run as soon as it is ready.
// Above the gallery: a batch summary with progress, and "Download all" as one ZIP (zip.js).

import { makeZip, uniqueNames, zipFileName } from './zip.js';

const $ = (selector) => document.querySelector(selector);
const bootBar = $('#boot-progress');
const bootText = $('#boot-text');
const statusArea = $('#status');
const results = $('#results');
const template = $('#result-template');
const dropZone = $('#drop-zone');
const fileInput = $('#file-input');
const batch = $('#batch');
const batchBar = $('#batch-progress');
const batchText = $('#batch-text');
const batchMessage = $('#batch-message');
const downloadAllButton = $('#download-all');
const zipJson = $('#zip-json');

const startedAt = performance.now();
const queue = [];
let processFile = null;
let busy = false;
// The batch: every file added since the page opened, and the successful results' Blobs for the ZIP.
const counts = { added: 0, done: 0, failed: 0 };
const outputs = [];

// What tests and benchmarks read: boot time, and one record per finished file.
window.googly = { readyMs: null, info: null, results: [] };

// Boot steps, in order; PyScript reports the first ones as "py:progress" events.
const BOOT_STEPS = [
  ['Loading Pyodide', 'Loading the Python runtime…'],
  ['Loaded Pyodide', 'Loading numpy, Pillow and the googly-eyes code…'],
  ['fetch:model', 'Loading the face detector…'],
  ['ready', 'Ready'],
];

function bootStep(stage) {
  const index = BOOT_STEPS.findIndex(([name]) => name === stage);
  if (index < 0) return;
  bootBar.value = Math.max(bootBar.value, index + 1);
  bootText.textContent = BOOT_STEPS[index][1];
}

function announce(text) {
  statusArea.textContent = text;
}

window.googlyUI = {
  progress(stage) { bootStep(stage); },
  fail(message, hint) {
    $('#boot').classList.add('failed');
    bootText.textContent = `${message} ${hint}`;
    announce(`${message} ${hint}`);
  },
};

window.addEventListener('py:progress', (event) => bootStep(event.detail));

window.addEventListener('googly:ready', (event) => {
  processFile = window.googlyProcess;
  const seconds = (performance.now() - startedAt) / 1000;
  window.googly.readyMs = Math.round(performance.now() - startedAt);
  window.googly.info = event.detail ? Object.fromEntries(Object.entries(event.detail)) : null;
  bootStep('ready');
  $('#boot').classList.add('done');
  bootText.textContent = `Ready in ${seconds.toFixed(1)} s. Works offline: nothing leaves this device.`;
  document.body.classList.add('ready');
  announce(queue.length ? `Ready. Processing ${queue.length} waiting photo(s)…` : 'Ready. Drop photos to begin.');
  pump();
});

// ---- Queue -----------------------------------------------------------------------------------

function enqueue(files) {
  for (const file of files) {
    const card = template.content.firstElementChild.cloneNode(true);
    card.querySelector('.name').textContent = file.name;
    card.querySelector('.summary').textContent = processFile ? 'Waiting…' : 'Waiting for the app to load…';
    card.classList.add('pending');
    results.prepend(card);
    queue.push({ file, card });
  }
  counts.added += files.length;
  updateBatch();
  if (files.length) announce(`${files.length} photo(s) added.`);
  pump();
}

async function pump() {
  if (busy || !processFile) return;
  busy = true;
  while (queue.length) {
    const { file, card } = queue.shift();
    card.querySelector('.summary').textContent = 'Finding faces…';
    announce(`Working on ${file.name}…`);
    // Let the browser paint the status before Python takes the main thread.
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
    const started = performance.now();
    let result;
    try {
      result = await processFile(file);
    } catch (error) {
      result = { ok: false, name: file.name, error: { code: 'internal', message: `${file.name}: ${error}`, hint: 'Reload the page and try again.' } };
    }
    showResult(card, result, performance.now() - started);
  }
  busy = false;
}

// ---- Batch summary and "Download all" ----------------------------------------------------------

// "3 of 12 done · 1 could not be read": the summary text for the current counts.
function batchSummary() {
  const failed = counts.failed ? ` · ${counts.failed} could not be read` : '';
  if (counts.done === counts.added) return `All ${counts.added} done${failed}`;
  return `${counts.done} of ${counts.added} done${failed}`;
}

// Refresh the summary and the button; the summary is not a live region, #status speaks for it.
function updateBatch() {
  batch.hidden = counts.added === 0;
  batchBar.max = Math.max(1, counts.added);
  batchBar.value = counts.done;
  batchText.textContent = batchSummary();
  downloadAllButton.disabled = outputs.length === 0 || downloadAllButton.dataset.busy === '1';
}

// Count one finished file; when it was the last one waiting, say so once in #status.
function fileFinished(ok) {
  counts.done += 1;
  if (!ok) counts.failed += 1;
  updateBatch();
  if (counts.done === counts.added && counts.added > 1) announce(`${statusArea.textContent} ${batchSummary()}.`);
}

// One detections.json for the ZIP: the first photo's header and every photo's images, each with its ZIP name.
function combinedDetections(entries) {
  const documents = entries.map(({ output }) => JSON.parse(output.json));
  const images = entries.flatMap(({ zipName }, index) => documents[index].images.map((image) => ({ ...image, zip_file: zipName })));
  return JSON.stringify({ ...documents[0], images }, null, 1);
}

// Hand a Blob to the browser as a download, then let go of its object URL.
function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement('a'), { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // Revoking at once can cancel the download in some browsers; a while later it is safe.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

// Build the ZIP of every successful result (the same bytes as each card's link) and download it.
async function downloadAll() {
  if (!outputs.length) return;
  downloadAllButton.dataset.busy = '1';
  updateBatch();
  batchMessage.hidden = true;
  const now = new Date();
  const names = uniqueNames([...outputs.map((output) => output.downloadName), ...(zipJson.checked ? ['detections.json'] : [])]);
  const entries = outputs.map((output, index) => ({ output, zipName: names[index] }));
  const files = entries.map(({ output, zipName }) => ({ name: zipName, data: output.blob }));
  if (zipJson.checked) files.push({ name: names[names.length - 1], data: combinedDetections(entries) });
  const zipName = zipFileName(now);
  try {
    announce(`Preparing ${zipName} with ${outputs.length} photo(s)…`);
    saveBlob(await makeZip(files, now), zipName);
    announce(`${zipName} is ready: ${outputs.length} photo(s).`);
  } catch (error) {
    batchMessage.textContent = error.message;
    batchMessage.hidden = false;
    announce(error.message);
  } finally {
    delete downloadAllButton.dataset.busy;
    updateBatch();
  }
}

downloadAllButton.addEventListener('click', downloadAll);

// ---- Results ---------------------------------------------------------------------------------

function showResult(card, result, totalMs) {
  card.classList.remove('pending');
  const record = { name: result.name, ok: result.ok, totalMs: Math.round(totalMs) };
  if (!result.ok) {
    const { code, message, hint } = result.error;
    card.classList.add('error');
    card.querySelector('.frame').remove();
    card.querySelector('.summary').textContent = 'Could not be processed';
    const text = card.querySelector('.message');
    text.textContent = `${message} ${hint}`;
    text.hidden = false;
    Object.assign(record, { error: code, message });
    announce(message);  // the message names the file
  } else {
    const imageBlob = new Blob([result.image], { type: result.mime });
    const imageUrl = URL.createObjectURL(imageBlob);
    const jsonUrl = URL.createObjectURL(new Blob([result.json], { type: 'application/json' }));
    const faces = result.faces;
    const img = card.querySelector('img');
    img.src = imageUrl;
    img.alt = faces ? `${result.name} with googly eyes on ${faces} face${faces === 1 ? '' : 's'}` : `${result.name} (no faces found)`;
    const timings = Object.entries(result.timings).map(([stage, ms]) => `${stage} ${Math.round(ms)}`).join(' · ');
    card.querySelector('.summary').textContent =
      `${faces ? `${faces} face${faces === 1 ? '' : 's'}` : 'No faces'} · ${result.width}×${result.height} · ${Math.round(totalMs)} ms`;
    card.querySelector('.summary').title = `Time by stage (ms): ${timings}`;
    if (!faces) {
      const text = card.querySelector('.message');
      text.textContent = 'No faces found in this photo, so it has no googly eyes.';
      text.hidden = false;
    }
    const imageLink = card.querySelector('.download-image');
    imageLink.href = imageUrl;
    imageLink.download = result.downloadName;
    const jsonLink = card.querySelector('.download-json');
    jsonLink.href = jsonUrl;
    jsonLink.download = result.downloadName.replace(/\.[^.]+$/, '.json');
    card.querySelector('.actions').hidden = false;
    Object.assign(record, { faces, width: result.width, height: result.height, timings: Object.fromEntries(Object.entries(result.timings)) });
    announce(`${result.name}: ${faces ? `${faces} face${faces === 1 ? '' : 's'} got googly eyes` : 'no faces found'}.`);
    outputs.push({ downloadName: result.downloadName, blob: imageBlob, json: result.json });
  }
  window.googly.results.push(record);
  fileFinished(result.ok);
}

// ---- Input: drag and drop anywhere on the page, or the file picker ---------------------------

fileInput.addEventListener('change', () => {
  enqueue([...fileInput.files]);
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
  enqueue([...(event.dataTransfer?.files ?? [])]);
});

bootStep('Loading Pyodide');
