// @ts-check
// The camera mode's screen (issue 16): the live camera with a googly eye on every eye, wobbling with the head.
//
// camera.js opens the camera and passes on each analysed frame's faces (camera-worker.mjs finds them). Here,
// on the main thread and cheap: every display frame draws each face's googly eyes where the face is now (its
// last analysed position carried forward at its speed, at most MAX_AHEAD_MS), scaled and turned with the
// head, from the kit Python made for the current settings (googly_eyes.camera: sprites, pupil look, sizes,
// physics). The pupils run the editor's physics (physics.js): each eye's own acceleration, from the face's
// motion, pushes its pupil (it lags, then catches up and bounces), gravity pulls it down the screen.
//
// The front camera is shown mirrored (as a mirror: the video and the eyes together, by CSS); a snapshot is
// the camera's true frame. Hiding the tab or closing the mode stops the camera (its light goes off); coming
// back to the tab starts it again.

import { Camera, cameraMessage } from './camera.js';
import { Pupils } from './physics.js';
import { drawPupil } from './pupil.js';

/** @typedef {import('./camera.js').CameraFrame} CameraFrame */
/** @typedef {import('./camera.js').CameraFace} CameraFace */
/** @typedef {import('./protocol.js').CameraKit} CameraKit */

const MAX_AHEAD_MS = 100;  // a face's last position is carried forward at its speed at most this long
const FORGET_MS = 300;  // a face not seen in an analysed frame for this long has no eyes drawn
const MAX_ACCELERATION = 300;  // eye radii / s^2: the most a tracking jump may push a pupil
const STILL_ACCELERATION = 8;  // eye radii / s^2: less is tracking noise, not motion
const MAX_FRAME_S = 0.05;  // a display frame later than this (a busy tab) is caught up only this far
const TRACE_LIMIT = 5000;  // entries the test trace keeps
const NOTICE_MS = 6000;  // a notice (a recording problem) stays this long before the face count replaces it
const RECORD_FPS = 30;
const RECORD_MAX_S = 60;  // a recording stops by itself after this long
const RECORD_MAX_HEIGHT = 720;  // px: a clip is the camera's frame, scaled down to at most this tall

/**
 * One followed face on screen.
 * @typedef {object} ShownFace
 * @property {number} slot  its pupils in the kit's slots (right eye 2 * slot, left eye 2 * slot + 1)
 * @property {number} seen  performance.now() of its last analysed frame
 * @property {number[]} at  right x, y, left x, y then
 * @property {number[]} velocity  px / ms, the same four
 * @property {number[]} acceleration  eye radii / s^2, right x, y, left x, y (fed to the pupils)
 * @property {number} radius  the googly eyes' radius, px
 */

