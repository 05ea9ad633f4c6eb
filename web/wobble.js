// @ts-check
// The editor's live wobble: the photo's pupils rolling and bouncing at the display's frame rate.
//
// The worker sends, once per look (gallery.moving): the preview with the googly eyes but no pupils, the
// layers that go over the pupils, every eye and its physics. From then on everything happens here, on the
// main thread, and is cheap: physics.js steps the pupils (the same physics as the animated downloads),
// and each frame redraws only the eyes (the preview under an eye, its pupil, the layers above).
//
// What moves the pupils:
//   drag or fling the photo   it follows the pointer a little on a spring and springs back when let go;
//                             its acceleration is the eyes' (the pupils lag behind, then catch up)
//   Shake (button, or S)      a kick to the spring
//   the phone                 its motion (DeviceMotion, asked for where the browser requires it) shakes
//                             the eyes and its tilt turns gravity
//   the pointer, in look-at   pupils are pulled towards it
// With prefers-reduced-motion nothing moves by itself: the pupils start at rest (settled at the bottom)
// and the phone's motion is not used; a drag or Shake still moves them.
// The loop stops when every pupil is at rest and nothing is moving them, and starts again on input.

import { drawPupil } from './pupil.js';
import { Pupils } from './physics.js';

/** @typedef {import('./protocol.js').MovingAnswer} MovingAnswer */

// The photo's spring, in eye radii (the photo's median googly eye) and seconds: held by the pointer it
// follows stiffly; let go it springs back with a little wobble.
const HELD = { stiffness: 900, damping: 60 };
const FREE = { stiffness: 260, damping: 9 };
const MOST_OFFSET = 1.5;  // eye radii: how far a drag takes the photo
const KICK_SPEED = 14;  // eye radii / s: a Shake
const PHONE_SCALE = 10;  // eye radii / s^2 per m / s^2 of the phone's own acceleration (a toy googly eye)
const POINTER_PULL = 1.6;  // x gravity: how hard look-at pulls a pupil towards the pointer
const MAX_FRAME_S = 0.05;  // a frame later than this (a busy tab) is caught up only this far
const REST_SPEED = 0.02;  // eye radii / s: slower than this everywhere, and nothing pushing: at rest
const QUIET_FRAMES = 10;  // ... for this many frames in a row

export class Wobble {
  /**
   * @param {HTMLCanvasElement} canvas  over the preview, the preview's size
   * @param {(offsetX: number, offsetY: number) => void} moveStage  shows the photo moved by CSS pixels
   * @param {() => number} cssScale  CSS pixels per preview pixel
   */
  constructor(canvas, moveStage, cssScale) {
    this.canvas = canvas;
    this.context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    this.moveStage = moveStage;
    this.cssScale = cssScale;
    /** @type {MovingAnswer | null} */
    this.parts = null;
    /** @type {ImageBitmap | null} */
    this.base = null;
    /** @type {{left: number, top: number, bitmap: ImageBitmap}[]} */
    this.above = [];
    /** @type {Pupils | null} */
    this.pupils = null;
    this.reference = 1;  // preview px per eye radius of the spring
    this.offset = [0, 0];  // the photo's spring, eye radii
    this.velocity = [0, 0];
    /** @type {number[] | null} where the pointer holds the photo (eye radii from rest), or null */
    this.held = null;
    /** @type {number[] | null} the pointer, preview px, in look-at mode */
    this.lookAt = null;
    this.lookingAt = false;
    this.phoneShake = [0, 0];
    this.phoneGravity = /** @type {number[] | null} */ (null);
    this.reducedMotion = matchMedia('(prefers-reduced-motion: reduce)').matches;
    this.running = false;
    this.frame = 0;
    this.last = 0;
    this.carry = 0;  // seconds not yet stepped
    this.quiet = 0;  // frames in a row at rest
    /** @type {{frames: number, steps: number, drawn: number}} for tests and benchmarks */
    this.stats = { frames: 0, steps: 0, drawn: 0 };
  }

