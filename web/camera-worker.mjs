// @ts-check
// The camera mode's worker (issue 16): finds the faces in the camera's frames and follows them frame by frame,
// off the main thread, with its own onnxruntime-web.
//
// The page makes a MediaStreamTrackProcessor of the camera's track (it exists on the main thread only) and
// transfers its stream of VideoFrames here. The processor keeps one frame waiting: while a frame is analysed
// newer ones replace each other, so the next read is always the newest frame and nothing queues up.
//
// Per frame (tracker.js has the geometry, the same as the photo pipeline's in Python):
//   - the detector on the whole frame (one 192 x 192 look, upright) when no face is followed, and every
//     DETECT_EVERY_MS for new faces; a detection over a face already followed keeps that face (and its
//     identity: the page's pupils keep their motion);
//   - the face landmarker on each followed face, in the region the previous frame's landmarks span
//     (MediaPipe's tracking): its eyes, and the region for the next frame. A face whose presence score falls
//     below MIN_FACE_PRESENCE is lost.
// Each analysed frame's faces go to the page at once ("faces"), with the frame's capture timestamp.
//
// Messages in:  {type: 'start', readable, threads, barcode}   (barcode: read the test clip's frame numbers)
//               {type: 'stop'}
// Messages out: {type: 'ready', ms} once the models are open; {type: 'faces', ...} per analysed frame;
//               {type: 'ended'} when the camera's stream ends; {type: 'error', message}.

import * as ort from './vendor/ort/ort.wasm.min.mjs';
import * as T from './tracker.js';

const DETECT_EVERY_MS = 400;  // a new face is found within this long while others are followed
const MAX_FACES = 6;  // followed at once (each costs a landmarker run per frame)
const MAX_PREDICT_US = 200_000;  // a face's motion is carried forward at most this long (capture clock, us)
const TRACK_IOU = 0.3;  // a detection overlapping a followed face's box this much is that face
const BARCODE_BITS = 16, BARCODE_HEIGHT = 16;  // scripts/camera_clip.py's frame numbers

/**
 * @typedef {object} Track
 * @property {number} id
 * @property {T.Roi} roi  where to look in the next frame
 * @property {number[]} box  the landmarks' extent in the last frame
 * @property {number} timestamp  that frame's (microseconds, the capture clock)
 * @property {number[]} velocity  of the region's centre, frame pixels per microsecond
 */

/** @type {{detector: ort.InferenceSession, landmarker: ort.InferenceSession, spec: T.DetectorSpec,
 *          anchors: Float64Array, meshSize: number, meshScale: number, roiScale: number,
 *          meshInput: string, meshOutputs: string[], detInput: string, detOutputs: string[]} | null} */
let models = null;
/** @type {ReadableStreamDefaultReader<VideoFrame> | null} */
let reader = null;
/** @type {Track[]} */
let tracks = [];
let nextId = 1;
let lastDetect = -Infinity;
/** Where the last frame's time went, ms (sent with its faces, for the benchmark). */
const parts = { detect: 0, crop: 0, landmarker: 0 };
const detectCanvas = new OffscreenCanvas(192, 192);
const detectContext = /** @type {OffscreenCanvasRenderingContext2D} */ (detectCanvas.getContext('2d', { willReadFrequently: true }));
const meshCanvas = new OffscreenCanvas(256, 256);
const meshContext = /** @type {OffscreenCanvasRenderingContext2D} */ (meshCanvas.getContext('2d', { willReadFrequently: true }));
const stripCanvas = new OffscreenCanvas(640, BARCODE_HEIGHT);
const stripContext = /** @type {OffscreenCanvasRenderingContext2D} */ (stripCanvas.getContext('2d', { willReadFrequently: true }));

/** @param {any} message */
const post = (message) => self.postMessage(message);

/**
 * Open both models and warm them up; the milliseconds it took.
 * @param {number} threads
 */
