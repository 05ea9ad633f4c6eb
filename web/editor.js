// @ts-check
// The editor: one photo, large, with every control of its look and the hand fix-ups.
//
// A photo's look is plain data: `settings` (style, sizes, pupil mode, seed; null = the defaults)
// and `edits` ({eyes: {key: {centre, radius, deleted, reroll}}, added: [{key, centre, radius, reroll}]}),
// in full-photo pixels. Every change goes through `change()`, which records the old look for undo and
// asks Python to render again (app.js `rerender`). Python draws the googly eyes; this file only draws
// the handles and the debug overlay in an SVG over the preview, so neither can reach a download.

import { $, $$, addRadioButtons, applyRange } from './dom.js';
import { LOOK_CHOICES, LOOK_SLIDERS, SPEC, settingProblem } from './settings.js';
import { Wobble } from './wobble.js';

/** @typedef {import('./app.js').Photo} Photo */
/** @typedef {import('./app.js').PhotoResult} PhotoResult */
/** @typedef {import('./settings.js').Look} Look */
/** @typedef {import('./settings.js').LookName} LookName */
/** @typedef {import('./protocol.js').Edits} Edits */
/** @typedef {import('./protocol.js').EyeEdit} EyeEdit */
/** @typedef {import('./protocol.js').EditorEye} EditorEye */
/** @typedef {'move' | 'add-pair' | 'add-one'} Tool */
/**
 * A googly eye being dragged: where the drag started, and the new centre or radius so far.
 * @typedef {{eye: EditorEye, resizing: boolean, start: number[], moved: boolean, pointer: number,
 *   centre?: number[], radius?: number}} Drag
 */
/**
 * What the editor needs from app.js.
 * @typedef {object} EditorHooks
 * @property {import('./app.js').LookKeeper} look  the defaults, and each photo's view
 * @property {(photo: Photo) => void} rerender  render the photo again with its current look
 * @property {(photo: Photo) => void} reanalyse  find its faces again after a turn (photo.turn)
 * @property {() => void} rerenderDefaults  render again every photo that follows the defaults
 * @property {(photo: Photo) => void} download
 * @property {(photo: Photo) => void} opened  the editor now shows this photo
 * @property {(photo: Photo) => Promise<import('./protocol.js').MovingAnswer | import('./protocol.js').Failed>} moving
 *   what the live wobble draws and moves, for the photo's current look
 * @property {(file: File) => Promise<import('./protocol.js').BackgroundPhotoAnswer | import('./protocol.js').Failed>} backgroundPhoto
 *   hand the worker the photo to put behind the people (background "photo")
 * @property {(text: string) => void} announce  say it in the page's live region
 */

const SVG = 'http://www.w3.org/2000/svg';
const HINTS = {
  move: 'Drag a googly eye to move it, drag its square to resize it. Pick a tool to add eyes where the detector missed.',
  'add-pair': 'Click or tap between the eyes to add a pair of googly eyes.',
  'add-one': 'Click or tap an eye to add one googly eye.',
};

/**
 * @param {string} name
 * @param {Record<string, string | number>} attributes
 * @param {Element} [parent]
 * @returns {SVGElement}
 */
function svgElement(name, attributes, parent) {
  const element = /** @type {SVGElement} */ (document.createElementNS(SVG, name));
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  parent?.append(element);
  return element;
}

/** @param {EditorEye} eye */
function eyeLabel(eye) {
  if (eye.face < 0) return `Added eye ${eye.key.slice(1)}`;
  return `Face ${eye.face + 1}, ${eye.side === 'right' ? "person's right" : "person's left"} eye`;
}

