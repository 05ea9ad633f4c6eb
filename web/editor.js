// The editor: one photo, large, with every control of its look and the hand fix-ups.
//
// A photo's look is plain data: `settings` (style, sizes, pupil mode, seed; null = the defaults)
// and `edits` ({eyes: {key: {centre, radius, deleted, reroll}}, added: [{key, centre, radius, reroll}]}),
// in full-photo pixels. Every change goes through `change()`, which records the old look for undo and
// asks Python to render again (app.js `rerender`). Python draws the googly eyes; this file only draws
// the handles and the debug overlay in an SVG over the preview, so neither can reach a download.

import { LOOK_CHOICES, LOOK_SLIDERS, SPEC, addRadioButtons, applyRange, settingProblem } from './settings.js';

const SVG = 'http://www.w3.org/2000/svg';
const $ = (selector) => document.querySelector(selector);
const EMPTY_EDITS = () => ({ eyes: {}, added: [] });

function svgElement(name, attributes, parent) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  parent?.append(element);
  return element;
}

function eyeLabel(eye) {
  if (eye.face < 0) return `Added eye ${eye.key.slice(1)}`;
  return `Face ${eye.face + 1}, ${eye.side === 'right' ? "person's right" : "person's left"} eye`;
}

export class Editor {
  constructor({ look, rerender, rerenderDefaults, download, announce }) {
    Object.assign(this, { look, rerender, rerenderDefaults, download, announce });
    this.dialog = $('#editor');
    this.form = $('#controls');
    this.image = $('#stage-image');
    this.overlay = $('#overlay');
    this.photo = null;
    this.selected = null;  // key of the selected googly eye
    this.drag = null;
    this.comparing = false;
    this.makeControls();
    this.bindControls();
    this.bindStage();
    new ResizeObserver(() => this.drawOverlay()).observe(this.image);
  }

  // ---- Opening and showing a photo --------------------------------------------------------

  open(photo) {
    this.photo = photo;
    this.selected = null;
    this.setComparing(false);
    this.setTool('move');
    $('#editor-title').textContent = `Edit ${photo.name}`;
    this.showControls();
    this.showImage();
    if (!this.dialog.open) this.dialog.showModal();
    this.announce(`Editing ${photo.name}. ${photo.result.eyes.length} googly eye(s).`);
  }

  close() {
    this.dialog.close();
  }

  // app.js calls this after every render of any photo.
  rendered(photo) {
    if (photo !== this.photo || !this.dialog.open) return;
    this.showImage();
  }

  get view() {
    return this.look.view(this.photo);
  }

  showImage() {
    const { result } = this.photo;
    this.image.src = this.comparing ? result.originalUrl : result.previewUrl;
    this.image.alt = this.comparing ? `${this.photo.name} without googly eyes` : `${this.photo.name} with ${result.eyes.length} googly eye(s)`;
    this.overlay.setAttribute('viewBox', `0 0 ${result.width} ${result.height}`);
    this.drawOverlay();
  }

  showControls() {
    const { settings } = this.view;
    for (const [name] of LOOK_CHOICES) {
      this.form.querySelector(`input[name="${name}"][value="${settings[name]}"]`).checked = true;
    }
    for (const [name] of LOOK_SLIDERS) {
      this.slider(name).value = settings[name];
      this.sliderValue(name).textContent = Number(settings[name]).toFixed(2);
    }
    $('#seed').value = settings.seed;
    $('#look-at-hint').hidden = settings.pupil_mode !== 'look_at';
    $('#undo').disabled = !this.photo.history.length;
    $('#redo').disabled = !this.photo.future.length;
    $('#reset-photo').disabled = !this.photo.settings && !this.hasEdits();
    const eye = this.selectedEye();
    $('#delete-eye').disabled = !eye;
    $('#reroll-eye').disabled = !eye;
  }

  hasEdits() {
    const { edits } = this.photo;
    return Object.keys(edits.eyes).length > 0 || edits.added.length > 0;
  }

  selectedEye() {
    return this.photo?.result.eyes.find((eye) => eye.key === this.selected) ?? null;
  }

