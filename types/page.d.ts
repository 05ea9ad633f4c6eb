// What the page puts on `window` for tests, benchmarks and the service worker's registration script
// (web/app.js fills it in). The record's shape is declared in web/protocol.js.
interface Window {
  googly: import('../web/protocol.js').PageRecord;
  googlyTimeModel?: (runs: number) => Promise<number[]>;
  googlyProfile?: (runs: number, photo?: Uint8Array) => Promise<import('../web/protocol.js').TimeModelAnswer>;
  googlyMemory?: () => Promise<import('../web/protocol.js').MemoryAnswer>;
}

// Breakout box (Chromium): a camera track's frames as a stream of VideoFrames. Not in TypeScript's DOM
// library yet (https://w3c.github.io/mediacapture-transform/).
declare class MediaStreamTrackProcessor {
  constructor(init: { track: MediaStreamTrack; maxBufferSize?: number });
  readonly readable: ReadableStream<VideoFrame>;
}
