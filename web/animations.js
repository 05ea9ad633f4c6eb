// @ts-check
// Animated downloads, the page's side: the choices (motion, length, size, format: made from the settings
// spec and remembered in this browser), making one with progress and Cancel, and sharing it. The worker
// plans and makes the file (worker.py `animate`, web/animation_export.py); app.js saves it or puts it in
// the ZIP of "Download all as animations".

import { $, addOptions, applyRange } from './dom.js';
import { Engine } from './engine.js';
import { SPEC } from './settings.js';

/** @typedef {import('./protocol.js').AnimationChoice} AnimationChoice */
/** @typedef {import('./protocol.js').AnimateAnswer} AnimateAnswer */

const CHOICE_KEY = 'googly-eyes:animation';
const FIELDS = /** @type {const} */ (['motion', 'seconds', 'size', 'format']);

export class AnimationChoices {
  constructor() {
    this.motion = $('#animation-motion', HTMLSelectElement);
    this.seconds = $('#animation-seconds', HTMLInputElement);
    this.size = $('#animation-size', HTMLInputElement);
    this.format = $('#animation-format', HTMLSelectElement);
    addOptions(this.motion, SPEC.animation.motion);
    addOptions(this.format, SPEC.animation.format);
    applyRange(this.seconds, SPEC.animation.seconds);
    applyRange(this.size, SPEC.animation.size);
    this.restore();
    for (const control of [this.motion, this.seconds, this.size, this.format]) {
      control.addEventListener('input', () => this.changed());
    }
    this.changed();
  }

  /** @returns {AnimationChoice} */
  value() {
    return { motion: this.motion.value, seconds: Number(this.seconds.value), size: Number(this.size.value), format: this.format.value };
  }

  changed() {
    $('#animation-seconds-value').textContent = `${Number(this.seconds.value).toFixed(1)} s`;
    $('#animation-size-value').textContent = `${this.size.value} px`;
    try { localStorage.setItem(CHOICE_KEY, JSON.stringify(this.value())); } catch { /* storage blocked */ }
  }

  // The choices of an earlier visit, each kept only if it is still one the spec allows.
  restore() {
    let saved = null;
    try { saved = JSON.parse(localStorage.getItem(CHOICE_KEY) || 'null'); } catch { /* none or damaged */ }
    if (!saved || typeof saved !== 'object') return;
    for (const name of FIELDS) {
      const field = SPEC.animation[name];
      const value = saved[name];
      if (field.kind === 'choice') {
        if (field.choices.some((choice) => choice.value === value)) this[name].value = value;
      } else if (typeof value === 'number' && value >= field.min && value <= field.max) {
        this[name].value = String(value);
      }
    }
  }
}

/**
 * Make an animation of a photo; throws its failure as an Error (code "cancelled" when cancelled, in
 * `error.cause`).
 * @param {Engine} engine
 * @param {{id: string, file: File, name: string}} photo
 * @param {import('./protocol.js').View} view
 * @param {AnimationChoice} choice
 * @param {(done: number, total: number) => void} [onProgress]
 * @returns {Promise<AnimateAnswer>}
 */
export async function makeAnimation(engine, photo, view, choice, onProgress) {
  const started = performance.now();
  const answer = await engine.animate(photo.id, photo.file, view, choice, { onProgress });
  const totalMs = Math.round(performance.now() - started);
  window.googly.animations.push(answer.ok
    ? { name: photo.name, ok: true, totalMs, format: answer.format, bytes: answer.image.length, frames: answer.frames, timings: answer.timings }
    : { name: photo.name, ok: false, totalMs, error: answer.error.code });
  if (!answer.ok) throw new Error(`${answer.error.message} ${answer.error.hint}`.trim(), { cause: answer.error.code });
  return answer;
}

/** Stop the animation being made of a photo. @param {{id: string}} photo */
export function cancelAnimation(photo) {
  Engine.cancelAnimation(photo.id);
}

/** @param {unknown} error */
export const wasCancelled = (error) => error instanceof Error && error.cause === 'cancelled';