export class CameraView {
  /**
   * @param {{dialog: HTMLDialogElement, video: HTMLVideoElement, canvas: HTMLCanvasElement, stage: HTMLElement,
   *          status: HTMLElement, snapshot: HTMLButtonElement, record: HTMLButtonElement, close: HTMLButtonElement,
   *          retry: HTMLButtonElement, switch: HTMLButtonElement}} elements
   * @param {{kit: () => Promise<CameraKit>, addPhoto: (file: File) => void, announce: (text: string) => void,
   *          addClip: (blob: Blob, name: string, seconds: number) => void}} app
   */
  constructor(elements, app) {
    this.el = elements;
    this.app = app;
    this.context = /** @type {CanvasRenderingContext2D} */ (elements.canvas.getContext('2d'));
    /** @type {Camera | null} */
    this.camera = null;
    /** @type {CameraKit | null} */
    this.kit = null;
    /** @type {{still: ImageBitmap, above: ImageBitmap | null} | null} */
    this.sprites = null;
    /** @type {Pupils | null} */
    this.pupils = null;
    /** @type {Map<number, ShownFace>} by the worker's face id */
    this.faces = new Map();
    this.nextSlot = 0;
    this.heldUntil = 0;
    this.open = false;
    this.frame = 0;
    this.last = 0;
    this.carry = 0;
    /** For tests and benchmarks: analysed frames, drawn frames, and the last frame's faces. */
    /** @type {{analysed: number, drawn: number, last: CameraFrame | null, message: string, eyes: number[][]}} */
    this.stats = { analysed: 0, drawn: 0, last: null, message: '', eyes: [] };  // eyes: the last drawing's, x, y, r
    // ?camera-test=1 (scripts/bench/camera.py): the frames read the test clip's barcode, and a trace keeps,
    // per analysed frame, its capture timestamp, frame number, when it arrived and when its eyes were first
    // drawn; per video frame shown, its media time and capture time (requestVideoFrameCallback): latency.
    this.testMode = new URL(location.href).searchParams.get('camera-test') === '1';
    /** @type {{frames: {timestamp: number, frame: number, arrived: number, drawn: number | null, faces: CameraFace[], ms: number}[],
     *          video: {mediaTime: number, captureTime: number | undefined, shown: number}[]}} */
    this.trace = { frames: [], video: [] };
    elements.close.addEventListener('click', () => this.leave());
    elements.retry.addEventListener('click', () => this.start());
    elements.snapshot.addEventListener('click', () => this.takeSnapshot());
    elements.record.addEventListener('click', () => (this.recording ? this.stopRecording() : this.startRecording()));
    elements.switch.addEventListener('click', () => this.switchCamera());
    /** @type {string | null} the camera chosen with Switch (null: the front one) */
    this.deviceId = null;
    /** @type {{writer: import('./animation.js').VideoWriter, canvas: OffscreenCanvas, context: OffscreenCanvasRenderingContext2D,
     *          started: number, lastKey: number, frames: number, dropped: number, stopping: boolean} | null} */
    this.recording = null;
    elements.dialog.addEventListener('cancel', (event) => { event.preventDefault(); this.leave(); });
    document.addEventListener('visibilitychange', () => this.onVisibility());
  }

  /** Open the mode: the kit for the current settings, then the camera. */
  async enter() {
    this.open = true;
    this.el.dialog.showModal();
    this.say('Starting the camera…');
    try {
      this.kit = await this.app.kit();
      const image = (/** @type {Uint8Array<ArrayBuffer>} */ bytes) => createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      this.sprites = { still: await image(this.kit.still), above: this.kit.above ? await image(this.kit.above) : null };
    } catch (error) {
      this.fail(`The googly eyes could not be prepared: ${error instanceof Error ? error.message : error}`);
      return;
    }
    await this.start();
  }

  async start() {
    if (!this.open || !this.kit) return;
    this.el.retry.hidden = true;
    this.faces.clear();
    this.nextSlot = 0;
    const kit = this.kit;
    this.pupils = new Pupils(kit.slots.map((slot) => slot.params), kit.slots.map((slot) => slot.start), kit.physics);
    this.camera = new Camera({
      barcode: this.testMode,
      onFrame: (frame) => this.onFrame(frame),
      onStop: (message) => { if (message) this.fail(message); },
    });
    try {
      await this.camera.start(this.el.video, this.deviceId);
    } catch (error) {
      this.fail(cameraMessage(error));
      return;
    }
    this.showSwitch();
    this.el.stage.classList.toggle('mirrored', this.camera.mirrored);
    if (this.testMode) this.traceVideo();
    this.el.snapshot.disabled = false;
    this.el.record.disabled = false;
    this.say('Looking for faces…');
    if (!this.frame) this.frame = requestAnimationFrame((time) => this.draw(time));
  }

  /** Switch shows where there is more than one camera (a phone's front and back). */
  async showSwitch() {
    const devices = await navigator.mediaDevices.enumerateDevices().catch(() => []);
    this.el.switch.hidden = devices.filter((device) => device.kind === 'videoinput').length < 2;
  }

  /** The next camera (phones cannot open two at once: this one is stopped first). */
  async switchCamera() {
    if (!this.camera) return;
    const cameras = (await navigator.mediaDevices.enumerateDevices()).filter((device) => device.kind === 'videoinput');
    const current = cameras.findIndex((device) => device.deviceId === this.camera?.deviceId);
    this.deviceId = cameras[(current + 1) % cameras.length]?.deviceId ?? null;
    await this.stopRecording();
    this.stopCamera();
    await this.start();
  }

