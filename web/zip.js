// A minimal ZIP writer for "Download all": STORE only (JPEG and PNG do not compress further), CRC-32,
// local headers + central directory + end record, UTF-8 names (flag bit 11). No ZIP64, so archives
// above 4 GB or 65535 entries are refused with a clear message instead of being written wrong.

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_END = 0x06054b50;
const FLAG_UTF8 = 0x0800; // APPNOTE 4.4.4 bit 11: names are UTF-8
const VERSION = 20; // 2.0: what every unzip tool accepts for stored entries
const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const END_RECORD = 22;
export const MAX_ZIP_BYTES = 0xffffffff; // 32-bit sizes and offsets without ZIP64
export const MAX_ZIP_ENTRIES = 0xffff;

export class ZipTooLargeError extends Error {}

// The standard reflected CRC-32 table (polynomial 0xEDB88320), built once.
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

// CRC-32 of some bytes, as ZIP stores it; `crc` continues a previous call's result.
export function crc32(bytes, crc = 0) {
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

// MS-DOS date and time of a local Date (2-second resolution, years 1980-2107), as ZIP headers hold them.
export function dosDateTime(date) {
  const year = Math.min(2107, Math.max(1980, date.getFullYear()));
  const time = (date.getHours() << 11) | (date.getMinutes() << 5) | (date.getSeconds() >> 1);
  const day = ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate();
  return { time, date: day };
}

// A file name safe inside the archive: no path parts, no control characters, never "." or "..".
export function safeName(name) {
  const base = String(name).normalize('NFC').split(/[\\/]/).pop().replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return base === '' || base === '.' || base === '..' ? 'photo' : base;
}

// Where " (2)" goes: before ".googly.jpg" (our outputs), else before the last extension.
function splitForCounter(name) {
  const match = /^(.+?)((?:\.googly)?\.[^.]+)$/.exec(name);
  return match ? [match[1], match[2]] : [name, ''];
}

// Unique names in order: the first keeps its name, later ones get " (2)", " (3)", ... Compared
// case-insensitively, as Windows and macOS file systems compare them when the ZIP is unpacked.
export function uniqueNames(names) {
  const taken = new Set();
  return names.map((raw) => {
    const name = safeName(raw);
    const [stem, suffix] = splitForCounter(name);
    let candidate = name;
    for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${stem} (${n})${suffix}`;
    taken.add(candidate.toLowerCase());
    return candidate;
  });
}

// The archive's size for entries of {name, size} (names already UTF-8 encoded lengths in nameBytes).
function archiveSize(entries) {
  let total = END_RECORD;
  for (const { nameBytes, size } of entries) total += LOCAL_HEADER + CENTRAL_HEADER + 2 * nameBytes + size;
  return total;
}

// Refuse what needs ZIP64 before reading a single byte; returns the archive's size in bytes.
export function checkZipFits(entries) {
  const encoder = new TextEncoder();
  const sized = entries.map(({ name, size }) => ({ nameBytes: encoder.encode(name).length, size }));
  const total = archiveSize(sized);
  if (entries.length > MAX_ZIP_ENTRIES) {
    throw new ZipTooLargeError(`Too many files for one ZIP (${entries.length}; the limit is ${MAX_ZIP_ENTRIES}). Download them in parts.`);
  }
  if (total > MAX_ZIP_BYTES) {
    const gb = (total / 1e9).toFixed(1);
    throw new ZipTooLargeError(`These results add up to ${gb} GB, more than one ZIP can hold (4 GB). Download them separately or in parts.`);
  }
  return total;
}

// Little-endian header writer over a fresh buffer.
function header(size, fields) {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  let at = 0;
  for (const [width, value] of fields) {
    if (width === 2) view.setUint16(at, value, true);
    else if (width === 4) view.setUint32(at, value, true);
    else { bytes.set(value, at); }
    at += width === 'bytes' ? value.length : width;
  }
  return bytes;
}

// A ZIP Blob of entries {name, data: Blob | Uint8Array | string}, stored, names used as given.
export async function makeZip(entries, now = new Date()) {
  const encoder = new TextEncoder();
  const files = entries.map(({ name, data }) => {
    const blob = data instanceof Blob ? data : new Blob([data]);
    return { name, nameBytes: encoder.encode(name), blob };
  });
  checkZipFits(files.map(({ name, blob }) => ({ name, size: blob.size })));
  const { time, date } = dosDateTime(now);
  const parts = [];
  const central = [];
  let offset = 0;
  for (const file of files) {
    // One entry's bytes at a time, so memory holds at most one photo beyond the Blobs themselves.
    const crc = crc32(new Uint8Array(await file.blob.arrayBuffer()));
    const size = file.blob.size;
    const common = [[2, VERSION], [2, FLAG_UTF8], [2, 0], [2, time], [2, date], [4, crc], [4, size], [4, size],
      [2, file.nameBytes.length], [2, 0]];
    parts.push(header(LOCAL_HEADER + file.nameBytes.length, [[4, SIG_LOCAL], ...common, ['bytes', file.nameBytes]]));
    parts.push(file.blob);
    central.push(header(CENTRAL_HEADER + file.nameBytes.length, [[4, SIG_CENTRAL], [2, VERSION], ...common,
      [2, 0], [2, 0], [2, 0], [4, 0], [4, offset], ['bytes', file.nameBytes]]));
    offset += LOCAL_HEADER + file.nameBytes.length + size;
  }
  const centralSize = central.reduce((sum, part) => sum + part.length, 0);
  const end = header(END_RECORD, [[4, SIG_END], [2, 0], [2, 0], [2, files.length], [2, files.length],
    [4, centralSize], [4, offset], [2, 0]]);
  return new Blob([...parts, ...central, end], { type: 'application/zip' });
}

// The ZIP's own name for a day: googly-eyes-YYYY-MM-DD.zip (local date).
export function zipFileName(now = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  return `googly-eyes-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.zip`;
}
