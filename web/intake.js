// @ts-check
// Ways a photo comes in besides the file picker: a drop (from the desktop, or an image dragged from
// another tab or app), a paste (Ctrl/Cmd+V, or the Paste button), a share from another app (the
// installed app is a Web Share Target: sw.js keeps the shared files, this page collects them), and
// photos only the browser can decode (HEIC/HEIF on Safari, AVIF), turned into a file Python reads.
//
// The page never fetches another origin: an image dragged from another page counts only if the drop
// carries the image itself (a file, or a data: URL); a bare link is answered with what to do instead.

/**
 * What arrived with a drop or a paste: the image files, and a note when something arrived that is not
 * one (a link to an image on another site, text).
 * @typedef {{files: File[], note: string | null}} Arrival
 */

export const LINK_ONLY = 'Only a link to the image arrived, and this page never downloads anything from other sites. '
  + 'Save the image to your device and drop the file here, or copy the image itself (right-click › Copy image) and paste it here.';
const NOT_AN_IMAGE = 'That was not an image. Drop or paste a photo (JPEG, PNG, WebP, HEIC, …).';
const NO_IMAGE = 'There is no image on the clipboard. Copy a photo (or take a screenshot to the clipboard), then paste.';

/** @param {string} type  a MIME type: image/jpeg -> jpg, image/svg+xml -> svg */
const extensionOf = (type) => (type.split('/')[1] || 'png').replace('jpeg', 'jpg').replace(/\W.*$/, '');

/** @param {Date} date */
const stamp = (date) => date.toISOString().slice(0, 19).replace('T', ' ').replaceAll(':', '.');

/**
 * A clipboard image has no name of its own ("image.png" at best): give it one people can tell apart.
 * @param {Blob} blob
 * @param {Date} [when]
 * @param {number} [index]  the n-th image of one paste
 */
export function pastedFile(blob, when = new Date(), index = 0) {
  const extension = extensionOf(blob.type);
  let name = '';
  for (let n = index; !name || pastedNames.has(name); n++) name = `Pasted image ${stamp(when)}${n ? ` (${n + 1})` : ''}.${extension}`;
  pastedNames.add(name);
  return new File([blob], name, { type: blob.type, lastModified: when.getTime() });
}

/** Every name pastedFile gave on this page: two pastes within one second are still told apart. */
const pastedNames = new Set();

/**
 * A data: URL's bytes, decoded here (fetching it would be a request, and the page's CSP allows none
 * but its own origin): a File named `stem` plus the extension of its type, or null if it is not a
 * base64 image.
 * @param {string} url
 * @param {string} stem
 */
export function dataUrlFile(url, stem) {
  const match = /^data:(image\/[\w.+-]+)(?:;[^,;]*)*;base64,(.*)$/s.exec(url.trim());
  if (!match) return null;
  try {
    const bytes = Uint8Array.from(atob(match[2].replace(/\s/g, '')), (c) => c.charCodeAt(0));
    return new File([bytes], `${stem}.${extensionOf(match[1])}`, { type: match[1] });
  } catch {
    return null;
  }
}

/**
 * The images a drop or paste carries (DataTransfer): its files; else an image it holds as a data: URL
 * (an <img> dragged from a page whose image is inline); else a note saying why nothing was taken.
 * @param {DataTransfer | null} transfer
 * @param {'drop' | 'paste'} how
 * @returns {Arrival}
 */
