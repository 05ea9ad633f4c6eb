// @ts-check
// The camera mode's geometry (issue 16), for the camera worker that finds and follows faces frame by frame:
// py/googly_eyes/detect.py's look at the whole frame (anchors, decoding, weighted non-maximum suppression) and
// landmarks.py's regions and eyes (the detector's face region, the landmarks' tracking region, the crop that
// feeds the face landmarker, the eyes from its eyelid contours), line for line. Python stays the reference:
// tests/unit/test_tracker_parity.py runs both on the same inputs. Pure functions, no DOM: the worker draws the
// crop with the matrix `cropMatrix` gives.
//
// Coordinates: pixels of the frame, continuous convention (pixel (i, j) spans [i, i+1) x [j, j+1)), as in
// Python. Points are flat arrays: x0, y0, x1, y1, ...

// config.py's values (the parity test checks they are the same).
export const MIN_FACE_SCORE = 0.6;
export const NMS_IOU = 0.3;
export const RAW_SCORE_CLIP = 100.0;
export const MIN_FACE_PRESENCE = 0.5;
export const DUPLICATE_EYE_DISTANCE = 0.3;

// landmarks.EYE_CONTOUR: each eye's eyelid contour in the mesh, from the outer corner along the lower lid to
// the inner corner (index 8) and back along the upper lid. Keyed by the mesh's own labels.
export const EYE_CONTOUR = {
  right: [33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246],
  left: [263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466],
};
const OUTER = 0, LOWER_MID = 4, INNER = 8, UPPER_MID = 12;

/**
 * A square region of the frame turned by `angle` (radians, the eye line's direction): landmarks.Roi.
 * @typedef {{centre: number[], side: number, angle: number}} Roi
 */

/**
 * One face the detector found, in frame pixels.
 * @typedef {{box: number[], keypoints: number[], score: number}} Detection
 */

/**
 * The detector's description, from models/manifest.json (detect.DetectorSpec).
 * @typedef {{inputSize: number, strides: number[], anchorOffset: number, interpolated: number,
 *            normaliseScale: number, normaliseOffset: number, keypointNames: string[]}} DetectorSpec
 */

/**
 * One eye: landmarks.Eye without its contour.
 * @typedef {{centre: number[], width: number, opening: number}} Eye
 */

/**
 * @param {any} entry  the manifest's "face_detector" entry
 * @returns {DetectorSpec}
 */
export function detectorSpec(entry) {
  const anchors = entry.anchors;
  return {
    inputSize: anchors.input_size, strides: anchors.strides, anchorOffset: anchors.offset,
    interpolated: anchors.interpolated_scale_aspect_ratio,
    normaliseScale: entry.input.normalisation.scale, normaliseOffset: entry.input.normalisation.offset,
    keypointNames: entry.keypoints,
  };
}

/**
 * SSD anchor centres in [0, 1], x then y per anchor: detect.make_anchors.
 * @param {DetectorSpec} spec
 * @returns {Float64Array}
 */
export function makeAnchors(spec) {
  const perLayer = spec.interpolated > 0 ? 2 : 1;
  /** @type {number[]} */
  const centres = [];
  let layer = 0;
  while (layer < spec.strides.length) {
    const stride = spec.strides[layer];
    let perCell = 0;
    while (layer < spec.strides.length && spec.strides[layer] === stride) {
      perCell += perLayer;
      layer += 1;
    }
    const cells = Math.ceil(spec.inputSize / stride);
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let k = 0; k < perCell; k++) centres.push((x + spec.anchorOffset) / cells, (y + spec.anchorOffset) / cells);
      }
    }
  }
  return Float64Array.from(centres);
}

/**
 * How a width x height frame fits the detector's square input (detect.letterbox): scale, then padding.
 * @param {number} width
 * @param {number} height
 * @param {number} size
 */
export function letterbox(width, height, size) {
  const scale = size / Math.max(width, height);
  const newW = Math.max(1, Math.min(size, Math.round(width * scale)));
  const newH = Math.max(1, Math.min(size, Math.round(height * scale)));
  return { newW, newH, scaleX: newW / width, scaleY: newH / height,
    padX: Math.floor((size - newW) / 2), padY: Math.floor((size - newH) / 2) };
}

/**
 * @param {number} logit
 * @returns {number}
 */
export function sigmoid(logit) {
  const clipped = Math.min(RAW_SCORE_CLIP, Math.max(-RAW_SCORE_CLIP, logit));
  return 1.0 / (1.0 + Math.exp(-clipped));
}

/**
 * Raw detector outputs -> detections in model-input pixels: detect.decode_detections.
 * @param {Float32Array} rawBoxes  anchors x (4 + 2K)
 * @param {Float32Array} rawScores  one logit per anchor
 * @param {Float64Array} anchors
 * @param {DetectorSpec} spec
 * @param {number} [minScore]
 * @returns {Detection[]}
 */