  traceVideo() {
    const video = this.el.video;
    /** @type {VideoFrameRequestCallback} */
    const shown = (now, meta) => {
      if (this.trace.video.length < TRACE_LIMIT) {
        this.trace.video.push({ mediaTime: meta.mediaTime, captureTime: meta.captureTime, shown: now });
      }
      if (this.camera) video.requestVideoFrameCallback(shown);
    };
    video.requestVideoFrameCallback(shown);
  }

  /** Leave the mode: the camera off (a recording kept), the screen closed. */
  async leave() {
    this.open = false;
    await this.stopRecording();
    this.stopCamera();
    if (this.el.dialog.open) this.el.dialog.close();
  }

  stopCamera() {
    this.camera?.stop();
    this.camera = null;
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.el.snapshot.disabled = true;
    this.el.record.disabled = true;
    this.el.video.srcObject = null;
  }

  onVisibility() {
    if (!this.open) return;
    if (document.hidden) {
      this.stopRecording();  // what was recorded is kept
      this.stopCamera();  // the camera's light goes off while the tab is hidden
      this.say('Paused while the tab is hidden.');
    } else if (!this.camera) {
      this.start();
    }
  }

  /** @param {string} message */
  fail(message) {
    this.stopRecording();
    this.stopCamera();
    this.stats.message = message;
    this.say(message);
    this.el.retry.hidden = false;
  }

  /**
   * @param {string} text
   * @param {number} [holdMs]  how long the face count does not replace it (a notice to read)
   */
  say(text, holdMs = 0) {
    this.el.status.textContent = text;
    this.heldUntil = performance.now() + holdMs;
  }

  /** @param {CameraFrame} frame */
  onFrame(frame) {
    this.stats.analysed += 1;
    this.stats.last = frame;
    const now = performance.now();
    if (this.testMode && this.trace.frames.length < TRACE_LIMIT) {
      this.trace.frames.push({ timestamp: frame.timestamp, frame: frame.frame, arrived: now, drawn: null,
        faces: frame.faces, ms: frame.ms });
    }
    if (this.el.canvas.width !== frame.width || this.el.canvas.height !== frame.height) {
      this.el.canvas.width = frame.width;
      this.el.canvas.height = frame.height;
    }
    for (const face of frame.faces) this.follow(face, now);
    const count = frame.faces.length;
    if (now >= this.heldUntil) this.say(count ? `${count} ${count === 1 ? 'face' : 'faces'}` : 'Looking for faces…');
  }

  /**
   * A face's new position: its speed and the acceleration its pupils feel.
   * @param {CameraFace} face
   * @param {number} now
   */
  follow(face, now) {
    const kit = /** @type {CameraKit} */ (this.kit);
    const at = [...face.right.centre, ...face.left.centre];
    const distance = Math.hypot(at[2] - at[0], at[3] - at[1]);
    const radius = kit.sizing === 'eye_width'
      ? kit.gamma * (face.right.width + face.left.width) / 2 / (2 * kit.eyeWidthPerEyeDistance)
      : kit.gamma * distance / 2;
    let shown = this.faces.get(face.id);
    if (!shown) {
      // A face the worker lost for a moment and found again comes back with a new id: where a face shown a
      // moment ago was (its right eye within half an eye distance), it keeps that face's pupils and motion.
      const again = [...this.faces].find(([id, other]) => Math.hypot(other.at[0] - at[0], other.at[1] - at[1]) < 0.5 * distance
        && !this.stats.last?.faces.some((f) => f.id === id));
      if (again) {
        this.faces.delete(again[0]);
        shown = again[1];
        this.faces.set(face.id, shown);
      } else {
        const slot = this.nextSlot++ % (kit.slots.length / 2);
        this.resetPupils(slot);
        this.faces.set(face.id, { slot, seen: now, at, velocity: [0, 0, 0, 0], acceleration: [0, 0, 0, 0], radius });
        return;
      }
    }
    const current = shown;
    const dt = Math.max(1, now - current.seen);  // ms
    const velocity = at.map((v, i) => (v - current.at[i]) / dt);
    current.acceleration = velocity.map((v, i) => {
      const a = ((v - current.velocity[i]) / (dt / 1000)) * 1000 / Math.max(radius, 1);  // eye radii / s^2
      if (Math.abs(a) < STILL_ACCELERATION) return 0;
      return Math.max(-MAX_ACCELERATION, Math.min(MAX_ACCELERATION, a));
    });
    Object.assign(current, { seen: now, at, velocity, radius });
  }