export function arrived(transfer, how) {
  if (!transfer) return { files: [], note: null };
  const now = new Date();
  /** @type {File[]} */
  const files = [];
  for (const item of transfer.items ?? []) {
    const file = item.kind === 'file' ? item.getAsFile() : null;
    if (file) files.push(how === 'paste' && isUnnamed(file) ? pastedFile(file, now, files.length) : file);
  }
  if (!files.length) files.push(...(transfer.files ?? []));
  if (files.length) return { files, note: null };
  const links = (transfer.getData('text/uri-list') || '').split(/\r?\n/).filter((line) => line && !line.startsWith('#'));
  const html = transfer.getData('text/html') || '';
  const sources = [...links, ...[...html.matchAll(/<img[^>]+src="([^"]+)"/gi)].map((match) => match[1].replaceAll('&amp;', '&'))];
  const inline = sources.map((url, index) => dataUrlFile(url, `${how === 'paste' ? 'Pasted' : 'Dropped'} image ${stamp(now)}${index ? ` (${index + 1})` : ''}`))
    .filter((file) => file !== null);
  if (inline.length) return { files: inline.slice(0, 1), note: null };
  if (sources.length) return { files: [], note: LINK_ONLY };
  const text = transfer.getData('text/plain');
  if (how === 'paste') return { files: [], note: NO_IMAGE };
  if (text) return { files: [], note: /^https?:\/\//.test(text.trim()) ? LINK_ONLY : NOT_AN_IMAGE };
  return { files: [], note: null };
}

/** @param {File} file */
function isUnnamed(file) {
  return !file.name || /^image\.\w+$/.test(file.name);
}

/**
 * The Paste button: the images on the clipboard, through the async Clipboard API (the browser may ask
 * the person first). Throws an Error with a message for people when it cannot.
 * @returns {Promise<File[]>}
 */
export async function clipboardImages() {
  let items;
  try {
    items = await navigator.clipboard.read();
  } catch (error) {
    const denied = error instanceof DOMException && error.name === 'NotAllowedError';
    throw new Error(denied
      ? 'The browser did not allow reading the clipboard. Press Ctrl+V (⌘V on a Mac) on this page instead.'
      : `The clipboard could not be read (${error instanceof Error ? error.message : error}). Press Ctrl+V (⌘V on a Mac) instead.`);
  }
  const now = new Date();
  /** @type {File[]} */
  const files = [];
  for (const item of items) {
    const type = item.types.find((name) => name.startsWith('image/'));
    if (type) files.push(pastedFile(await item.getType(type), now, files.length));
  }
  if (!files.length) throw new Error(NO_IMAGE);
  return files;
}

// ---- Photos only the browser decodes ---------------------------------------------------------

// ISO-BMFF brands (bytes 8..12, after "ftyp") of formats Pillow here cannot read but some browsers can:
// HEIC/HEIF (iPhone photos; Safari decodes them) and AVIF (every current browser).
const BROWSER_ONLY = { heic: 'HEIC', heix: 'HEIC', heim: 'HEIC', heis: 'HEIC', hevc: 'HEIC', hevx: 'HEIC', mif1: 'HEIF', msf1: 'HEIF', avif: 'AVIF', avis: 'AVIF' };

/**
 * Which browser-only format the file is (by its first bytes), or null.
 * @param {Blob} file
 * @returns {Promise<string | null>}
 */
export async function browserOnlyFormat(file) {
  const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  const text = String.fromCharCode(...head);
  if (text.slice(4, 8) !== 'ftyp') return null;
  return /** @type {Record<string, string>} */ (BROWSER_ONLY)[text.slice(8, 12)] ?? null;
}

/**
 * A HEIC/HEIF/AVIF photo as a file Python reads, decoded by this browser where it can (upright, as the
 * browser shows it): a JPEG (quality 0.95) for an opaque photo, PNG when it has transparency; the
 * original file name is kept for the card. Anything else, or a browser that cannot decode it, answers
 * the file as it is: Python then says plainly what it is and what to do (photo.py).
 * @param {File} file
 * @returns {Promise<{file: File, decodedFrom: string | null}>}
 */
export async function readableFile(file) {
  const format = await browserOnlyFormat(file);
  if (!format) return { file, decodedFrom: null };
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
  } catch {
    return { file, decodedFrom: null };  // this browser cannot decode it either
  }
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = /** @type {OffscreenCanvasRenderingContext2D} */ (canvas.getContext('2d'));
    context.drawImage(bitmap, 0, 0);
    const opaque = hasNoTransparency(context, bitmap.width, bitmap.height);
    const blob = await canvas.convertToBlob(opaque ? { type: 'image/jpeg', quality: 0.95 } : { type: 'image/png' });
    return { file: new File([blob], file.name, { type: blob.type, lastModified: file.lastModified }), decodedFrom: format };
  } finally {
    bitmap.close();
  }
}

/**
 * @param {OffscreenCanvasRenderingContext2D} context
 * @param {number} width
 * @param {number} height
 */
function hasNoTransparency(context, width, height) {
  const { data } = context.getImageData(0, 0, width, height);
  for (let index = 3; index < data.length; index += 4) if (data[index] !== 255) return false;
  return true;
}

// ---- Shared from another app (Web Share Target) ------------------------------------------------

export const SHARED_CACHE = 'googly-shared';  // sw.js puts shared files here; not a googly-eyes-* cache

/**
 * The files another app shared to this one: sw.js answered the share's POST by keeping them in the
 * SHARED_CACHE and sending the browser here with ?shared=N. They are taken out (and deleted) once.
 * @returns {Promise<Arrival | null>}  null when this page was not opened by a share
 */
export async function takeSharedFiles() {
  const params = new URLSearchParams(location.search);
  if (!params.has('shared')) return null;
  const url = new URL(location.href);
  url.searchParams.delete('shared');
  history.replaceState(null, '', url);
  if (!('caches' in self)) return { files: [], note: 'The shared photos could not be opened: this browser has no storage for them. Drop them here instead.' };
  const cache = await caches.open(SHARED_CACHE);
  /** @type {File[]} */
  const files = [];
  for (const request of await cache.keys()) {
    const response = await cache.match(request);
    await cache.delete(request);
    if (!response) continue;
    const name = decodeURIComponent(response.headers.get('X-File-Name') ?? 'shared photo');
    const blob = await response.blob();
    files.push(new File([blob], name, { type: blob.type, lastModified: Number(response.headers.get('X-Last-Modified')) || Date.now() }));
  }
  const note = files.length ? null
    : 'Nothing to open: only a link or text was shared. Share the photo itself (not a link to it), or save it and drop it here.';
  return { files, note };
}
