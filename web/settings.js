// @ts-check
// The settings the user picks: defaults, choices (with the labels the page shows), valid ranges and the
// sliders' ranges. Their one home is py/googly_eyes/config.py (settings_spec()); scripts/build_site.py
// writes them into this module in place of the placeholder below. Stamped here rather than fetched as
// a settings.json: the page has them synchronously, before the drop zone works (no request or await in
// front of the drop-ready mark), the service worker precaches this file like every other one, and tsc
// checks the code that reads them against the shape declared here.
//
// Also here: the one rule for a look's settings (lookProblems, the same as config.GooglySettings.from_dict:
// tests/unit/test_settings_spec.py runs both on a table of cases) and the saved defaults built on it.
// The controls are made from the spec in dom.js, so this module has no DOM in it (the service worker's
// types reach it through protocol.js).

/**
 * @typedef {{value: string, label: string}} Choice
 * @typedef {{kind: 'choice', default: string, choices: Choice[]}} ChoiceField
 * @typedef {{min: number, max: number, step: number}} Slider
 * @typedef {{kind: 'number' | 'integer', default: number, min: number, max: number, exclusive: boolean, slider?: Slider}} NumberField
 * @typedef {{kind: 'point', default: null}} PointField
 * @typedef {{kind: 'colour', default: string}} ColourField
 * @typedef {ChoiceField | NumberField | PointField | ColourField} Field
 * @typedef {{gamma: NumberField, lambda_min: NumberField, lambda_max: NumberField, seed: NumberField,
 *   sizing: ChoiceField, pupil_mode: ChoiceField, look_at: PointField, style: ChoiceField,
 *   expressions: ChoiceField, background: ChoiceField, background_colour: ColourField}} LookSpec
 * @typedef {keyof LookSpec} LookName
 * @typedef {{motion: ChoiceField, seconds: NumberField, size: NumberField, format: ChoiceField}} AnimationSpec
 * @typedef {{look: LookSpec, ordered: [LookName, LookName][], output: {format: ChoiceField, quality: NumberField},
 *   animation: AnimationSpec}} SettingsSpec
 * @typedef {{gamma: number, lambda_min: number, lambda_max: number, seed: number, sizing: string,
 *   pupil_mode: string, look_at: [number, number] | null, style: string, expressions: string, background: string,
 *   background_colour: string}} Look
 */

const STAMPED = /** @type {unknown} */ ('__GOOGLY_SETTINGS_SPEC__');
if (typeof STAMPED === 'string') throw new Error('settings.js was not given the settings: scripts/build_site.py writes them in (./dev build; serve build/site, not web/).');
/** config.settings_spec(), as the build wrote it. */
export const SPEC = /** @type {SettingsSpec} */ (STAMPED);

const LOOK_FIELDS = /** @type {[LookName, Field][]} */ (Object.entries(SPEC.look));
/** The look's settings the editor shows as radio buttons, and those it shows as sliders. */
export const LOOK_CHOICES = /** @type {[LookName, ChoiceField][]} */ (LOOK_FIELDS.filter(([, field]) => field.kind === 'choice'));
export const LOOK_SLIDERS = /** @type {[LookName, NumberField][]} */ (LOOK_FIELDS.filter(([, field]) => 'slider' in field));

/** @param {unknown} value @returns {value is Record<string, unknown>} */
const isObject = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
const show = (/** @type {unknown} */ value) => (value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value));

/** Every setting at its default. @returns {Look} */
export function factoryLook() {
  return /** @type {Look} */ (/** @type {unknown} */ (Object.fromEntries(LOOK_FIELDS.map(([name, field]) => [name, field.default]))));
}

/**
 * Why `value` breaks one field's rule, or null when it is fine: config.setting_problem, in JavaScript.
 * @param {string} name
 * @param {Field} field
 * @param {unknown} value
 * @returns {string | null}
 */
export function settingProblem(name, field, value) {
  if (field.kind === 'colour') {
    if (typeof value === 'string' && /^#[0-9a-fA-F]{6}$/.test(value)) return null;
    return `${name} must be a colour like "#00b140", got ${show(value)}`;
  }
  if (field.kind === 'choice') {
    if (field.choices.some((choice) => choice.value === value)) return null;
    return `${name} must be one of ${field.choices.map((choice) => choice.value).join(', ')}, got ${show(value)}`;
  }
  if (field.kind === 'point') {
    if (value === null || (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number' && Number.isFinite(v)))) return null;
    return `${name} must be two finite numbers [x, y], got ${show(value)}`;
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) return `${name} must be a finite number, got ${show(value)}`;
  if (field.kind === 'integer' && !Number.isInteger(value)) return `${name} must be a whole number, got ${value}`;
  const { min, max } = field;
  if (field.exclusive) return min < value && value < max ? null : `${name} must be more than ${min} and less than ${max}, got ${value}`;
  return min <= value && value <= max ? null : `${name} must be within ${min}..${max}, got ${value}`;
}

/**
 * Every reason config.GooglySettings.from_dict(values) refuses `values` (none: it accepts them): not an
 * object, an unknown key, a setting breaking its rule, an ordered pair out of order. null is the default.
 * @param {unknown} values
 * @returns {string[]}
 */
export function lookProblems(values) {
  if (!isObject(values)) return [`settings must be an object of setting: value, got ${show(values)}`];
  const problems = Object.keys(values).filter((key) => !Object.hasOwn(SPEC.look, key)).map((key) => `unknown setting ${show(key)}`);
  /** @type {Record<string, unknown>} */
  const look = { ...factoryLook() };
  for (const [name] of LOOK_FIELDS) if (Object.hasOwn(values, name) && values[name] !== null) look[name] = values[name];
  const bad = new Set();
  for (const [name, field] of LOOK_FIELDS) {
    const problem = settingProblem(name, field, look[name]);
    if (problem) { problems.push(problem); bad.add(name); }
  }
  for (const [low, high] of SPEC.ordered) {
    if (!bad.has(low) && !bad.has(high) && Number(look[low]) > Number(look[high])) problems.push(`${low} must not be more than ${high}, got ${look[low]} > ${look[high]}`);
  }
  return problems;
}

/**
 * The defaults saved by an earlier visit, made safe one setting at a time with the rule above: a setting
 * that breaks its rule gets its factory value and the rest are kept, so a damaged or older entry costs
 * only what is wrong in it; an ordered pair out of order goes back to its factory values together.
 * Keys this version does not know (a newer version's) are dropped, and so is look_at: a look-at point
 * belongs to one photo; a "photo" background goes back to the factory's (the photo is not kept between
 * visits). The result always passes lookProblems().
 * @param {unknown} saved  what localStorage held, parsed
 * @returns {Look}
 */
export function savedDefaults(saved) {
  const factory = factoryLook();
  if (!isObject(saved)) return factory;
  /** @type {Record<string, unknown>} */
  const look = { ...factory };
  for (const [name, field] of LOOK_FIELDS) {
    const value = Object.hasOwn(saved, name) ? saved[name] : null;
    if (name !== 'look_at' && value !== null && !settingProblem(name, field, value)) look[name] = value;
  }
  if (look.background === 'photo') look.background = factory.background;  // the photo itself is not kept
  for (const [low, high] of SPEC.ordered) {
    if (Number(look[low]) > Number(look[high])) Object.assign(look, { [low]: factory[low], [high]: factory[high] });
  }
  return /** @type {Look} */ (look);
}