export class Editor {
  /** @param {EditorHooks} hooks */
  constructor({ look, rerender, reanalyse, rerenderDefaults, download, opened, moving, backgroundPhoto, announce }) {
    /** @type {EditorHooks['look']} */ this.look = look;
    /** @type {EditorHooks['rerender']} */ this.rerender = rerender;
    /** @type {EditorHooks['reanalyse']} */ this.reanalyse = reanalyse;
    /** @type {EditorHooks['rerenderDefaults']} */ this.rerenderDefaults = rerenderDefaults;
    /** @type {EditorHooks['download']} */ this.download = download;
    /** @type {EditorHooks['opened']} */ this.opened = opened;
    /** @type {EditorHooks['moving']} */ this.moving = moving;
    /** @type {EditorHooks['backgroundPhoto']} */ this.backgroundPhoto = backgroundPhoto;
    /** @type {string | null} the name of the photo behind the people (background "photo"), once one is chosen */
    this.backgroundPhotoName = null;
    /** @type {EditorHooks['announce']} */ this.announce = announce;
    this.dialog = $('#editor', HTMLDialogElement);
    this.form = $('#controls', HTMLFormElement);
    this.image = $('#stage-image', HTMLImageElement);
    this.overlay = $('#overlay', SVGSVGElement);
    /** @type {Photo | null} the photo being edited */
    this.openPhoto = null;
    /** @type {string | null} key of the selected googly eye */
    this.selected = null;
    /** @type {Drag | null} */
    this.drag = null;
    /** @type {string | null} the look (JSON) when a slider drag began: one undo step per drag */
    this.sliding = null;
    /** @type {Tool} */
    this.tool = 'move';
    this.comparing = false;
    this.stage = $('#stage');
    this.wobbleCanvas = $('#wobble-canvas', HTMLCanvasElement);
    this.wobble = new Wobble(this.wobbleCanvas,
      (x, y) => { this.stage.style.transform = x || y ? `translate(${x}px, ${y}px)` : ''; },
      () => this.wobbleCanvas.getBoundingClientRect().width / Math.max(1, this.wobbleCanvas.width));
    this.wobbling = false;
    /** the latest request for the wobble's parts: an older answer is dropped */
    this.wobbleRequest = 0;
    this.makeControls();
    this.bindControls();
    this.bindStage();
    this.bindWobble();
    new ResizeObserver(() => this.drawOverlay()).observe(this.image);
  }

  // ---- Opening and showing a photo --------------------------------------------------------

  /** The photo being edited: the controls act only while one is open. */
  get photo() {
    if (!this.openPhoto) throw new Error('no photo is open in the editor');
    return this.openPhoto;
  }

  /** Its latest render (an open photo has been analysed). */
  get result() {
    const { result } = this.photo;
    if (!result) throw new Error(`${this.photo.name} has not been analysed`);
    return result;
  }

  /** @param {Photo} photo */
  open(photo) {
    this.openPhoto = photo;
    this.selected = null;
    this.setComparing(false);
    this.setTool('move');
    $('#editor-title').textContent = `Edit ${photo.name}`;
    this.showControls();
    this.showImage();
    if (!this.dialog.open) this.dialog.showModal();
    this.opened(photo);
    this.announce(`Editing ${photo.name}. ${this.result.eyes.length} googly eye(s).`);
  }

  close() {
    this.dialog.close();
  }

  // ---- Wobble: the pupils move live (wobble.js) ---------------------------------------------

  /** @param {boolean} on */
  async setWobble(on) {
    const button = $('#wobble', HTMLInputElement);
    button.checked = on;
    this.wobbling = on;
    this.stage.classList.toggle('wobbling', on);
    $('#shake', HTMLButtonElement).disabled = !on;
    const hint = $('#stage-hint');
    if (!on) {
      this.wobbleRequest++;
      this.wobble.stop();
      this.wobbleCanvas.hidden = true;
      hint.textContent = HINTS[this.tool];
      window.removeEventListener('devicemotion', this.onMotion);
      return;
    }
    hint.textContent = this.wobble.reducedMotion
      ? 'Your system asks for less motion: the pupils move only when you drag the photo or press Shake.'
      : 'Drag or fling the photo, press Shake, or move your phone. Switch Wobble off to edit the eyes.';
    await this.listenToThePhone();
    await this.refreshWobble();
  }

  // The phone's motion, where there is one; Safari asks the person first (this runs in the switch's click).
  async listenToThePhone() {
    if (this.wobble.reducedMotion || typeof DeviceMotionEvent === 'undefined') return;
    const motion = /** @type {{requestPermission?: () => Promise<string>}} */ (/** @type {unknown} */ (DeviceMotionEvent));
    if (typeof motion.requestPermission === 'function') {
      try {
        if (await motion.requestPermission() !== 'granted') { this.announce('Without motion access, drag the photo or press Shake.'); return; }
      } catch { return; }
    }
    window.addEventListener('devicemotion', this.onMotion);
  }