  // ---- Changing the look (with undo) -------------------------------------------------------

  snapshot() {
    return JSON.stringify({ settings: this.photo.settings, edits: this.photo.edits });
  }

  restore(json) {
    const { settings, edits } = JSON.parse(json);
    this.photo.settings = settings;
    this.photo.edits = edits;
  }

  // Apply `mutate(settings, edits)` to copies of the photo's look, remember the old look, render.
  // A photo keeps following the defaults until one of its own settings changes;
  // `followDefaults` makes it follow them again.
  change(mutate, message, { followDefaults = false } = {}) {
    const photo = this.photo;
    photo.history.push(this.snapshot());
    photo.future = [];
    const before = JSON.stringify(this.view.settings);
    const settings = JSON.parse(before);
    const edits = JSON.parse(JSON.stringify(photo.edits));
    mutate(settings, edits);
    if (followDefaults) photo.settings = null;
    else if (JSON.stringify(settings) !== before) photo.settings = settings;
    photo.edits = edits;
    this.showControls();
    this.rerender(photo);
    if (message) this.announce(message);
  }

  undo() {
    if (!this.photo?.history.length) return;
    this.photo.future.push(this.snapshot());
    this.restore(this.photo.history.pop());
    this.afterHistoryMove('Undone.');
  }

  redo() {
    if (!this.photo?.future.length) return;
    this.photo.history.push(this.snapshot());
    this.restore(this.photo.future.pop());
    this.afterHistoryMove('Redone.');
  }

  afterHistoryMove(message) {
    this.showControls();
    this.rerender(this.photo);
    this.announce(message);
  }

  // Edit one googly eye: for a detected eye its entry in edits.eyes, for an added one its entry.
  editEye(key, update, message) {
    this.change((settings, edits) => {
      const added = edits.added.find((eye) => eye.key === key);
      if (added) Object.assign(added, update(added));
      else edits.eyes[key] = { ...edits.eyes[key], ...update(edits.eyes[key] ?? {}) };
    }, message);
  }

  deleteSelected() {
    const eye = this.selectedEye();
    if (!eye) return;
    // Keyboard users keep their place: focus moves to the next eye (or the tools), not to <body>.
    const handles = [...this.overlay.querySelectorAll('.eye-handle')];
    const index = handles.findIndex((handle) => handle.dataset.key === eye.key);
    const hadFocus = handles[index] === document.activeElement;
    const next = handles[index + 1] ?? handles[index - 1] ?? null;
    this.change((settings, edits) => {
      if (eye.face < 0) edits.added = edits.added.filter((added) => added.key !== eye.key);
      else edits.eyes[eye.key] = { ...edits.eyes[eye.key], deleted: true };
    }, `${eyeLabel(eye)} deleted.`);
    this.selected = null;
    this.showControls();
    if (hadFocus) (next ?? this.form.querySelector('input[name="tool"]:checked')).focus();
  }

  rerollSelected() {
    const eye = this.selectedEye();
    if (eye) this.editEye(eye.key, (entry) => ({ reroll: (entry.reroll ?? 0) + 1 }), `${eyeLabel(eye)}: new pupil.`);
  }

  // Add one googly eye at `point`, or a pair centred on it, sized as Python says (result.newEye).
  addEyes(point, pair) {
    const { radius, pairOffset } = this.photo.result.newEye;
    const centres = pair ? [[point[0] - pairOffset, point[1]], [point[0] + pairOffset, point[1]]] : [point];
    const used = this.photo.edits.added.map((eye) => Number(eye.key.slice(1)));
    let next = Math.max(0, ...used) + 1;
    const keys = centres.map(() => `a${next++}`);
    this.change((settings, edits) => {
      centres.forEach((centre, index) => edits.added.push({ key: keys[index], centre: centre.map((v) => Math.round(v * 10) / 10), radius: Math.round(radius * 10) / 10 }));
    }, pair ? 'Added a pair of googly eyes.' : 'Added a googly eye.');
    this.selected = keys[keys.length - 1];
    this.setTool('move');
  }

  // ---- Controls ----------------------------------------------------------------------------

