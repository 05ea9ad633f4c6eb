// client-zip as the build vendors it (vendor/client-zip/index.js): its own type declarations from npm.
export * from '../../../node_modules/client-zip/index.js';