export function decodeDetections(rawBoxes, rawScores, anchors, spec, minScore = MIN_FACE_SCORE) {
  const count = anchors.length / 2;
  const width = rawBoxes.length / count;
  const keypoints = (width - 4) / 2;
  /** @type {Detection[]} */
  const out = [];
  for (let i = 0; i < count; i++) {
    const score = sigmoid(rawScores[i]);
    if (!(score >= minScore)) continue;
    const ax = anchors[2 * i] * spec.inputSize, ay = anchors[2 * i + 1] * spec.inputSize;
    const r = i * width;
    const cx = rawBoxes[r] + ax, cy = rawBoxes[r + 1] + ay;
    const hw = rawBoxes[r + 2] / 2.0, hh = rawBoxes[r + 3] / 2.0;
    const box = [cx - hw, cy - hh, cx + hw, cy + hh];
    /** @type {number[]} */
    const points = [];
    for (let k = 0; k < keypoints; k++) points.push(rawBoxes[r + 4 + 2 * k] + ax, rawBoxes[r + 5 + 2 * k] + ay);
    if (!(hw > 0 && hh > 0) || !box.every(Number.isFinite) || !points.every(Number.isFinite)) continue;
    out.push({ box, keypoints: points, score });
  }
  return out;
}

/**
 * IoU of two boxes: detect.box_iou.
 * @param {number[]} a
 * @param {number[]} b
 */
export function boxIou(a, b) {
  const ix = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0.0;
}

/**
 * MediaPipe's weighted non-maximum suppression: detect.weighted_nms (without scales).
 * @param {Detection[]} detections
 * @param {number} [iouThreshold]
 * @returns {Detection[]}
 */
export function weightedNms(detections, iouThreshold = NMS_IOU) {
  let remaining = detections.map((d, i) => ({ d, i })).sort((a, b) => (b.d.score - a.d.score) || (a.i - b.i)).map(({ d }) => d);
  /** @type {Detection[]} */
  const out = [];
  while (remaining.length) {
    const best = remaining[0];
    /** @type {Detection[]} */
    const members = [];
    /** @type {Detection[]} */
    const rest = [];
    remaining.forEach((d, k) => ((k === 0 || boxIou(best.box, d.box) > iouThreshold) ? members : rest).push(d));
    const total = members.reduce((sum, d) => sum + d.score, 0);
    const box = [0, 0, 0, 0];
    const keypoints = new Array(best.keypoints.length).fill(0);
    for (const d of members) {
      const w = d.score / total;
      d.box.forEach((v, j) => { box[j] += v * w; });
      d.keypoints.forEach((v, j) => { keypoints[j] += v * w; });
    }
    out.push({ box, keypoints, score: best.score });
    remaining = rest;
  }
  return out;
}

/**
 * The faces in a whole frame from the detector's outputs on its letterboxed input, in frame pixels.
 * @param {Float32Array} rawBoxes
 * @param {Float32Array} rawScores
 * @param {Float64Array} anchors
 * @param {DetectorSpec} spec
 * @param {ReturnType<typeof letterbox>} fit
 * @returns {Detection[]}
 */
export function framesFaces(rawBoxes, rawScores, anchors, spec, fit) {
  const toFrame = (/** @type {number[]} */ points) =>
    points.map((v, j) => (j % 2 === 0 ? (v - fit.padX) / fit.scaleX : (v - fit.padY) / fit.scaleY));
  return weightedNms(decodeDetections(rawBoxes, rawScores, anchors, spec))
    .map((d) => ({ box: toFrame(d.box), keypoints: toFrame(d.keypoints), score: d.score }));
}

/**
 * MediaPipe's face region: the box's centre, its long side times `scale`, turned by the eye line
 * (landmarks.face_roi).
 * @param {number[]} box
 * @param {number[]} rightEye
 * @param {number[]} leftEye
 * @param {number} scale
 * @returns {Roi}
 */
