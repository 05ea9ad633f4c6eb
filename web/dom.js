// @ts-check
// Finding the page's elements, typed: `$('#gamma', HTMLInputElement)` is the <input> with id "gamma",
// checked at run time too, so a renamed or missing element in index.html fails loudly at start-up
// instead of as "cannot read properties of null" later.

/**
 * The one element `selector` finds in `root`, which must be a `type` (default HTMLElement).
 * @template {Element} [T=HTMLElement]
 * @param {string} selector
 * @param {{new (...args: any[]): T, prototype: T}} [type]
 * @param {ParentNode} [root]
 * @returns {T}
 */
export function $(selector, type, root = document) {
  const element = root.querySelector(selector);
  const kind = type ?? HTMLElement;
  if (!(element instanceof kind)) throw new Error(`the page has no ${kind.name} ${selector}`);
  return /** @type {T} */ (element);
}

/**
 * Every element `selector` finds in `root`, each a `type`.
 * @template {Element} T
 * @param {string} selector
 * @param {{new (...args: any[]): T, prototype: T}} type
 * @param {ParentNode} [root]
 * @returns {T[]}
 */
export function $$(selector, type, root = document) {
  return [...root.querySelectorAll(selector)].filter(/** @returns {element is T} */ (element) => element instanceof type);
}
