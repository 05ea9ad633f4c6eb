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

// ---- Controls made from the settings spec (web/settings.js) ---------------------------------------

/** @typedef {import('./settings.js').ChoiceField} ChoiceField */
/** @typedef {import('./settings.js').NumberField} NumberField */

/**
 * Fill `container` with one radio button per choice, labelled as the spec says, the default checked.
 * @param {Element | null} container
 * @param {string} name
 * @param {ChoiceField} field
 */
export function addRadioButtons(container, name, field) {
  if (!container) throw new Error(`index.html has no place for the ${name} choices (data-setting="${name}")`);
  container.replaceChildren(...field.choices.map(({ value, label }) => {
    const wrapper = document.createElement('label');
    wrapper.append(Object.assign(document.createElement('input'), { type: 'radio', name, value, checked: value === field.default }), ` ${label}`);
    return wrapper;
  }));
}

/**
 * Fill a <select> with one option per choice, the default selected.
 * @param {HTMLSelectElement} select
 * @param {ChoiceField} field
 */
export function addOptions(select, field) {
  select.replaceChildren(...field.choices.map(({ value, label }) => new Option(label, value, value === field.default, value === field.default)));
}

/**
 * Give a range or number input the spec's slider (or, without one, the valid range) and the default.
 * @param {HTMLInputElement} input
 * @param {NumberField} field
 */
export function applyRange(input, field) {
  const { min, max, step } = field.slider ?? { min: field.min, max: field.max, step: field.kind === 'integer' ? 1 : 'any' };
  Object.assign(input, { min: String(min), max: String(max), step: String(step), value: String(field.default) });
}