  // index.html has a place for each control; its choices and ranges come from the spec.
  makeControls() {
    for (const [name, field] of LOOK_CHOICES) addRadioButtons(this.form.querySelector(`[data-setting="${name}"]`), name, field);
    for (const [name, field] of LOOK_SLIDERS) applyRange(this.slider(name), field);
    applyRange($('#seed'), SPEC.look.seed);
  }

  /** @param {string} name @returns {HTMLInputElement} */
  slider(name) {
    return this.form.querySelector(`input[type="range"][name="${name}"]`);
  }

  /** @param {string} name @returns {HTMLOutputElement} */
  sliderValue(name) {
    return $(`#${this.slider(name).id}-value`);
  }

  bindControls() {
    const setNumber = (settings, name, value) => {
      settings[name] = value;
      // Keep ordered pairs (the pupil range) in order whichever end moved.
      for (const [low, high] of SPEC.ordered) {
        if (name === low && settings[high] < value) settings[high] = value;
        if (name === high && settings[low] > value) settings[low] = value;
      }
      return settings;
    };
    // Sliders: the photo follows while dragging (renders coalesce: the latest value wins); letting go
    // (or each keyboard step) records one undo step from where the drag began.
    for (const [name] of LOOK_SLIDERS) {
      const input = this.slider(name);
      input.addEventListener('input', () => {
        this.sliderValue(name).textContent = Number(input.value).toFixed(2);
        this.sliding ??= this.snapshot();
        this.photo.settings = setNumber({ ...this.view.settings }, name, Number(input.value));
        this.rerender(this.photo);
      });
      input.addEventListener('change', () => {
        if (this.sliding) this.restore(this.sliding);
        this.sliding = null;
        this.change((settings) => { setNumber(settings, name, Number(input.value)); });
      });
    }
    for (const [name] of LOOK_CHOICES) {
      for (const radio of this.form.querySelectorAll(`input[name="${name}"]`)) {
        radio.addEventListener('change', () => this.change((settings) => { settings[name] = radio.value; }));
      }
    }
    $('#seed').addEventListener('change', () => {
      const text = $('#seed').value.trim();
      const seed = Math.trunc(Number(text));
      if (text !== '' && !settingProblem('seed', SPEC.look.seed, seed)) this.change((settings) => { settings.seed = seed; });
      else { $('#seed').value = this.view.settings.seed; this.announce(`The seed is a whole number from ${SPEC.look.seed.min} to ${SPEC.look.seed.max}.`); }
    });
    $('#reroll-all').addEventListener('click', () => {
      const { min, max } = SPEC.look.seed;
      const seed = min + (crypto.getRandomValues(new Uint32Array(1))[0] % (max - min + 1));
      this.change((settings) => { settings.seed = seed; }, `New pupils everywhere (seed ${seed}).`);
    });
    for (const radio of this.form.querySelectorAll('input[name="tool"]')) {
      radio.addEventListener('change', () => this.setTool(radio.value));
    }
    $('#delete-eye').addEventListener('click', () => this.deleteSelected());
    $('#reroll-eye').addEventListener('click', () => this.rerollSelected());
    $('#undo').addEventListener('click', () => this.undo());
    $('#redo').addEventListener('click', () => this.redo());
    $('#compare').addEventListener('click', () => this.setComparing(!this.comparing));
    $('#show-debug').addEventListener('change', () => this.drawOverlay());
    $('#editor-close').addEventListener('click', () => this.close());
    $('#editor-download').addEventListener('click', () => this.download(this.photo));
    $('#make-default').addEventListener('click', () => {
      const { settings } = this.view;
      this.look.setDefaults(settings);
      // A look-at point belongs to this photo: it keeps it (other photos' pupils look straight out).
      this.change(() => {}, null, { followDefaults: !settings.look_at });
      this.rerenderDefaults();
      this.announce('This look is now the default for every photo that has not been changed on its own.');
    });
    $('#reset-photo').addEventListener('click', () => {
      this.selected = null;
      this.change((settings, edits) => { edits.eyes = {}; edits.added = []; }, 'This photo is back to the default look.', { followDefaults: true });
    });
    this.form.addEventListener('submit', (event) => event.preventDefault());
    // On the document, not the dialog: deleting the focused eye (or undoing the one just added) drops
    // focus to <body>, and Ctrl+Z must still work then.
    document.addEventListener('keydown', (event) => { if (this.dialog.open) this.onKey(event); });
    this.dialog.addEventListener('close', () => this.photo?.card.querySelector('.edit')?.focus());
  }