  /**
   * Show these parts (a new photo or look): the pupils start where the still picture has them (or settled
   * at the bottom, with reduced motion).
   * @param {MovingAnswer} parts
   * @param {boolean} lookingAt  the photo's pupil mode is look-at: the pointer pulls the pupils
   */
  async show(parts, lookingAt) {
    const base = await createImageBitmap(new Blob([parts.base], { type: parts.baseMime }));
    const above = await Promise.all(parts.above.map(async (layer) => ({ left: layer.left, top: layer.top,
      bitmap: await createImageBitmap(new Blob([layer.png], { type: 'image/png' })) })));
    this.release();
    Object.assign(this, { parts, base, above, lookingAt });
    this.canvas.width = parts.width;
    this.canvas.height = parts.height;
    this.pupils = new Pupils(parts.params, parts.start, parts.physics);
    const radii = parts.eyes.map((eye) => eye.radius).sort((a, b) => a - b);
    this.reference = radii.length ? radii[Math.floor(radii.length / 2)] : Math.min(parts.width, parts.height) / 20;
    if (this.reducedMotion) this.settle(parts.physics.stepHz);
    this.context.drawImage(base, 0, 0);
    this.draw();
    this.wake();
  }

  /**
   * Let the pupils come to rest before anything is shown (reduced motion): up to a minute of steps.
   * @param {number} stepHz
   */
  settle(stepHz) {
    const pupils = /** @type {Pupils} */ (this.pupils);
    for (let second = 0; second < 60; second++) {
      for (let i = 0; i < stepHz; i++) pupils.step([0, 0], null);
      if (!pupils.moving(1e-4)) return;
    }
  }

  release() {
    this.base?.close();
    for (const { bitmap } of this.above) bitmap.close();
    this.base = null;
    this.above = [];
  }

  stop() {
    this.running = false;
    cancelAnimationFrame(this.frame);
    this.offset = [0, 0];
    this.velocity = [0, 0];
    this.held = null;
    this.moveStage(0, 0);
    this.release();
    this.parts = null;
    this.pupils = null;
  }

  /** Start the loop if it is not running. */
  wake() {
    if (this.running || !this.pupils) return;
    this.running = true;
    this.last = performance.now();
    this.carry = 0;
    this.quiet = 0;
    this.frame = requestAnimationFrame((time) => this.tick(time));
  }

  /** A kick, as if the photo were flicked sideways (and a little up or down). */
  shake() {
    const angle = (Math.random() - 0.5) * 0.8 + (Math.random() < 0.5 ? 0 : Math.PI);
    this.velocity[0] += KICK_SPEED * Math.cos(angle);
    this.velocity[1] += KICK_SPEED * Math.sin(angle);
    this.wake();
  }

  /**
   * The pointer holds the photo, dragged by (dx, dy) CSS pixels from where it was taken; null: let go.
   * @param {number[] | null} drag
   */
  hold(drag) {
    if (!drag) { this.held = null; this.wake(); return; }
    const scale = this.reference * this.cssScale();
    const limit = (/** @type {number} */ v) => Math.max(-MOST_OFFSET, Math.min(MOST_OFFSET, v / scale));
    this.held = [limit(drag[0]), limit(drag[1])];
    this.wake();
  }

  /** @param {number[] | null} point  the pointer over the photo, preview px (null: it left) */
  point(point) {
    this.lookAt = point;
    if (this.lookingAt) this.wake();
  }

  /**
   * The phone moved: its own acceleration (m/s^2, without gravity) and the gravity it feels, both in
   * screen axes (x right, y down).
   * @param {number[]} acceleration
   * @param {number[] | null} gravity
   */
  phone(acceleration, gravity) {
    if (this.reducedMotion) return;
    this.phoneShake = [acceleration[0] * PHONE_SCALE, acceleration[1] * PHONE_SCALE];
    this.phoneGravity = gravity;
    this.wake();
  }

