// Runs MediaPipe's @mediapipe/face_detection on photos, for scripts/bench/benchmark.py (and by hand:
// drop photos on the page). window.peer.detect(file) answers
// {name, width, height, decodeMs, detectMs, faces: [{box, right_eye, left_eye, score}]}
// in pixels of the photo as displayed (EXIF orientation applied), the scorer's format.
// MediaPipe's keypoints 0 and 1 are the subject's right and left eye (image-left and image-right on
// an upright frontal face, with selfieMode off; checked on tests/fixtures/astronaut.jpg).
// Setting minDetectionConfidence breaks this build's graph ("options_.has_num_classes()" RET_CHECK in
// TensorsToDetectionsCalculator), so the graph's own threshold (0.5) is used.

const model = new URLSearchParams(location.search).get('model') || 'full';
const status = document.getElementById('status');
const out = document.getElementById('out');

const detector = new window.FaceDetection({ locateFile: (file) => `./mp/${file}` });
detector.setOptions({ model, selfieMode: false });
let pending = null;
detector.onResults((results) => pending?.(results));

function run(image) {
  return new Promise((resolve, reject) => {
    pending = resolve;
    detector.send({ image }).catch(reject);
  });
}

async function decode(blob) {
  const url = URL.createObjectURL(blob);
  const image = new Image();
  image.src = url;
  try { await image.decode(); } finally { URL.revokeObjectURL(url); }
  return image;
}

// The score sits in a minified field: a list of {index, <score>} classifications.
function scoreOf(detection) {
  for (const [key, value] of Object.entries(detection)) {
    if (key === 'boundingBox' || key === 'landmarks' || !Array.isArray(value) || !value.length) continue;
    const number = Object.entries(value[0]).find(([name, v]) => name !== 'index' && typeof v === 'number');
    if (number) return number[1];
  }
  return 1;
}

function toFaces(detections, width, height) {
  return detections.map((detection) => {
    const { boundingBox: b, landmarks } = detection;
    const px = (p) => [p.x * width, p.y * height];
    const x0 = (b.xCenter - b.width / 2) * width, y0 = (b.yCenter - b.height / 2) * height;
    return {
      box: [x0, y0, x0 + b.width * width, y0 + b.height * height],
      right_eye: px(landmarks[0]),
      left_eye: px(landmarks[1]),
      score: scoreOf(detection),
    };
  });
}

async function detect(file) {
  let start = performance.now();
  const image = await decode(file);
  const decodeMs = performance.now() - start;
  start = performance.now();
  const results = await run(image);
  const detectMs = performance.now() - start;
  const width = image.naturalWidth, height = image.naturalHeight;
  return { name: file.name, width, height, decodeMs, detectMs, faces: toFaces(results.detections ?? [], width, height) };
}

// Warm-up on a blank canvas: loads the wasm, the graph and the model; its time is initMs.
const started = performance.now();
const blank = Object.assign(document.createElement('canvas'), { width: 64, height: 64 });
await detector.initialize();
await run(blank);
window.peer = { model, initMs: performance.now() - started, detect };
status.textContent = `Ready (${model} range model) in ${Math.round(window.peer.initMs)} ms.`;

async function handle(files) {
  for (const file of files) {
    const r = await detect(file);
    out.textContent += `${r.name}: ${r.faces.length} face(s), decode ${r.decodeMs.toFixed(1)} ms, detect ${r.detectMs.toFixed(1)} ms\n`;
  }
}
document.getElementById('files').addEventListener('change', (event) => handle([...event.target.files]));
document.addEventListener('dragover', (event) => event.preventDefault());
document.addEventListener('drop', (event) => { event.preventDefault(); handle([...event.dataTransfer.files]); });
