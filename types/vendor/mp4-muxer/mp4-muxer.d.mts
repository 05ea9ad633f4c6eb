// mp4-muxer as the build vendors it (vendor/mp4-muxer/mp4-muxer.mjs): its own type declarations from npm.
export * from '../../../node_modules/mp4-muxer/build/mp4-muxer.js';
