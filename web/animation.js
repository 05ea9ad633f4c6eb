// @ts-check
// Animated downloads, the browser's part (worker.py's `animate` drives it from the Python worker, frame by
// frame): the frame compositor, the video writer (WebCodecs H.264 into MP4 with mp4-muxer, or VP9 into
// WebM with webm-muxer when this browser has no H.264 encoder) and the GIF writer (gifenc). Animated WebP
// and APNG are written by Pillow (googly_eyes.animated_files) from the frames this compositor makes.
//
// A frame is the photo with the eyes' still layers (drawn once, kept as a bitmap), then each pupil drawn
// where the physics put it (googly_eyes.animation), then the layers that go above the pupils: Python never
// repaints the photo, and only the pupils change between frames.

import { Muxer as Mp4Muxer, ArrayBufferTarget as Mp4Target } from './vendor/mp4-muxer/mp4-muxer.mjs';
import { Muxer as WebmMuxer, ArrayBufferTarget as WebmTarget } from './vendor/webm-muxer/webm-muxer.mjs';
import { GIFEncoder, applyPalette, nearestColorIndex, quantize } from './vendor/gifenc/gifenc.esm.js';
import { drawPupil } from './pupil.js';

/**
 * A layer as Python paints it (render.moving_layers): RGBA pixels placed at (left, top).
 * @typedef {{left: number, top: number, width: number, height: number, rgba: Uint8Array}} Layer
 */
/** @typedef {import('./protocol.js').PupilLook} PupilLook */
/**
 * One eye, in the animation's pixels.
 * @typedef {{centre: number[], radius: number, pupilRadius: number}} MovingEye
 */

/**
 * The photo as the animation shows it: the original file decoded by the browser (EXIF orientation
 * applied), turned `turn` quarter turns clockwise and scaled to `width` x `height`; or null when the browser
 * cannot decode it or sees another size than Python did (`upright`: the photo's size after the turn), as
 * canvas_export.py does. Python then decodes it with Pillow and hands the pixels to bitmapOf.
 * @param {Uint8Array<ArrayBuffer>} bytes
 * @param {number[]} upright
 * @param {number} width
 * @param {number} height
 * @param {number} turn
 */
export async function photoBitmap(bytes, upright, width, height, turn) {
  let decoded;
  try {
    decoded = await createImageBitmap(new Blob([bytes]), { imageOrientation: 'from-image' });
  } catch {
    return null;
  }
  const [before, after] = turn % 2 ? [[upright[1], upright[0]], [height, width]] : [upright, [width, height]];
  if (decoded.width !== before[0] || decoded.height !== before[1]) {
    decoded.close();
    return null;
  }
  const canvas = new OffscreenCanvas(width, height);
  const context = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d'));
  context.imageSmoothingQuality = 'high';
  if (turn) {  // as canvas_export.py: turn about the origin, then move the turned photo back into view
    const shift = [[0, 0], [width, 0], [width, height], [0, height]][turn];
    context.translate(shift[0], shift[1]);
    context.rotate(turn * Math.PI / 2);
  }
  context.drawImage(decoded, 0, 0, after[0], after[1]);
  decoded.close();
  return canvas.transferToImageBitmap();
}

/** @param {Layer} layer */
export async function bitmapOf(layer) {
  const pixels = new Uint8ClampedArray(layer.width * layer.height * 4);
  pixels.set(layer.rgba);
  return createImageBitmap(new ImageData(pixels, layer.width, layer.height));
}

export class Composer {
  /**
   * @param {OffscreenCanvas} canvas
   * @param {ImageBitmap} base  the photo with the still layers
   * @param {{left: number, top: number, bitmap: ImageBitmap}[]} above
   * @param {PupilLook} look
   * @param {MovingEye[]} eyes
   */
  constructor(canvas, base, above, look, eyes) {
    this.canvas = canvas;
    this.context = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d', { willReadFrequently: true }));
    this.base = base;
    this.above = above;
    this.look = look;
    this.eyes = eyes;
  }

  /**
   * The photo (`photo`: already decoded, turned and sized, see photoBitmap) with the still layers, ready
   * to draw frames on.
   * @param {{photo: ImageBitmap, width: number, height: number, still: Layer[], above: Layer[],
   *   look: PupilLook, eyes: MovingEye[]}} parts
   */
  static async create({ photo, width, height, still, above, look, eyes }) {
    const canvas = new OffscreenCanvas(width, height);
    const context = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d'));
    context.drawImage(photo, 0, 0);
    photo.close();
    for (const layer of still) {
      const bitmap = await bitmapOf(layer);
      context.drawImage(bitmap, layer.left, layer.top);
      bitmap.close();
    }
    const base = canvas.transferToImageBitmap();
    const aboveBitmaps = await Promise.all(above.map(async (layer) => ({ left: layer.left, top: layer.top, bitmap: await bitmapOf(layer) })));
    return new Composer(new OffscreenCanvas(width, height), base, aboveBitmaps, look, eyes);
  }

