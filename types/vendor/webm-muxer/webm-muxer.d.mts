// webm-muxer as the build vendors it (vendor/webm-muxer/webm-muxer.mjs): its own type declarations from npm.
export * from '../../../node_modules/webm-muxer/build/webm-muxer.js';
