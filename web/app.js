// The page's DOM glue: boot progress, drop zone and file picker, a queue, result cards, downloads.
// Python (main.py) does the work; it publishes window.googlyProcess(file) and fires "googly:ready".
// Photos dropped while Python is still loading wait in the queue and run as soon as it is ready.

const $ = (selector) => document.querySelector(selector);
const bootBar = $('#boot-progress');
const bootText = $('#boot-text');
const statusArea = $('#status');
const results = $('#results');
const template = $('#result-template');
const dropZone = $('#drop-zone');
const fileInput = $('#file-input');

const startedAt = performance.now();
const queue = [];
let processFile = null;
let busy = false;

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
    announce(`${result.name}: ${message}`);
  } else {
    const imageUrl = URL.createObjectURL(new Blob([result.image], { type: result.mime }));
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
  }
  window.googly.results.push(record);
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
