// @ts-check
// What "Download all" needs besides the ZIP library (client-zip, used in app.js): the names inside the
// ZIP, the ZIP's own name, one detections.json for all photos, and what to say when something fails.

// A file name safe inside the archive: no path parts, no control characters, never "." or "..".
/** @param {string} name */
export function safeName(name) {
  const base = String(name).normalize('NFC').split(/[\\/]/).pop()?.replace(/[\u0000-\u001f\u007f]/g, '').trim() ?? '';
  return base === '' || base === '.' || base === '..' ? 'photo' : base;
}

// Where " (2)" goes: before ".googly.jpg" (our outputs), else before the last extension.
/** @param {string} name @returns {[string, string]} */
function splitForCounter(name) {
  const match = /^(.+?)((?:\.googly)?\.[^.]+)$/.exec(name);
  return match ? [match[1], match[2]] : [name, ''];
}

// Unique names handed out one at a time, as files reach the ZIP: the first keeps its name, later ones
// get " (2)", " (3)", ... Compared case-insensitively, as Windows and macOS file systems compare them
// when the ZIP is unpacked.
export class UniqueNames {
  /** @type {Set<string>} lower-cased names already given */
  taken = new Set();

  /** @param {string} raw @returns {string} */
  take(raw) {
    const name = safeName(raw);
    const [stem, suffix] = splitForCounter(name);
    let candidate = name;
    for (let n = 2; this.taken.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${suffix}`;
    this.taken.add(candidate.toLowerCase());
    return candidate;
  }
}

// Unique names for a whole list at once, in order.
/** @param {string[]} names */
export function uniqueNames(names) {
  const unique = new UniqueNames();
  return names.map((name) => unique.take(name));
}

// The ZIP's own name for a day: googly-eyes-YYYY-MM-DD.zip (local date).
export function zipFileName(now = new Date()) {
  /** @param {number} n */
  const pad = (n) => String(n).padStart(2, '0');
  return `googly-eyes-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.zip`;
}

// One detections.json for the ZIP: the first photo's header and every photo's images, each with its ZIP name.
/** @param {{json: string, zipName: string}[]} made  each photo's detections JSON and its name in the ZIP */
export function combinedDetections(made) {
  const documents = made.map(({ json }) => JSON.parse(json));
  const images = made.flatMap(({ zipName }, index) => documents[index].images.map((/** @type {object} */ image) => ({ ...image, zip_file: zipName })));
  return JSON.stringify({ ...documents[0], images }, null, 1);
}

// The browser ran out of memory: an ArrayBuffer or a Blob it could not allocate.
/** @param {unknown} error */
export function isOutOfMemory(error) {
  if (error instanceof RangeError) return true;  // "Array buffer allocation failed"
  if (!(error instanceof Error)) return false;
  return ['NotReadableError', 'QuotaExceededError'].includes(error.name) || /out of memory|alloc/i.test(error.message);
}

// What to say when the ZIP could not be made, after `photosDone` photos and `bytesDone` bytes. `cause`
// is what stopped making its entries, or null when the browser failed to keep the ZIP itself (then
// Response.blob() says no more than "Failed to fetch").
/** @param {unknown} cause @param {number} photosDone @param {number} bytesDone */
export function zipFailureMessage(cause, photosDone, bytesDone) {
  const sofar = `after ${photosDone} photo(s), ${Math.round(bytesDone / 1e6)} MB`;
  const smaller = 'Download fewer photos at a time, or each photo on its own.';
  if (cause === null) return `The browser could not keep the ZIP (${sofar}): it may be short of memory or disk space. ${smaller}`;
  if (isOutOfMemory(cause)) return `There was not enough memory for the ZIP (it stopped ${sofar}). ${smaller}`;
  return `The ZIP could not be made: ${cause instanceof Error ? cause.message : String(cause)}`;
}

// The photos that could not be made, each with its reason as a sentence: the first few, then how many more.
/** @param {string[]} failures  each photo's name and reason */
export function failureList(failures, shown = 3) {
  const sentences = failures.slice(0, shown).map((failure) => (/[.!?]$/.test(failure) ? failure : `${failure}.`));
  if (failures.length > shown) sentences.push(`And ${failures.length - shown} more.`);
  return sentences.join(' ');
}