  /** @param {DeviceMotionEvent} event */
  onMotion = (event) => {
    const a = event.acceleration;
    const g = event.accelerationIncludingGravity;
    // Device axes (x right, y up, portrait) into the screen's (x right, y down), turned with the screen.
    const angle = ((screen.orientation?.angle ?? 0) * Math.PI) / 180;
    /** @param {number} x @param {number} y */
    const toScreen = (x, y) => [x * Math.cos(angle) + y * Math.sin(angle), x * Math.sin(angle) - y * Math.cos(angle)];
    const own = a && a.x !== null && a.y !== null ? toScreen(a.x ?? 0, a.y ?? 0) : [0, 0];
    const felt = g && g.x !== null && g.y !== null ? toScreen(-(g.x ?? 0) / 9.81, -(g.y ?? 0) / 9.81) : null;
    this.wobble.phone(own, felt);
  };

  // Ask for the parts of the current look (after any render while wobbling), and show them.
  async refreshWobble() {
    if (!this.wobbling || !this.openPhoto?.result) return;
    const request = ++this.wobbleRequest;
    const photo = this.photo;
    const parts = await this.moving(photo);
    if (request !== this.wobbleRequest || !this.wobbling || photo !== this.openPhoto) return;
    if (!parts.ok) { this.announce(`${parts.error.message} ${parts.error.hint}`); this.setWobble(false); return; }
    this.wobbleCanvas.hidden = this.comparing;
    await this.wobble.show(parts, this.view.settings.pupil_mode === 'look_at');
  }

  bindWobble() {
    $('#wobble', HTMLInputElement).addEventListener('change', (event) => {
      this.setWobble(/** @type {HTMLInputElement} */ (event.target).checked);
    });
    $('#shake').addEventListener('click', () => this.wobble.shake());
    const canvas = this.wobbleCanvas;
    /** @type {{pointer: number, x: number, y: number} | null} */
    let holding = null;
    /** @param {PointerEvent} event */
    const inPreview = (event) => {
      const box = canvas.getBoundingClientRect();
      return [((event.clientX - box.left) / box.width) * canvas.width, ((event.clientY - box.top) / box.height) * canvas.height];
    };
    canvas.addEventListener('pointerdown', (event) => {
      event.preventDefault();
      holding = { pointer: event.pointerId, x: event.clientX, y: event.clientY };
      canvas.setPointerCapture(event.pointerId);
    });
    canvas.addEventListener('pointermove', (event) => {
      if (holding && event.pointerId === holding.pointer) this.wobble.hold([event.clientX - holding.x, event.clientY - holding.y]);
      else this.wobble.point(inPreview(event));
    });
    /** @param {PointerEvent} event */
    const letGo = (event) => {
      if (!holding || event.pointerId !== holding.pointer) return;
      holding = null;
      this.wobble.hold(null);
    };
    canvas.addEventListener('pointerup', letGo);
    canvas.addEventListener('pointercancel', letGo);
    canvas.addEventListener('pointerleave', () => this.wobble.point(null));
  }

  // app.js calls this after every render of any photo.
  /** @param {Photo} photo */
  rendered(photo) {
    if (photo !== this.openPhoto || !this.dialog.open) return;
    this.showImage();
    this.showBackgroundStatus();
    this.refreshWobble();
  }

  // ---- Background ----------------------------------------------------------------------------

  // Under the Background choices: what the latest render made of it (no people found, or why it failed).
  showBackgroundStatus() {
    const status = $('#background-status');
    const { background } = this.view.settings;
    const { people, problem } = this.result;
    let text = '';
    if (problem) text = problem;
    else if (this.photo.rendering && background !== 'keep') text = 'Finding the people…';
    else if (background !== 'keep' && people === 0) text = 'No people found in this photo, so its background stays as it is.';
    status.textContent = text;
    status.hidden = !text;
  }