  /** @param {number} time */
  tick(time) {
    if (!this.running || !this.pupils || !this.parts) return;
    const pupils = this.pupils;
    const { stepHz, gravity } = this.parts.physics;
    this.carry += Math.min(MAX_FRAME_S, (time - this.last) / 1000);
    this.last = time;
    const dt = 1 / stepHz;
    const pull = this.pull(gravity);
    const pushing = !!this.held || Math.hypot(...this.offset) > 1e-3 || Math.hypot(...this.velocity) > 1e-2
      || Math.hypot(...this.phoneShake) > 1e-2 || pull !== null;
    for (; this.carry >= dt; this.carry -= dt) {
      // the photo's spring (semi-implicit Euler): its acceleration is what the eyes feel
      const { stiffness, damping } = this.held ? HELD : FREE;
      const target = this.held ?? [0, 0];
      const shake = [0, 1].map((k) => stiffness * (target[k] - this.offset[k]) - damping * this.velocity[k]);
      for (const k of [0, 1]) {
        this.velocity[k] += shake[k] * dt;
        this.offset[k] += this.velocity[k] * dt;
      }
      pupils.step([shake[0] + this.phoneShake[0], shake[1] + this.phoneShake[1]], pull);
      this.stats.steps++;
    }
    const scale = this.reference * this.cssScale();
    this.moveStage(this.offset[0] * scale, this.offset[1] * scale);
    this.draw();
    this.stats.frames++;
    // At rest (every pupil slow, nothing pushing) for QUIET_FRAMES frames in a row: stop, and wake() starts
    // again on input. (One slow frame is not rest: a pupil let go at the top of its eye starts at speed 0.)
    this.quiet = !pushing && !pupils.moving(REST_SPEED) ? this.quiet + 1 : 0;
    if (this.quiet >= QUIET_FRAMES) {
      this.running = false;
      return;
    }
    this.frame = requestAnimationFrame((next) => this.tick(next));
  }

  /**
   * The extra acceleration of each eye (x, y pairs), or null for none: look-at's pull towards the
   * pointer, and the phone's tilt turning gravity (physics adds gravity straight down by itself).
   * @param {number} gravity
   * @returns {Float64Array | null}
   */
  pull(gravity) {
    const parts = this.parts;
    const aiming = this.lookingAt && this.lookAt;
    if (!parts || (!aiming && !this.phoneGravity)) return null;
    const pull = new Float64Array(parts.eyes.length * 2);
    parts.eyes.forEach((eye, i) => {
      if (this.phoneGravity) {
        pull[2 * i] += gravity * this.phoneGravity[0];
        pull[2 * i + 1] += gravity * (this.phoneGravity[1] - 1);
      }
      if (aiming && this.lookAt) {
        const dx = this.lookAt[0] - eye.centre[0];
        const dy = this.lookAt[1] - eye.centre[1];
        const distance = Math.hypot(dx, dy);
        if (distance > 1e-6) {
          pull[2 * i] += POINTER_PULL * gravity * dx / distance;
          pull[2 * i + 1] += POINTER_PULL * gravity * dy / distance;
        }
      }
    });
    return pull;
  }

  // Each eye again: the preview under it (no pupil), its pupil where the physics has it, the layers above.
  draw() {
    const { parts, pupils, base, context } = this;
    if (!parts || !pupils || !base) return;
    parts.eyes.forEach((eye, i) => {
      const [x, y] = eye.centre;
      const r = eye.radius + 2;
      const left = Math.max(0, Math.floor(x - r));
      const top = Math.max(0, Math.floor(y - r));
      const width = Math.min(parts.width, Math.ceil(x + r)) - left;
      const height = Math.min(parts.height, Math.ceil(y + r)) - top;
      if (width > 0 && height > 0) context.drawImage(base, left, top, width, height, left, top, width, height);
    });
    // and under the layers above (a sparkle reaches past its eye): else each frame blends them over the last
    for (const { left, top, bitmap } of this.above) {
      context.drawImage(base, left, top, bitmap.width, bitmap.height, left, top, bitmap.width, bitmap.height);
    }
    parts.eyes.forEach((eye, i) => {
      // through the eye's squash: an eye-shaped eye's pupil moves in its ellipse (googly.py GooglyEye.squash)
      const [a, b, c, d] = eye.squash;
      const u = pupils.x[2 * i], v = pupils.x[2 * i + 1];
      drawPupil(context, parts.look, eye.centre[0] + (a * u + b * v) * eye.radius, eye.centre[1] + (c * u + d * v) * eye.radius, eye.pupilRadius);
    });
    for (const { left, top, bitmap } of this.above) context.drawImage(bitmap, left, top);
    this.stats.drawn++;
  }
}
