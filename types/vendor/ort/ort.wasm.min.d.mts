// onnxruntime-web as the build vendors it (vendor/ort/ort.wasm.min.mjs): the API it re-exports from
// onnxruntime-common, with that package's own type declarations from npm.
export * from '../../../node_modules/onnxruntime-common/dist/esm/index.js';