  // Choose the photo that goes behind the people; with one chosen, this photo's background becomes it.
  /** @param {File} file */
  async useBackgroundPhoto(file) {
    const status = $('#background-status');
    status.textContent = `Loading ${file.name}…`;
    status.hidden = false;
    const answer = await this.backgroundPhoto(file);
    if (!answer.ok) {
      status.textContent = `${answer.error.message} ${answer.error.hint}`.trim();
      this.announce(status.textContent);
      return;
    }
    this.backgroundPhotoName = answer.name;
    if (!this.openPhoto) return;
    if (this.view.settings.background === 'photo') this.rerenderAllWithPhoto();
    else this.change((settings) => { settings.background = 'photo'; }, `${answer.name} is now the background.`);
  }

  // A new background photo: every photo showing one is drawn again with it.
  rerenderAllWithPhoto() {
    this.rerender(this.photo);
    this.rerenderDefaults();
    this.announce(`${this.backgroundPhotoName} is now the background.`);
  }

  get view() {
    return this.look.view(this.photo);
  }

  showImage() {
    const { result } = this;
    $('#stage').setAttribute('aria-busy', String(this.photo.turning));
    this.image.src = this.comparing ? result.originalUrl : result.previewUrl;
    this.image.alt = this.comparing ? `${this.photo.name} without googly eyes` : `${this.photo.name} with ${result.eyes.length} googly eye(s)`;
    this.overlay.setAttribute('viewBox', `0 0 ${result.width} ${result.height}`);
    if (this.wobbling) this.wobbleCanvas.hidden = this.comparing;  // "before" shows the photo without googly eyes
    this.drawOverlay();
  }

  showControls() {
    const { settings } = this.view;
    for (const [name] of LOOK_CHOICES) {
      $(`input[name="${name}"][value="${settings[name]}"]`, HTMLInputElement, this.form).checked = true;
    }
    for (const [name] of LOOK_SLIDERS) {
      this.slider(name).value = String(settings[name]);
      this.sliderValue(name).textContent = Number(settings[name]).toFixed(2);
    }
    $('#seed', HTMLInputElement).value = String(settings.seed);
    $('#look-at-hint').hidden = settings.pupil_mode !== 'look_at';
    $('#background-colour-label').hidden = settings.background !== 'colour';
    $('#background-colour', HTMLInputElement).value = settings.background_colour;
    const photoButton = $('#background-photo', HTMLButtonElement);
    photoButton.hidden = settings.background !== 'photo';
    photoButton.textContent = this.backgroundPhotoName ? `Change photo (${this.backgroundPhotoName})…` : 'Choose photo…';
    $('#undo', HTMLButtonElement).disabled = !this.photo.history.length;
    $('#redo', HTMLButtonElement).disabled = !this.photo.future.length;
    $('#reset-photo', HTMLButtonElement).disabled = !this.photo.settings && !this.hasEdits();
    const eye = this.selectedEye();
    $('#delete-eye', HTMLButtonElement).disabled = !eye;
    $('#reroll-eye', HTMLButtonElement).disabled = !eye;
  }

  hasEdits() {
    const { edits } = this.photo;
    return Object.keys(edits.eyes).length > 0 || edits.added.length > 0;
  }

  selectedEye() {
    return this.openPhoto?.result?.eyes.find((eye) => eye.key === this.selected) ?? null;
  }

  // ---- Changing the look (with undo) -------------------------------------------------------

  snapshot() {
    return JSON.stringify({ settings: this.photo.settings, edits: this.photo.edits, turn: this.photo.turn });
  }

  /**
   * @param {string} json  a snapshot()
   * @returns {boolean} whether the photo's turn changed (its faces must be found again)
   */
  restore(json) {
    const { settings, edits, turn } = JSON.parse(json);
    const turned = turn !== this.photo.turn;
    Object.assign(this.photo, { settings, edits, turn });
    return turned;
  }

