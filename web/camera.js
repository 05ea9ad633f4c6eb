// @ts-check
// The camera mode's main-thread side (issue 16): opens the camera, shows it in a <video>, hands its frames to
// camera-worker.mjs (which finds and follows the faces) and passes on what that finds. Nothing here keeps a
// frame: only the worker sees them, and it keeps none.
//
// Failure modes, each a message for the person (cameraMessage) and the mode left cleanly:
//   no camera API (an insecure page: http on another host), permission denied, no camera, the camera busy
//   (another app has it), a constraint no camera meets (retried without it), the camera unplugged or its
//   stream ended, the worker failing.

/**
 * One analysed frame's faces, as camera-worker.mjs sends them.
 * @typedef {{id: number, box: number[], presence: number,
 *            right: import('./tracker.js').Eye, left: import('./tracker.js').Eye}} CameraFace
 * @typedef {{type: 'faces', timestamp: number, width: number, height: number, frame: number,
 *            faces: CameraFace[], detected: boolean, ms: number}} CameraFrame
 */

/**
 * What a person reads when the camera cannot start or stops: the error's name -> the message.
 * @param {unknown} error
 * @returns {string}
 */
export function cameraMessage(error) {
  const name = error instanceof Error || error instanceof DOMException ? error.name : String(error);
  switch (name) {
    case 'NotAllowedError':
      return 'The camera is blocked for this page. Allow it in the site settings (the icon by the address) and try again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'No camera was found. Plug one in, or use photos instead.';
    case 'NotReadableError':
    case 'AbortError':
      return 'The camera is busy or not working: close other apps that use it, then try again.';
    case 'SecurityError':
    case 'insecure':
      return 'The camera needs a secure page (https, or localhost). Photos still work here.';
    case 'unsupported':
      return 'This browser cannot hand camera frames to the page (it needs MediaStreamTrackProcessor, as in Chrome and Edge). Photos still work.';
    case 'ended':
      return 'The camera stopped (unplugged, or taken by another app).';
    default:
      return `The camera could not start (${name}).`;
  }
}

/** The threads onnxruntime-web gets in the worker: models.ort_threads' rule (half the cores, 2 to 4);
 * `?camera-threads=N` sets it (benchmarks compare). */
function threads() {
  const asked = Number(new URL(location.href).searchParams.get('camera-threads'));
  if (asked > 0) return asked;
  if (!self.crossOriginIsolated) return 1;
  return Math.min(4, Math.max(2, Math.floor((navigator.hardwareConcurrency || 2) / 2)));
}

export class Camera {
  /**
   * @param {{onFrame: (frame: CameraFrame) => void, onStop: (message: string | null) => void,
   *          barcode?: boolean}} options  onStop: null when stopped on purpose, else the reason
   */
  constructor(options) {
    this.options = options;
    /** @type {MediaStream | null} */
    this.stream = null;
    /** @type {Worker | null} */
    this.worker = null;
    this.modelsMs = 0;
  }

  /**
   * Open the camera (the front one, or `deviceId`) and start following faces in it; throws what
   * cameraMessage explains.
   * @param {HTMLVideoElement} video
   * @param {string | null} [deviceId]
   */
  async start(video, deviceId = null) {
    if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) throw new DOMException('', 'insecure');
    if (typeof MediaStreamTrackProcessor !== 'function') throw new DOMException('', 'unsupported');
    this.stop();
    const size = { width: { ideal: 1280 }, height: { ideal: 720 } };
    const which = deviceId ? { deviceId: { exact: deviceId } } : { facingMode: { ideal: 'user' } };
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { ...which, ...size } });
    } catch (error) {
      if (!(error instanceof DOMException && error.name === 'OverconstrainedError')) throw error;
      this.stream = await navigator.mediaDevices.getUserMedia({ video: true });
    }
    const track = this.stream.getVideoTracks()[0];
    track.addEventListener('ended', () => this.fail('ended'));
    video.srcObject = this.stream;
    await video.play().catch(() => {});  // autoplay of a muted camera stream is allowed; play() can still reject on stop
    const processor = new MediaStreamTrackProcessor({ track });
    this.worker = new Worker(new URL('./camera-worker.mjs', import.meta.url), { type: 'module' });
    this.worker.onmessage = ({ data }) => {
      if (data.type === 'faces') this.options.onFrame(data);
      else if (data.type === 'ready') this.modelsMs = data.ms;
      else if (data.type === 'ended') this.fail('ended');
      else if (data.type === 'error') this.fail(data.message);
    };
    this.worker.onerror = (event) => this.fail(event.message || 'the camera worker failed');
    this.worker.postMessage({ type: 'start', readable: processor.readable, threads: threads(),
      barcode: Boolean(this.options.barcode) }, [processor.readable]);
  }

  /** Whether the camera shows the person (a front camera, or one that does not say: shown mirrored, as a
   * mirror does); a back camera is shown as it is. */
  get mirrored() {
    return this.stream?.getVideoTracks()[0]?.getSettings().facingMode !== 'environment';
  }

  /** The camera in use. */
  get deviceId() {
    return this.stream?.getVideoTracks()[0]?.getSettings().deviceId ?? null;
  }

  /** Stop the camera (its light goes off) and the worker. */
  stop() {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = null;
    this.worker?.terminate();
    this.worker = null;
  }

  /** @param {string} reason */
  fail(reason) {
    if (!this.stream) return;  // already stopped
    this.stop();
    this.options.onStop(reason === 'ended' ? cameraMessage('ended') : `The camera stopped: ${reason}`);
  }
}
