/**
 * The drop-path schedule of the final micro training (official `micro_child.py` `_apply_drop_path`; reference
 * notes a.3). A path of cell `layer` of an (L + 2)-cell network is kept with probability
 *
 *   keep_layer = 1 − (layer + 1) / (L + 2) · (1 − p)       deeper cells drop more (p = 0.6 in the final script)
 *   keep       = 1 − progress · (1 − keep_layer)            nothing is dropped at the start, full rate at the end
 *
 * where the official progress is min(1, (global_step + 1) / total_steps), a new value every step. Here it is
 * constant within an epoch (see `dropPathProgress`): the drop-path kernel takes its keep probability as a uniform,
 * uniform records are kept by value, and a value per step per call site would add records without bound over
 * a 630-epoch run. The learning rate is constant within an epoch for the same reason (SGDR, `sgdrLearningRate`).
 */

/** Keep probability of the paths of cell `layer` (0-based) at training `progress` ∈ [0, 1]. */
export function dropPathKeep(layer: number, cells: number, keep: number, progress: number): number {
  if (!(keep > 0 && keep <= 1)) throw new Error(`dropPathKeep: keep = ${keep}; a keep probability must be in (0, 1]`);
  if (!Number.isInteger(layer) || layer < 0 || layer >= cells) {
    throw new Error(`dropPathKeep: layer ${layer} is not a cell of a ${cells}-cell network (0..${cells - 1})`);
  }
  if (!(progress >= 0 && progress <= 1))
    throw new Error(`dropPathKeep: progress = ${progress}; pass the fraction of training done, in [0, 1]`);
  const layerKeep = 1 - ((layer + 1) / cells) * (1 - keep);
  return 1 - progress * (1 - layerKeep);
}

/**
 * The progress the schedule uses during `epoch` of `epochs`: the official per-step ratio at the middle of the
 * epoch, (epoch + ½) / epochs, so the epoch's mean keep probability matches the official one's.
 */
export function dropPathProgress(epoch: number, epochs: number): number {
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`dropPathProgress: epochs = ${epochs}; pass a positive integer`);
  return Math.min(1, Math.max(0, (epoch + 0.5) / epochs));
}