  /** @param {number} slot */
  resetPupils(slot) {
    const kit = /** @type {CameraKit} */ (this.kit);
    const pupils = /** @type {Pupils} */ (this.pupils);
    for (const eye of [2 * slot, 2 * slot + 1]) {
      pupils.x[2 * eye] = kit.slots[eye].start[0];
      pupils.x[2 * eye + 1] = kit.slots[eye].start[1];
      pupils.v[2 * eye] = pupils.v[2 * eye + 1] = 0;
    }
  }

  /** @param {number} time */
  draw(time) {
    this.frame = requestAnimationFrame((next) => this.draw(next));
    const kit = this.kit, sprites = this.sprites, pupils = this.pupils;
    if (!kit || !sprites || !pupils) return;
    const now = performance.now();
    for (const [id, face] of this.faces) if (now - face.seen > FORGET_MS) this.faces.delete(id);
    // The physics: each eye's acceleration pushes its pupil (the editor's step, 600 a second).
    const elapsed = this.last ? Math.min(MAX_FRAME_S, (time - this.last) / 1000) : 0;
    this.last = time;
    const pull = new Float64Array(kit.slots.length * 2);
    for (const face of this.faces.values()) {
      for (const side of [0, 1]) {
        const eye = 2 * face.slot + side;
        pull[2 * eye] = -face.acceleration[2 * side];
        pull[2 * eye + 1] = -face.acceleration[2 * side + 1];
      }
    }
    this.carry += elapsed * kit.physics.stepHz;
    for (; this.carry >= 1; this.carry -= 1) pupils.step([0, 0], pull);
    const context = this.context;
    context.clearRect(0, 0, this.el.canvas.width, this.el.canvas.height);
    this.stats.eyes = [];
    for (const face of this.faces.values()) {
      const ahead = Math.min(MAX_AHEAD_MS, now - face.seen);
      const at = face.at.map((v, i) => v + face.velocity[i] * ahead);
      const roll = Math.atan2(at[3] - at[1], at[2] - at[0]);
      for (const side of [0, 1]) {
        const eye = 2 * face.slot + side;
        const x = at[2 * side], y = at[2 * side + 1];
        const r = face.radius;
        this.stats.eyes.push([x, y, r]);
        /** @param {ImageBitmap} sprite  one of the kit's, scaled to this eye and turned with the head */
        const put = (sprite) => {
          context.save();
          context.translate(x, y);
          context.rotate(roll);
          context.scale(r / kit.radius, r / kit.radius);
          context.drawImage(sprite, -kit.size / 2, -kit.size / 2);
          context.restore();
        };
        put(sprites.still);
        drawPupil(context, kit.look, x + pupils.x[2 * eye] * r, y + pupils.x[2 * eye + 1] * r,
          kit.slots[eye].pupilFraction * r);
        if (sprites.above) put(sprites.above);
      }
    }
    this.stats.drawn += 1;
    if (this.recording) this.recordFrame(now);
    if (this.testMode) {
      const drawn = performance.now();
      for (let i = this.trace.frames.length - 1; i >= 0 && this.trace.frames[i].drawn === null; i--) {
        this.trace.frames[i].drawn = drawn;
      }
    }
  }