export function faceRoi(box, rightEye, leftEye, scale) {
  const angle = Math.atan2(leftEye[1] - rightEye[1], leftEye[0] - rightEye[0]);
  const side = Math.max(box[2] - box[0], box[3] - box[1]) * scale;
  return { centre: [(box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0], side, angle };
}

/**
 * MediaPipe's tracking region: the landmarks' extent in the frame of their own eye line, squared, scaled
 * (landmarks.mesh_roi).
 * @param {Float64Array | number[]} mesh  x, y per landmark, frame pixels
 * @param {number[]} rightEye
 * @param {number[]} leftEye
 * @param {number} scale
 * @returns {Roi}
 */
export function meshRoi(mesh, rightEye, leftEye, scale) {
  const angle = Math.atan2(leftEye[1] - rightEye[1], leftEye[0] - rightEye[0]);
  const ax = Math.cos(angle), ay = Math.sin(angle);
  const dx = -ay, dy = ax;
  let uMin = Infinity, uMax = -Infinity, vMin = Infinity, vMax = -Infinity;
  for (let i = 0; i < mesh.length; i += 2) {
    const u = mesh[i] * ax + mesh[i + 1] * ay;
    const v = mesh[i] * dx + mesh[i + 1] * dy;
    uMin = Math.min(uMin, u); uMax = Math.max(uMax, u); vMin = Math.min(vMin, v); vMax = Math.max(vMax, v);
  }
  const u = (uMin + uMax) / 2, v = (vMin + vMax) / 2;
  return { centre: [ax * u + dx * v, ay * u + dy * v], side: Math.max(uMax - uMin, vMax - vMin) * scale, angle };
}

/**
 * The canvas transform (a, b, c, d, e, f of setTransform) that draws the frame so that the region fills a
 * size x size crop upright: crop pixel (u, v) shows frame point centre + R(angle) ((u, v) - size / 2) side / size
 * (landmarks.Roi.crop); mirrored, left and right swap.
 * @param {Roi} roi
 * @param {number} size
 * @param {boolean} mirror
 * @returns {number[]}
 */
export function cropMatrix(roi, size, mirror) {
  const k = size / roi.side;
  const cos = Math.cos(roi.angle) * k, sin = Math.sin(roi.angle) * k;
  const [cx, cy] = roi.centre;
  let a = cos, c = sin, e = size / 2 - (cx * cos + cy * sin);
  const b = -sin, d = cos, f = size / 2 - (-cx * sin + cy * cos);
  if (mirror) { a = -a; c = -c; e = size - e; }
  return [a, b, c, d, e, f];
}

/**
 * Crop pixels -> frame pixels (landmarks.Roi.to_image).
 * @param {Roi} roi
 * @param {number} x
 * @param {number} y
 * @param {number} size
 * @returns {number[]}
 */
export function roiToImage(roi, x, y, size) {
  const cos = Math.cos(roi.angle), sin = Math.sin(roi.angle);
  const ox = (x - size / 2.0) * (roi.side / size), oy = (y - size / 2.0) * (roi.side / size);
  return [roi.centre[0] + ox * cos + oy * (-sin), roi.centre[1] + ox * sin + oy * cos];
}

/**
 * The landmarker's points (x, y, z per landmark, crop pixels of the possibly mirrored crop) in frame pixels,
 * x then y per landmark (landmarks.EyeLocator.run_mesh).
 * @param {Float32Array} raw
 * @param {Roi} roi
 * @param {number} size
 * @param {boolean} mirror
 * @returns {Float64Array}
 */
export function meshInFrame(raw, roi, size, mirror) {
  const count = raw.length / 3;
  const mesh = new Float64Array(count * 2);
  for (let i = 0; i < count; i++) {
    const x = mirror ? size - raw[3 * i] : raw[3 * i];
    const [fx, fy] = roiToImage(roi, x, raw[3 * i + 1], size);
    mesh[2 * i] = fx;
    mesh[2 * i + 1] = fy;
  }
  return mesh;
}

/**
 * One eye from the mesh's contour labelled `meshSide` (landmarks.eye_from_mesh); `down` points down the face.
 * @param {Float64Array} mesh
 * @param {'right' | 'left'} meshSide
 * @param {number[]} down
 * @returns {Eye}
 */
export function eyeFromMesh(mesh, meshSide, down) {
  const points = EYE_CONTOUR[meshSide];
  let x = 0, y = 0;
  for (const p of points) { x += mesh[2 * p]; y += mesh[2 * p + 1]; }
  const at = (/** @type {number} */ k) => [mesh[2 * points[k]], mesh[2 * points[k] + 1]];
  const [ox, oy] = at(OUTER), [ix, iy] = at(INNER), [lx, ly] = at(LOWER_MID), [ux, uy] = at(UPPER_MID);
  const width = Math.hypot(ox - ix, oy - iy);
  const height = Math.abs((lx - ux) * down[0] + (ly - uy) * down[1]);
  return { centre: [x / points.length, y / points.length], width, opening: width > 0 ? height / width : 0.0 };
}

/**
 * The subject's eyes from a mesh found on a mirrored crop, whose labels are swapped (landmarks.EyeLocator.locate):
 * `roi` is the region that crop showed.
 * @param {Float64Array} mesh
 * @param {Roi} roi
 * @returns {{right: Eye, left: Eye}}
 */
export function eyesOfMirroredMesh(mesh, roi) {
  const down = [-Math.sin(roi.angle), Math.cos(roi.angle)];
  return { right: eyeFromMesh(mesh, 'left', down), left: eyeFromMesh(mesh, 'right', down) };
}