async function open(threads) {
  const started = performance.now();
  ort.env.wasm.wasmPaths = new URL('./vendor/ort/', self.location.href).href;
  ort.env.wasm.numThreads = threads;
  const manifest = await (await fetch('./models/manifest.json')).json();
  const detector = manifest.models.face_detector, landmarker = manifest.models.face_landmarker;
  /** @param {string} file */
  const session = async (file) => {
    const response = await fetch(`./models/${file}`);
    if (!response.ok) throw new Error(`models/${file}: HTTP ${response.status}`);
    return ort.InferenceSession.create(new Uint8Array(await response.arrayBuffer()),
      { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  };
  const spec = T.detectorSpec(detector);
  const meshSize = landmarker.input.shape[3];
  models = {
    detector: await session(detector.shipped), landmarker: await session(landmarker.shipped), spec,
    anchors: T.makeAnchors(spec), meshSize, meshScale: landmarker.input.normalisation.scale,
    roiScale: landmarker.roi.scale, meshInput: landmarker.input.name,
    meshOutputs: [landmarker.outputs.landmarks, landmarker.outputs.face_flag],
    detInput: detector.input.name, detOutputs: [detector.outputs.boxes, detector.outputs.scores],
  };
  detectCanvas.width = detectCanvas.height = spec.inputSize;
  meshCanvas.width = meshCanvas.height = meshSize;
  // The first runs are slow while the browser compiles onnxruntime's hot code: do them now, not on a face.
  for (let i = 0; i < 3; i++) {
    await models.detector.run({ [models.detInput]: new ort.Tensor('float32', new Float32Array(3 * spec.inputSize ** 2), [1, 3, spec.inputSize, spec.inputSize]) });
    await models.landmarker.run({ [models.meshInput]: new ort.Tensor('float32', new Float32Array(3 * meshSize ** 2), [1, 3, meshSize, meshSize]) });
  }
  return performance.now() - started;
}

/**
 * RGBA pixels -> NCHW float32, x * scale + offset.
 * @param {Uint8ClampedArray} pixels
 * @param {number} size
 * @param {number} scale
 * @param {number} offset
 */
function toTensor(pixels, size, scale, offset) {
  const plane = size * size;
  const data = new Float32Array(3 * plane);
  for (let i = 0, p = 0; i < plane; i++, p += 4) {
    data[i] = pixels[p] * scale + offset;
    data[plane + i] = pixels[p + 1] * scale + offset;
    data[2 * plane + i] = pixels[p + 2] * scale + offset;
  }
  return new ort.Tensor('float32', data, [1, 3, size, size]);
}

/**
 * The faces in the whole frame (tracker.framesFaces), in frame pixels.
 * @param {VideoFrame} frame
 */
async function detect(frame) {
  if (!models) return [];
  const { spec } = models;
  const size = spec.inputSize;
  const fit = T.letterbox(frame.displayWidth, frame.displayHeight, size);
  detectContext.fillStyle = '#000';
  detectContext.fillRect(0, 0, size, size);
  detectContext.drawImage(frame, fit.padX, fit.padY, fit.newW, fit.newH);
  const pixels = detectContext.getImageData(0, 0, size, size).data;
  const outputs = await models.detector.run({ [models.detInput]: toTensor(pixels, size, spec.normaliseScale, spec.normaliseOffset) });
  const boxes = /** @type {Float32Array} */ (outputs[models.detOutputs[0]].data);
  const scores = /** @type {Float32Array} */ (outputs[models.detOutputs[1]].data);
  const faces = T.framesFaces(boxes, scores, models.anchors, spec, fit);
  for (const tensor of Object.values(outputs)) tensor.dispose();
  return faces;
}

/**
 * The face landmarker on one region of the frame (mirrored, as landmarks.EyeLocator feeds it).
 * @param {VideoFrame} frame
 * @param {T.Roi} roi
 */
async function landmarks(frame, roi) {
  if (!models) throw new Error('models not open');
  const start = performance.now();
  const size = models.meshSize;
  meshContext.setTransform(1, 0, 0, 1, 0, 0);
  meshContext.fillStyle = '#000';
  meshContext.fillRect(0, 0, size, size);
  const [a, b, c, d, e, f] = T.cropMatrix(roi, size, true);
  meshContext.setTransform(a, b, c, d, e, f);
  meshContext.drawImage(frame, 0, 0);
  const pixels = meshContext.getImageData(0, 0, size, size).data;
  const input = toTensor(pixels, size, models.meshScale, 0);
  const cropped = performance.now();
  const outputs = await models.landmarker.run({ [models.meshInput]: input });
  parts.landmarker += performance.now() - cropped;
  const raw = /** @type {Float32Array} */ (outputs[models.meshOutputs[0]].data);
  const logit = /** @type {Float32Array} */ (outputs[models.meshOutputs[1]].data)[0];
  const mesh = T.meshInFrame(raw, roi, size, true);
  for (const tensor of Object.values(outputs)) tensor.dispose();
  parts.crop += cropped - start;
  return { mesh, presence: T.sigmoid(logit) };
}

/** @param {Float64Array} mesh */
function extent(mesh) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (let i = 0; i < mesh.length; i += 2) {
    x0 = Math.min(x0, mesh[i]); x1 = Math.max(x1, mesh[i]); y0 = Math.min(y0, mesh[i + 1]); y1 = Math.max(y1, mesh[i + 1]);
  }
  return [x0, y0, x1, y1];
}

/**
 * The frame number the test clip's barcode holds (scripts/camera_clip.read_barcode).
 * @param {VideoFrame} frame
 */
function barcode(frame) {
  const width = frame.displayWidth, height = frame.displayHeight;
  stripCanvas.width = width;
  stripContext.drawImage(frame, 0, height - BARCODE_HEIGHT, width, BARCODE_HEIGHT, 0, 0, width, BARCODE_HEIGHT);
  const pixels = stripContext.getImageData(0, 0, width, BARCODE_HEIGHT).data;
  let k = 0;
  for (let bit = 0; bit < BARCODE_BITS; bit++) {
    const x0 = Math.floor(bit * width / BARCODE_BITS) + 4, x1 = Math.floor((bit + 1) * width / BARCODE_BITS) - 4;
    let sum = 0, n = 0;
    for (let y = 4; y < BARCODE_HEIGHT - 4; y++) {
      for (let x = x0; x < x1; x++, n++) {
        const p = 4 * (y * width + x);
        sum += 0.299 * pixels[p] + 0.587 * pixels[p + 1] + 0.114 * pixels[p + 2];
      }
    }
    if (sum / n > 128) k |= 1 << bit;
  }
  return k;
}

/**
 * One frame: new faces where it is time to look, every followed face's landmarks, the faces sent.
 * @param {VideoFrame} frame
 * @param {boolean} readBarcode
 */
async function analyse(frame, readBarcode) {
  if (!models) return;
  const started = performance.now();
  parts.detect = parts.crop = parts.landmarker = 0;
  let detected = false;
  if (tracks.length === 0 || started - lastDetect >= DETECT_EVERY_MS) {
    lastDetect = started;
    detected = true;
    const [right, left] = ['right_eye', 'left_eye'].map((name) => models?.spec.keypointNames.indexOf(name) ?? 0);
    const found = await detect(frame);
    parts.detect = performance.now() - started;
    for (const face of found) {
      if (tracks.length >= MAX_FACES) break;
      if (tracks.some((track) => T.boxIou(track.box, face.box) > TRACK_IOU)) continue;
      const rightEye = face.keypoints.slice(2 * right, 2 * right + 2), leftEye = face.keypoints.slice(2 * left, 2 * left + 2);
      tracks.push({ id: nextId++, roi: T.faceRoi(face.box, rightEye, leftEye, models.roiScale), box: face.box,
        timestamp: frame.timestamp, velocity: [0, 0] });
    }
  }
  /** @type {{id: number, box: number[], presence: number, right: T.Eye, left: T.Eye}[]} */
  const faces = [];
  /** @type {Track[]} */
  const kept = [];
  for (const track of tracks) {
    // Where the face has moved to since its last frame, at the speed it was moving (a fast face would
    // otherwise slip out of its region between two analysed frames).
    const elapsed = Math.min(frame.timestamp - track.timestamp, MAX_PREDICT_US);
    const roi = { ...track.roi, centre: track.roi.centre.map((v, i) => v + track.velocity[i] * elapsed) };
    const { mesh, presence } = await landmarks(frame, roi);
    if (presence < T.MIN_FACE_PRESENCE) {
      lastDetect = -Infinity;  // lost: look for it again in the next frame
      continue;
    }
    const eyes = T.eyesOfMirroredMesh(mesh, roi);
    const distance = Math.hypot(eyes.left.centre[0] - eyes.right.centre[0], eyes.left.centre[1] - eyes.right.centre[1]) || 1;
    const same = faces.find((other) => Math.max(
      Math.hypot(other.right.centre[0] - eyes.right.centre[0], other.right.centre[1] - eyes.right.centre[1]),
      Math.hypot(other.left.centre[0] - eyes.left.centre[0], other.left.centre[1] - eyes.left.centre[1]),
    ) < T.DUPLICATE_EYE_DISTANCE * distance);
    if (same) continue;  // two tracks on one face: the older stays
    const next = T.meshRoi(mesh, eyes.right.centre, eyes.left.centre, models.roiScale);
    const since = frame.timestamp - track.timestamp;
    track.velocity = since > 0 && since < MAX_PREDICT_US
      ? next.centre.map((v, i) => (v - track.roi.centre[i]) / since) : [0, 0];
    track.box = extent(mesh);
    track.roi = next;
    track.timestamp = frame.timestamp;
    kept.push(track);
    faces.push({ id: track.id, box: track.box, presence, right: eyes.right, left: eyes.left });
  }
  tracks = kept;
  post({
    type: 'faces', timestamp: frame.timestamp, width: frame.displayWidth, height: frame.displayHeight,
    frame: readBarcode ? barcode(frame) : -1, faces, detected, ms: performance.now() - started, parts: { ...parts },
  });
}

/**
 * @param {ReadableStream<VideoFrame>} readable
 * @param {boolean} readBarcode
 */
async function follow(readable, readBarcode) {
  reader = readable.getReader();
  tracks = [];
  lastDetect = -Infinity;
  for (;;) {
    const { value: frame, done } = await reader.read();
    if (done || !frame) break;
    try {
      await analyse(frame, readBarcode);
    } finally {
      frame.close();
    }
  }
  reader = null;
  post({ type: 'ended' });
}

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'start') {
      post({ type: 'ready', ms: models ? 0 : await open(data.threads) });
      await follow(data.readable, Boolean(data.barcode));
    } else if (data.type === 'stop') {
      await reader?.cancel();
    }
  } catch (error) {
    const e = /** @type {Error} */ (error);
    post({ type: 'error', message: `${e.name}: ${e.message}` });
  }
};
