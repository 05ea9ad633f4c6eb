// gifenc as the build vendors it (vendor/gifenc/gifenc.esm.js). The package ships no types: these are the
// parts web/animation.js uses, as its README documents them.
export type Palette = number[][];
export interface FrameOptions {
  palette?: Palette;
  delay?: number;
  repeat?: number;
  transparent?: boolean;
  transparentIndex?: number;
  dispose?: number;
}
export interface Encoder {
  writeFrame(index: Uint8Array, width: number, height: number, options?: FrameOptions): void;
  finish(): void;
  bytes(): Uint8Array<ArrayBuffer>;
}
export function GIFEncoder(options?: { auto?: boolean; initialCapacity?: number }): Encoder;
export function quantize(rgba: Uint8Array | Uint8ClampedArray, maxColors: number, options?: object): Palette;
export function applyPalette(rgba: Uint8Array | Uint8ClampedArray, palette: Palette, format?: string): Uint8Array;
export function nearestColorIndex(palette: Palette, pixel: number[]): number;