  /**
   * Draw one frame: `centres` holds each pupil's centre, x then y, in the animation's pixels.
   * @param {Float64Array | number[]} centres
   */
  draw(centres) {
    const { context } = this;
    context.drawImage(this.base, 0, 0);
    this.eyes.forEach((eye, i) => drawPupil(context, this.look, centres[2 * i], centres[2 * i + 1], eye.pupilRadius));
    for (const { left, top, bitmap } of this.above) context.drawImage(bitmap, left, top);
  }

  /** The frame's pixels (RGBA) */
  rgba() {
    return this.context.getImageData(0, 0, this.canvas.width, this.canvas.height).data;
  }

  close() {
    this.base.close();
    for (const { bitmap } of this.above) bitmap.close();
  }
}

// H.264 first (MP4 plays everywhere people post), in profiles a 1080 px frame fits; VP9 in WebM otherwise.
const H264 = ['avc1.640028', 'avc1.4d0028', 'avc1.42002a'];
const VP9 = ['vp09.00.40.08', 'vp09.00.10.08'];

/**
 * The first codec of `codecs` this browser can encode `width` x `height` with, or null.
 * @param {string[]} codecs
 * @param {number} width
 * @param {number} height
 * @param {number} fps
 */
async function supported(codecs, width, height, fps) {
  if (typeof VideoEncoder === 'undefined') return null;
  for (const codec of codecs) {
    /** @type {VideoEncoderConfig} */
    const config = { codec, width, height, framerate: fps, bitrate: bitrateFor(width, height, fps) };
    if (codec.startsWith('avc1')) config.avc = { format: 'avc' };
    try {
      const { supported: ok } = await VideoEncoder.isConfigSupported(config);
      if (ok) return config;
    } catch { /* a codec string this browser does not know */ }
  }
  return null;
}

/**
 * About 0.1 bit per pixel per frame: a shaken photo's still background compresses very well.
 * @param {number} width
 * @param {number} height
 * @param {number} fps
 */
function bitrateFor(width, height, fps) {
  return Math.round(Math.min(8e6, Math.max(1e6, width * height * fps * 0.1)));
}

export class VideoWriter {
  /**
   * @param {VideoEncoder} encoder
   * @param {{finalize: () => void, target: {buffer: ArrayBuffer | null}}} muxer
   * @param {'mp4' | 'webm'} container
   * @param {number} fps
   */
  constructor(encoder, muxer, container, fps) {
    this.encoder = encoder;
    this.muxer = muxer;
    this.container = container;
    this.fps = fps;
    /** @type {Error | null} */
    this.error = null;
  }

  /**
   * An MP4 (H.264) writer, or a WebM (VP9) one where this browser cannot encode H.264; throws an Error
   * whose message starts "codec-missing:" where it can encode neither.
   * @param {number} width  even
   * @param {number} height  even
   * @param {number} fps
   * @param {string} [codecs]  "vp9": never H.264; "none": no codec (as browsers without them: tests)
   */
  static async create(width, height, fps, codecs = 'any') {
    let config = codecs === 'any' ? await supported(H264, width, height, fps) : null;
    /** @type {'mp4' | 'webm'} */
    let container = 'mp4';
    if (!config && codecs !== 'none') {
      config = await supported(VP9, width, height, fps);
      container = 'webm';
    }
    if (!config) throw new Error('codec-missing: this browser cannot encode H.264 or VP9 video (WebCodecs)');
    const muxer = container === 'mp4'
      ? new Mp4Muxer({ target: new Mp4Target(), video: { codec: 'avc', width, height, frameRate: fps }, fastStart: 'in-memory' })
      : new WebmMuxer({ target: new WebmTarget(), video: { codec: 'V_VP9', width, height, frameRate: fps } });
    /** @type {VideoWriter | null} */
    let writer = null;
    const encoder = new VideoEncoder({
      output: (chunk, meta) => {
        try {
          muxer.addVideoChunk(chunk, meta);
        } catch (error) {  // the muxer refused the chunk: finish() reports it
          if (writer && !writer.error) writer.error = error instanceof Error ? error : new Error(String(error));
        }
      },
      error: (error) => { if (writer) writer.error = error; },
    });
    encoder.configure(config);
    writer = new VideoWriter(encoder, /** @type {any} */ (muxer), container, fps);
    return writer;
  }