  setTool(tool) {
    this.tool = tool;
    this.form.querySelector(`input[name="tool"][value="${tool}"]`).checked = true;
    this.overlay.dataset.tool = tool;
    $('#stage-hint').textContent = {
      move: 'Drag a googly eye to move it, drag its square to resize it. Pick a tool to add eyes where the detector missed.',
      'add-pair': 'Click or tap between the eyes to add a pair of googly eyes.',
      'add-one': 'Click or tap an eye to add one googly eye.',
    }[tool];
  }

  setComparing(on) {
    this.comparing = on;
    $('#compare').setAttribute('aria-pressed', String(on));
    if (this.photo) this.showImage();
  }

  onKey(event) {
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && key === 'z') {
      event.preventDefault();
      if (event.shiftKey) this.redo(); else this.undo();
      return;
    }
    if ((event.ctrlKey || event.metaKey) && key === 'y') { event.preventDefault(); this.redo(); return; }
    if (event.target.closest('input, select, textarea')) return;
    if (key === 'b') this.setComparing(!this.comparing);
    const eye = this.selectedEye();
    if (!eye || !event.target.closest('.eye-handle')) return;
    const step = Math.max(1, eye.radius / 5) * (event.shiftKey ? 5 : 1);
    const moves = { arrowleft: [-step, 0], arrowright: [step, 0], arrowup: [0, -step], arrowdown: [0, step] };
    if (moves[key]) {
      event.preventDefault();
      const [dx, dy] = moves[key];
      // From the edit (not the last render), so quick repeated keys all count.
      this.editEye(eye.key, (entry) => {
        const [x, y] = entry.centre ?? eye.centre;
        return { centre: [x + dx, y + dy] };
      });
    } else if (key === '+' || key === '=' || key === '-') {
      event.preventDefault();
      this.editEye(eye.key, (entry) => ({ radius: Math.max(2, (entry.radius ?? eye.radius) * (key === '-' ? 1 / 1.15 : 1.15)) }), `${eyeLabel(eye)} resized.`);
    } else if (key === 'delete' || key === 'backspace') {
      event.preventDefault();
      this.deleteSelected();
    } else if (key === 'r') {
      event.preventDefault();
      this.rerollSelected();
    }
  }

  // ---- The overlay: handles to drag, and the detections (debug) ------------------------------

  // Photo pixels per screen pixel, for handles that keep their on-screen size.
  pixelScale() {
    const width = this.image.getBoundingClientRect().width;
    return width ? this.photo.result.width / width : 1;
  }

  drawOverlay() {
    if (!this.photo?.result) return;
    const focusedKey = document.activeElement?.closest?.('.eye-handle')?.dataset.key;
    this.overlay.replaceChildren();
    const px = this.pixelScale();
    if ($('#show-debug').checked) this.drawDebug(px);
    if (this.comparing) return;
    for (const eye of this.photo.result.eyes) {
      const group = svgElement('g', { class: 'eye-handle', tabindex: '0', role: 'button', 'data-key': eye.key, 'aria-label': eyeLabel(eye), 'aria-pressed': String(eye.key === this.selected) }, this.overlay);
      const [x, y] = eye.centre;
      svgElement('circle', { class: 'ring', cx: x, cy: y, r: eye.radius }, group);
      if (eye.key === this.selected) {
        const size = 14 * px;
        svgElement('rect', { class: 'resize', x: x + eye.radius * Math.SQRT1_2 - size / 2, y: y + eye.radius * Math.SQRT1_2 - size / 2, width: size, height: size }, group);
      }
      group.addEventListener('focus', () => { if (this.selected !== eye.key) this.select(eye.key); });
      if (eye.key === focusedKey) queueMicrotask(() => group.focus());
    }
  }

  drawDebug(px) {
    const layer = svgElement('g', { class: 'debug', 'aria-hidden': 'true' }, this.overlay);
    for (const face of this.photo.result.faces) {
      const [x0, y0, x1, y1] = face.box;
      svgElement('rect', { class: 'face-box', x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, layer);
      for (const [x, y] of face.keypoints) svgElement('circle', { class: 'keypoint', cx: x, cy: y, r: 3 * px }, layer);
      for (const eye of face.eyes) {
        if (eye.contour.length > 2) svgElement('polygon', { class: 'contour', points: eye.contour.map((p) => p.join(',')).join(' ') }, layer);
        const [x, y] = eye.centre;
        const arm = 6 * px;
        svgElement('path', { class: eye.visible ? 'eye-point' : 'eye-point hidden-eye', d: `M${x - arm},${y}H${x + arm}M${x},${y - arm}V${y + arm}` }, layer);
      }
    }
  }

  select(key) {
    this.selected = key;
    this.drawOverlay();
    this.showControls();
  }

  toPhoto(event) {
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(this.overlay.getScreenCTM().inverse());
    return [point.x, point.y];
  }

  bindStage() {
    this.overlay.addEventListener('pointerdown', (event) => {
      if (this.comparing) return;
      const handle = event.target.closest('.eye-handle');
      if (handle && this.tool === 'move') {
        event.preventDefault();
        const eye = this.photo.result.eyes.find((item) => item.key === handle.dataset.key);
        this.select(eye.key);
        const resizing = event.target.classList.contains('resize');
        this.drag = { eye, resizing, start: this.toPhoto(event), moved: false, pointer: event.pointerId };
        this.overlay.setPointerCapture(event.pointerId);
        this.overlay.querySelector(`.eye-handle[data-key="${eye.key}"]`)?.focus({ preventScroll: true });
      }
    });
    this.overlay.addEventListener('pointermove', (event) => {
      const drag = this.drag;
      if (!drag || event.pointerId !== drag.pointer) return;
      const [x, y] = this.toPhoto(event);
      const [cx, cy] = drag.eye.centre;
      const ring = this.overlay.querySelector(`.eye-handle[data-key="${drag.eye.key}"] .ring`);
      if (drag.resizing) {
        drag.radius = Math.max(2, Math.hypot(x - cx, y - cy));
        ring?.setAttribute('r', drag.radius);
      } else {
        drag.centre = [cx + x - drag.start[0], cy + y - drag.start[1]];
        ring?.setAttribute('cx', drag.centre[0]);
        ring?.setAttribute('cy', drag.centre[1]);
      }
      drag.moved = true;
      this.overlay.querySelector('.resize')?.remove();
    });
    const finish = (event) => {
      const drag = this.drag;
      if (!drag || event.pointerId !== drag.pointer) return;
      this.drag = null;
      if (!drag.moved) return;
      const round = (v) => Math.round(v * 10) / 10;
      if (drag.resizing) this.editEye(drag.eye.key, () => ({ radius: round(drag.radius) }), `${eyeLabel(drag.eye)} resized.`);
      else this.editEye(drag.eye.key, () => ({ centre: drag.centre.map(round) }), `${eyeLabel(drag.eye)} moved.`);
    };
    this.overlay.addEventListener('pointerup', finish);
    this.overlay.addEventListener('pointercancel', finish);
    // A click on the photo itself: add eyes, aim the pupils, or clear the selection.
    this.overlay.addEventListener('click', (event) => {
      if (this.comparing || event.target.closest('.eye-handle')) return;
      const point = this.toPhoto(event).map((v) => Math.round(v * 10) / 10);
      if (this.tool === 'add-pair' || this.tool === 'add-one') this.addEyes(point, this.tool === 'add-pair');
      else if (this.view.settings.pupil_mode === 'look_at') this.change((settings) => { settings.look_at = point; }, 'Every pupil now looks at that point.');
      else if (this.selected) this.select(null);
    });
  }
}
