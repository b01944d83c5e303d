/**
 * Learning-rate schedules, as pure functions of the epoch (and step) so they can be checked, plotted and logged.
 *
 * SGDR (Loshchilov & Hutter 2017), as the official ENAS code implements it (`src/utils.py` L154-185): the rate
 * follows half a cosine from lr_max to lr_min over T_i epochs, then restarts with T_i ← T_i · T_mul. T_cur counts
 * whole epochs since the last restart, so the rate is constant within an epoch. With T_0 = 10, T_mul = 2 the
 * restarts fall at epochs 10, 30, 70, 150, 310.
 */
export interface SgdrConfig {
  lrMax: number;
  lrMin: number;
  t0: number;
  tMul: number;
}

export function sgdrLearningRate(epoch: number, c: SgdrConfig): number {
  if (!(c.t0 > 0) || !(c.tMul >= 1)) throw new Error(`SGDR needs T_0 > 0 and T_mul >= 1 (got T_0 ${c.t0}, T_mul ${c.tMul})`);
  let tI = c.t0;
  let lastReset = 0;
  while (epoch - lastReset >= tI) {
    lastReset += tI;
    tI *= c.tMul;
  }
  const tCur = epoch - lastReset;
  return c.lrMin + 0.5 * (c.lrMax - c.lrMin) * (1 + Math.cos((Math.PI * tCur) / tI));
}

/** The epochs at which SGDR restarts, up to `epochs`. */
export function sgdrRestarts(epochs: number, c: SgdrConfig): number[] {
  const out: number[] = [];
  let t = c.t0;
  let at = c.t0;
  while (at <= epochs) {
    out.push(at);
    t *= c.tMul;
    at += t;
  }
  return out;
}