  // Apply `mutate(settings, edits)` to copies of the photo's look, remember the old look, render.
  // A photo keeps following the defaults until one of its own settings changes;
  // `followDefaults` makes it follow them again.
  /**
   * @param {(settings: Look, edits: Edits) => void} mutate
   * @param {string | null} [message]  for the live region
   * @param {{followDefaults?: boolean}} [options]
   */
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
    this.showBackgroundStatus();
    if (message) this.announce(message);
  }

  undo() {
    if (!this.openPhoto?.history.length) return;
    this.photo.future.push(this.snapshot());
    this.afterHistoryMove(this.restore(/** @type {string} */ (this.photo.history.pop())), 'Undone.');
  }

  redo() {
    if (!this.openPhoto?.future.length) return;
    this.photo.history.push(this.snapshot());
    this.afterHistoryMove(this.restore(/** @type {string} */ (this.photo.future.pop())), 'Redone.');
  }

  /**
   * @param {boolean} turned  the step undone or redone was a Rotate
   * @param {string} message
   */
  afterHistoryMove(turned, message) {
    this.selected = null;
    this.showControls();
    if (turned) this.reanalyse(this.photo); else this.rerender(this.photo);
    this.announce(turned ? `${message} Finding the faces again…` : message);
  }

  // Rotate a quarter turn (+1 right, -1 left): one undoable step. The faces are found again in the
  // new orientation (app.js reanalyse); eyes added by hand and a look-at point turn with the photo;
  // fixes to detected eyes start over, as those eyes are found anew.
  /** @param {1 | -1} by */
  rotate(by) {
    const photo = this.photo;
    // The size now: the latest analysis's, swapped if turns made since have not been analysed yet.
    const { result } = this;
    const [width, height] = (photo.turn - result.turn) % 2 ? [result.height, result.width] : [result.width, result.height];
    /** @param {number[]} point */
    const turned = ([x, y]) => (by === 1 ? [height - y, x] : [y, width - x]);
    photo.history.push(this.snapshot());
    photo.future = [];
    const fixes = Object.keys(photo.edits.eyes).length;
    photo.edits = { eyes: {}, added: photo.edits.added.map((eye) => ({ ...eye, centre: turned(eye.centre) })) };
    const lookAt = photo.settings?.look_at;
    if (photo.settings && lookAt) photo.settings = { ...photo.settings, look_at: /** @type {[number, number]} */ (turned(lookAt)) };
    photo.turn = (photo.turn + by + 4) % 4;
    this.selected = null;
    this.showControls();
    this.reanalyse(photo);
    this.announce(`Rotated ${by === 1 ? 'right' : 'left'}. Finding the faces again…${fixes ? ' Fixes to detected eyes start over.' : ''}`);
  }

  // Edit one googly eye: for a detected eye its entry in edits.eyes, for an added one its entry.
  /**
   * @param {string} key
   * @param {(entry: EyeEdit) => EyeEdit} update  the fields to change, from the eye's current edit
   * @param {string} [message]
   */
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
    const handles = $$('.eye-handle', SVGGElement, this.overlay);
    const index = handles.findIndex((handle) => handle.dataset.key === eye.key);
    const hadFocus = handles[index] === document.activeElement;
    const next = handles[index + 1] ?? handles[index - 1] ?? null;
    this.change((settings, edits) => {
      if (eye.face < 0) edits.added = edits.added.filter((added) => added.key !== eye.key);
      else edits.eyes[eye.key] = { ...edits.eyes[eye.key], deleted: true };
    }, `${eyeLabel(eye)} deleted.`);
    this.selected = null;
    this.showControls();
    if (hadFocus) (next ?? $('input[name="tool"]:checked', HTMLInputElement, this.form)).focus();
  }

  rerollSelected() {
    const eye = this.selectedEye();
    if (eye) this.editEye(eye.key, (entry) => ({ reroll: (entry.reroll ?? 0) + 1 }), `${eyeLabel(eye)}: new pupil.`);
  }

  // Add one googly eye at `point`, or a pair centred on it, sized as Python says (result.newEye).
  /**
   * @param {number[]} point  in photo pixels
   * @param {boolean} pair
   */
  addEyes(point, pair) {
    const { radius, pairOffset } = this.result.newEye;
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
    applyRange($('#seed', HTMLInputElement), SPEC.look.seed);
  }

  /** @param {string} name */
  slider(name) {
    return $(`input[type="range"][name="${name}"]`, HTMLInputElement, this.form);
  }

  /** @param {string} name */
  sliderValue(name) {
    return $(`#${this.slider(name).id}-value`, HTMLOutputElement);
  }

  bindControls() {
    /**
     * @param {Look} settings
     * @param {LookName} name
     * @param {number} value
     */
    const setNumber = (settings, name, value) => {
      const values = /** @type {Record<string, unknown>} */ (settings);
      values[name] = value;
      // Keep ordered pairs (the pupil range) in order whichever end moved.
      for (const [low, high] of SPEC.ordered) {
        if (name === low && Number(values[high]) < value) values[high] = value;
        if (name === high && Number(values[low]) > value) values[low] = value;
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
    const photoFile = $('#background-photo-file', HTMLInputElement);
    for (const [name] of LOOK_CHOICES) {
      for (const radio of $$(`input[name="${name}"]`, HTMLInputElement, this.form)) {
        radio.addEventListener('change', () => {
          // A photo background needs a photo first: the look changes once one is chosen.
          if (name === 'background' && radio.value === 'photo' && !this.backgroundPhotoName) {
            this.showControls();
            photoFile.click();
            return;
          }
          this.change((settings) => { Object.assign(settings, { [name]: radio.value }); });
        });
      }
    }
    $('#background-photo').addEventListener('click', () => photoFile.click());
    photoFile.addEventListener('change', () => {
      const file = photoFile.files?.[0];
      photoFile.value = '';
      if (file) this.useBackgroundPhoto(file);
    });
    $('#background-colour').addEventListener('change', (event) => {
      const value = /** @type {HTMLInputElement} */ (event.target).value;
      this.change((settings) => { settings.background_colour = value; });
    });
    const seedInput = $('#seed', HTMLInputElement);
    seedInput.addEventListener('change', () => {
      const text = seedInput.value.trim();
      const seed = Math.trunc(Number(text));
      if (text !== '' && !settingProblem('seed', SPEC.look.seed, seed)) this.change((settings) => { settings.seed = seed; });
      else { seedInput.value = String(this.view.settings.seed); this.announce(`The seed is a whole number from ${SPEC.look.seed.min} to ${SPEC.look.seed.max}.`); }
    });
    $('#reroll-all').addEventListener('click', () => {
      const { min, max } = SPEC.look.seed;
      const seed = min + (crypto.getRandomValues(new Uint32Array(1))[0] % (max - min + 1));
      this.change((settings) => { settings.seed = seed; }, `New pupils everywhere (seed ${seed}).`);
    });
    for (const radio of $$('input[name="tool"]', HTMLInputElement, this.form)) {
      radio.addEventListener('change', () => this.setTool(/** @type {Tool} */ (radio.value)));
    }
    $('#delete-eye').addEventListener('click', () => this.deleteSelected());
    $('#reroll-eye').addEventListener('click', () => this.rerollSelected());
    $('#undo').addEventListener('click', () => this.undo());
    $('#rotate-left').addEventListener('click', () => this.rotate(-1));
    $('#rotate-right').addEventListener('click', () => this.rotate(1));
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
    this.dialog.addEventListener('close', () => {
      this.setWobble(false);
      const edit = this.openPhoto?.card.querySelector('.edit');
      if (edit instanceof HTMLElement) edit.focus();
    });
  }

  /** @param {Tool} tool */
  setTool(tool) {
    this.tool = tool;
    $(`input[name="tool"][value="${tool}"]`, HTMLInputElement, this.form).checked = true;
    this.overlay.dataset.tool = tool;
    if (!this.wobbling) $('#stage-hint').textContent = HINTS[tool];
  }

  /** @param {boolean} on */
  setComparing(on) {
    this.comparing = on;
    $('#compare').setAttribute('aria-pressed', String(on));
    if (this.openPhoto) this.showImage();
  }

  /** @param {KeyboardEvent} event */
  onKey(event) {
    const key = event.key.toLowerCase();
    if ((event.ctrlKey || event.metaKey) && key === 'z') {
      event.preventDefault();
      if (event.shiftKey) this.redo(); else this.undo();
      return;
    }
    if ((event.ctrlKey || event.metaKey) && key === 'y') { event.preventDefault(); this.redo(); return; }
    const target = event.target instanceof Element ? event.target : null;
    if (target?.closest('input, select, textarea')) return;
    if (key === 'b') this.setComparing(!this.comparing);
    if (key === 's' && this.wobbling && !event.ctrlKey && !event.metaKey) { event.preventDefault(); this.wobble.shake(); return; }
    const eye = this.selectedEye();
    if (!eye || !target?.closest('.eye-handle')) return;
    const step = Math.max(1, eye.radius / 5) * (event.shiftKey ? 5 : 1);
    /** @type {Record<string, number[]>} */
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
    return width ? this.result.width / width : 1;
  }

  drawOverlay() {
    if (!this.openPhoto?.result) return;
    const focused = document.activeElement?.closest('.eye-handle');
    const focusedKey = focused instanceof SVGElement ? focused.dataset.key : undefined;
    this.overlay.replaceChildren();
    const px = this.pixelScale();
    if ($('#show-debug', HTMLInputElement).checked) this.drawDebug(px);
    if (this.comparing) return;
    for (const eye of this.result.eyes) {
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

  /** @param {number} px  photo pixels per screen pixel */
  drawDebug(px) {
    const layer = svgElement('g', { class: 'debug', 'aria-hidden': 'true' }, this.overlay);
    for (const face of this.result.faces) {
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

  /** @param {string | null} key */
  select(key) {
    this.selected = key;
    this.drawOverlay();
    this.showControls();
  }

  /**
   * Where a pointer event is, in photo pixels.
   * @param {MouseEvent} event
   * @returns {[number, number]}
   */
  toPhoto(event) {
    const toScreen = this.overlay.getScreenCTM() ?? new DOMMatrix();
    const point = new DOMPoint(event.clientX, event.clientY).matrixTransform(toScreen.inverse());
    return [point.x, point.y];
  }

  bindStage() {
    this.overlay.addEventListener('pointerdown', (event) => {
      if (this.comparing || !(event.target instanceof SVGElement)) return;
      const handle = event.target.closest('.eye-handle');
      const eye = handle instanceof SVGElement ? this.result.eyes.find((item) => item.key === handle.dataset.key) : undefined;
      if (eye && this.tool === 'move') {
        event.preventDefault();
        this.select(eye.key);
        const resizing = event.target.classList.contains('resize');
        this.drag = { eye, resizing, start: this.toPhoto(event), moved: false, pointer: event.pointerId };
        this.overlay.setPointerCapture(event.pointerId);
        $(`.eye-handle[data-key="${eye.key}"]`, SVGGElement, this.overlay).focus({ preventScroll: true });
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
        ring?.setAttribute('r', String(drag.radius));
      } else {
        drag.centre = [cx + x - drag.start[0], cy + y - drag.start[1]];
        ring?.setAttribute('cx', String(drag.centre[0]));
        ring?.setAttribute('cy', String(drag.centre[1]));
      }
      drag.moved = true;
      this.overlay.querySelector('.resize')?.remove();
    });
    /** @param {PointerEvent} event */
    const finish = (event) => {
      const drag = this.drag;
      if (!drag || event.pointerId !== drag.pointer) return;
      this.drag = null;
      const { radius, centre } = drag;
      const round = (/** @type {number} */ v) => Math.round(v * 10) / 10;
      if (drag.moved && drag.resizing && radius) this.editEye(drag.eye.key, () => ({ radius: round(radius) }), `${eyeLabel(drag.eye)} resized.`);
      else if (drag.moved && centre) this.editEye(drag.eye.key, () => ({ centre: centre.map(round) }), `${eyeLabel(drag.eye)} moved.`);
    };
    this.overlay.addEventListener('pointerup', finish);
    this.overlay.addEventListener('pointercancel', finish);
    // A click on the photo itself: add eyes, aim the pupils, or clear the selection.
    this.overlay.addEventListener('click', (event) => {
      if (this.comparing || (event.target instanceof Element && event.target.closest('.eye-handle'))) return;
      const [x, y] = this.toPhoto(event);
      /** @type {[number, number]} */
      const point = [Math.round(x * 10) / 10, Math.round(y * 10) / 10];
      if (this.tool === 'add-pair' || this.tool === 'add-one') this.addEyes(point, this.tool === 'add-pair');
      else if (this.view.settings.pupil_mode === 'look_at') this.change((settings) => { settings.look_at = point; }, 'Every pupil now looks at that point.');
      else if (this.selected) this.select(null);
    });
  }
}
