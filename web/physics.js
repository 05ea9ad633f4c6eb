// @ts-check
// The pupils' physics for the editor's live wobble: py/googly_eyes/physics.py's `step`, line for line, so
// the editor and the animated downloads move alike. Same units (per eye: eye radii, seconds), the same
// constants (the worker sends physics.py's with each photo's eyes), and only +, -, *, / and sqrt in
// the same order, so both give the same numbers bit for bit (tests/unit/test_physics_parity.py).
// Read physics.py for the model; the comments here only mark where each of its lines is.

/**
 * Each eye's constants, as physics.PupilParams.as_dict() gives them.
 * @typedef {object} PupilParams
 * @property {number} reach  1 - p / r
 * @property {number} drag
 * @property {number} restitution
 * @property {number} friction
 */

/**
 * The physics' constants (physics.py).
 * @typedef {object} PhysicsConstants
 * @property {number} stepHz
 * @property {number} gravity
 * @property {number} bounceMinSpeed
 */

export class Pupils {
  /**
   * @param {PupilParams[]} params
   * @param {number[][]} start  each pupil's position, eye radii (physics.start_state)
   * @param {PhysicsConstants} constants
   */
  constructor(params, start, constants) {
    this.params = params;
    this.constants = constants;
    /** positions, x then y per eye (eye radii) */
    this.x = new Float64Array(params.length * 2);
    /** velocities (eye radii / s) */
    this.v = new Float64Array(params.length * 2);
    start.forEach(([x, y], i) => { this.x[2 * i] = x; this.x[2 * i + 1] = y; });
  }

  /**
   * One step of 1 / stepHz s for every eye: physics.step.
   * @param {number[]} shake  the eyes' acceleration [x, y], eye radii / s^2
   * @param {Float64Array | null} pull  an extra acceleration per eye (x, y pairs), or null
   */
  step(shake, pull) {
    const { stepHz, gravity, bounceMinSpeed } = this.constants;
    const dt = 1.0 / stepHz;
    const { x, v } = this;
    for (let i = 0; i < this.params.length; i++) {
      const { reach, drag, restitution, friction } = this.params[i];
      let ax = 0.0 - shake[0];
      let ay = gravity - shake[1];
      if (pull) {
        ax = ax + pull[2 * i];
        ay = ay + pull[2 * i + 1];
      }
      const damping = 1.0 + drag * dt;
      let vx = (v[2 * i] + ax * dt) / damping;
      let vy = (v[2 * i + 1] + ay * dt) / damping;
      let px = x[2 * i] + vx * dt;
      let py = x[2 * i + 1] + vy * dt;
      if (px * px + py * py > reach * reach) {
        const distance = Math.sqrt(px * px + py * py);
        const nx = px / distance;
        const ny = py / distance;
        px = nx * reach;
        py = ny * reach;
        const vn = vx * nx + vy * ny;
        if (vn > 0.0) {
          const bounce = vn > bounceMinSpeed ? restitution * vn : 0.0;
          const change = vn + bounce;
          vx = vx - change * nx;
          vy = vy - change * ny;
        }
        const tx = 0.0 - ny;
        const ty = nx;
        const vt = vx * tx + vy * ty;
        const safeReach = reach > 0.0 ? reach : 1.0;
        const press = ax * nx + ay * ny + vt * vt / safeReach;
        if (press > 0.0) {
          const keep = 1.0 / (1.0 + friction * press * dt);
          const lost = vt - vt * keep;
          vx = vx - lost * tx;
          vy = vy - lost * ty;
        }
      }
      x[2 * i] = px;
      x[2 * i + 1] = py;
      v[2 * i] = vx;
      v[2 * i + 1] = vy;
    }
  }

  /** Any pupil still moving faster than `speed` eye radii / s (the live loop idles when none is). */
  moving(speed = 1e-3) {
    for (let i = 0; i < this.v.length; i++) if (Math.abs(this.v[i]) > speed) return true;
    return false;
  }
}