  /** Start recording what the screen shows (the camera's frame, unmirrored, with the googly eyes). */
  async startRecording() {
    const video = this.el.video;
    if (!this.camera || this.recording || !video.videoWidth) return;
    const scale = Math.min(1, RECORD_MAX_HEIGHT / video.videoHeight);
    const width = 2 * Math.round(video.videoWidth * scale / 2), height = 2 * Math.round(video.videoHeight * scale / 2);
    const codecs = new URL(location.href).searchParams.get('video') ?? 'any';  // tests: "vp9" or "none"
    let writer;
    try {
      const { VideoWriter } = await import('./animation.js');  // (the muxers load only when someone records)
      writer = await VideoWriter.create(width, height, RECORD_FPS, codecs);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.say(message.startsWith('codec-missing')
        ? 'This browser cannot record video (it has no H.264 or VP9 encoder). Snapshots still work.'
        : `Recording could not start: ${message}`, NOTICE_MS);
      return;
    }
    const canvas = new OffscreenCanvas(width, height);
    const context = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d'));
    this.recording = { writer, canvas, context, started: performance.now(), lastKey: -Infinity, frames: 0, dropped: 0, stopping: false };
    this.el.record.textContent = 'Stop';
    this.el.record.setAttribute('aria-pressed', 'true');
    this.el.stage.classList.add('recording');
  }

  /**
   * One frame of the recording, at most RECORD_FPS a second: the video frame under the eyes' canvas.
   * @param {number} now
   */
  recordFrame(now) {
    const recording = /** @type {NonNullable<CameraView['recording']>} */ (this.recording);
    if (recording.stopping) return;
    if (!recording.frames && !recording.dropped) recording.started = now;  // the clip starts at 0 with its first frame
    const elapsed = now - recording.started;
    if (elapsed >= RECORD_MAX_S * 1000) {
      this.stopRecording();
      return;
    }
    if (recording.frames && elapsed < (recording.frames + recording.dropped) * 1000 / RECORD_FPS) return;
    const { canvas, context } = recording;
    context.drawImage(this.el.video, 0, 0, canvas.width, canvas.height);
    context.drawImage(this.el.canvas, 0, 0, canvas.width, canvas.height);
    const key = elapsed - recording.lastKey >= 2000;  // a key frame every 2 s
    try {
      if (recording.writer.encodeNow(canvas, elapsed * 1000, key)) {
        recording.frames += 1;
        if (key) recording.lastKey = elapsed;
      } else {
        recording.dropped += 1;
      }
    } catch (error) {
      this.say(`Recording stopped: ${error instanceof Error ? error.message : error}`, NOTICE_MS);
      this.stopRecording();
    }
    const seconds = Math.floor(elapsed / 1000);
    this.el.record.textContent = `Stop ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  }

  /** Finish the recording, if any, and add the clip to the photos. */
  async stopRecording() {
    const recording = this.recording;
    if (!recording || recording.stopping) return;
    recording.stopping = true;
    this.el.record.textContent = 'Record';
    this.el.record.setAttribute('aria-pressed', 'false');
    this.el.stage.classList.remove('recording');
    const seconds = (performance.now() - recording.started) / 1000;
    try {
      if (!recording.frames) throw new Error('no frame was recorded');
      const bytes = await recording.writer.finish();
      const mime = recording.writer.container === 'mp4' ? 'video/mp4' : 'video/webm';
      const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
      this.app.addClip(new Blob([bytes], { type: mime }), `camera-${stamp}.${recording.writer.container}`, seconds);
      this.app.announce(`Clip of ${seconds.toFixed(1)} s added to your photos.`);
    } catch (error) {
      recording.writer.close();
      this.say(`The clip could not be saved: ${error instanceof Error ? error.message : error}`, NOTICE_MS);
    } finally {
      this.recording = null;
    }
  }

  /** Add the camera's current frame (as the camera sees it, not mirrored) to the gallery as a photo. */
  async takeSnapshot() {
    const video = this.el.video;
    if (!this.camera || !video.videoWidth) return;
    const canvas = document.createElement('canvas');
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const context = /** @type {CanvasRenderingContext2D} */ (canvas.getContext('2d'));
    context.drawImage(video, 0, 0);
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92));
    if (!blob) {
      this.say('The snapshot could not be made (out of memory?).', NOTICE_MS);
      return;
    }
    const stamp = new Date().toISOString().slice(0, 19).replace(/[:T]/g, '-');
    this.app.addPhoto(new File([blob], `camera-${stamp}.jpg`, { type: 'image/jpeg' }));
    this.el.stage.classList.remove('flash');
    void this.el.stage.offsetWidth;  // restart the flash animation
    this.el.stage.classList.add('flash');
    this.app.announce('Snapshot added to your photos.');
  }
}