  /**
   * Encode the canvas as frame `index`; waits while the encoder is behind (memory stays bounded).
   * @param {OffscreenCanvas} canvas
   * @param {number} index
   */
  async add(canvas, index) {
    if (this.error) throw this.error;
    const duration = 1e6 / this.fps;
    const frame = new VideoFrame(canvas, { timestamp: Math.round(index * duration), duration: Math.round(duration) });
    this.encoder.encode(frame, { keyFrame: index % (2 * this.fps) === 0 });
    frame.close();
    while (this.encoder.encodeQueueSize > 2) {
      await new Promise((resolve) => this.encoder.addEventListener('dequeue', resolve, { once: true }));
    }
  }

  /**
   * Encode the canvas now at `timestampUs` (the first frame's must be 0) without waiting (the camera's
   * recording, drawn live): false, and the frame dropped, while the encoder is more than a few frames
   * behind (memory stays bounded).
   * @param {OffscreenCanvas} canvas
   * @param {number} timestampUs
   * @param {boolean} keyFrame
   */
  encodeNow(canvas, timestampUs, keyFrame) {
    if (this.error) throw this.error;
    if (this.encoder.encodeQueueSize > 4) return false;
    const frame = new VideoFrame(canvas, { timestamp: Math.round(timestampUs) });
    this.encoder.encode(frame, { keyFrame });
    frame.close();
    return true;
  }

  /** The finished file. */
  async finish() {
    await this.encoder.flush();
    if (this.error) throw this.error;
    this.encoder.close();
    this.muxer.finalize();
    return new Uint8Array(/** @type {ArrayBuffer} */ (this.muxer.target.buffer));
  }

  close() {
    if (this.encoder.state !== 'closed') this.encoder.close();
  }
}

export class GifWriter {
  /**
   * One palette for the whole animation (only the pupils move, and they are in the first frame), and
   * every frame after the first stores only the pixels that changed (the rest transparent): small files.
   * A changed pixel gets the palette colour nearest to its own (remembered per colour), so a pixel that
   * does not change never changes colour either (gifenc's applyPalette, used on the first frame, picks
   * per bin of similar colours from whichever pixel it meets first: frame by frame that would flicker).
   * @param {number} width
   * @param {number} height
   * @param {number} fps  GIF delays are whole hundredths of a second: 25 fps is 4/100 s
   */
  constructor(width, height, fps) {
    this.width = width;
    this.height = height;
    this.delay = Math.round(1000 / fps);
    this.gif = GIFEncoder();
    /** @type {number[][]} the first frame's colours (at most 255) */
    this.colours = [];
    /** @type {Uint32Array | null} the last frame's pixels */
    this.pixels = null;
    /** @type {Uint8Array} the palette index each pixel shows now */
    this.index = new Uint8Array(0);
    /** @type {Map<number, number>} palette index by 0xBBGGRR colour */
    this.nearest = new Map();
  }

  /** @param {Uint8ClampedArray} rgba */
  add(rgba) {
    const pixels = new Uint32Array(rgba.buffer, rgba.byteOffset, rgba.length / 4);
    if (!this.pixels) {
      this.colours = quantize(rgba, 255);
      this.index = applyPalette(rgba, this.colours);
      const palette = [...this.colours];
      while (palette.length < 256) palette.push([0, 0, 0]);
      this.gif.writeFrame(this.index, this.width, this.height, { palette, delay: this.delay, repeat: 0 });
      this.pixels = pixels.slice();
      return;
    }
    const transparent = 255;  // "unchanged" in the frames after the first: never one of the colours
    const frame = new Uint8Array(pixels.length).fill(transparent);
    const { index, nearest } = this;
    const previous = this.pixels;
    for (let i = 0; i < pixels.length; i++) {
      const pixel = pixels[i];
      if (pixel === previous[i]) continue;
      previous[i] = pixel;
      const colour = pixel & 0xffffff;
      let value = nearest.get(colour);
      if (value === undefined) {
        value = nearestColorIndex(this.colours, [colour & 0xff, (colour >> 8) & 0xff, (colour >> 16) & 0xff]);
        nearest.set(colour, value);
      }
      if (value !== index[i]) frame[i] = index[i] = value;
    }
    // dispose 1: leave the frame in place, so the transparent pixels show the previous frame's
    this.gif.writeFrame(frame, this.width, this.height, { delay: this.delay, transparent: true, transparentIndex: transparent, dispose: 1 });
  }

  finish() {
    this.gif.finish();
    return this.gif.bytes();
  }
}
