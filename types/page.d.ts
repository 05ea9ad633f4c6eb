// What the page puts on `window` for tests, benchmarks and the service worker's registration script
// (web/app.js fills it in). The record's shape is declared in web/protocol.js.
interface Window {
  googly: import('../web/protocol.js').PageRecord;
  googlyTimeModel?: (runs: number) => Promise<number[]>;
  googlyProfile?: (runs: number, photo?: Uint8Array) => Promise<import('../web/protocol.js').TimeModelAnswer>;
  googlyMemory?: () => Promise<import('../web/protocol.js').MemoryAnswer>;
}
