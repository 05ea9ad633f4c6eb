// @pyscript/core as the build vendors it (vendor/pyscript/core.js): its own type declarations.
export * from '../../../node_modules/@pyscript/core/types/core.js';
