// Pyodide as the build vendors it (vendor/pyodide/pyodide.mjs): its own type declarations from npm.
export * from '../../../node_modules/pyodide/pyodide.js';
