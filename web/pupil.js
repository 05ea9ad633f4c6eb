// @ts-check
// How a pupil is drawn wherever it moves: the animated downloads' frames (animation.js, in the worker) and
// the editor's live wobble (wobble.js) draw it alike, as render.pupil_look describes it.

/** @typedef {import('./protocol.js').PupilLook} PupilLook */

/**
 * Draw a pupil: a disc, and in the cartoon style its catch-light (also the editor's live wobble).
 * @param {OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D} context
 * @param {PupilLook} look
 * @param {number} x
 * @param {number} y
 * @param {number} radius
 */
export function drawPupil(context, look, x, y, radius) {
  context.fillStyle = look.colour;
  context.beginPath();
  context.arc(x, y, radius, 0, 2 * Math.PI);
  context.fill();
  const light = look.catchlight;
  if (light) {
    context.fillStyle = light.colour;
    context.beginPath();
    context.arc(x + light.centre[0] * radius, y + light.centre[1] * radius, light.radius * radius, 0, 2 * Math.PI);
    context.fill();
  }
}

