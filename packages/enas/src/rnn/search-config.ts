/**
 * The configuration of a recurrent-cell search: the reference's values as defaults (enas_lm `child.py`,
 * `controller.py`; reference notes a.1), and `resolveRnnSearchConfig`, which lays a caller's partial options over
 * them section by section (so `{ model: { hidden: 32 } }` keeps every other model default).
 */
import { RNN_SEARCH_MODEL, RNN_SEARCH_TRAINING, type RnnDropouts, type RnnModelConfig, type RnnTrainConfig } from './config.js';
import { RNN_REINFORCE_DEFAULTS, type RnnReinforceConfig } from './reinforce.js';
import { RNN_CONTROLLER_DEFAULTS, type RnnControllerOptions } from './rnn-controller.js';

export interface RnnSearchConfig {
  readonly model: RnnModelConfig;
  readonly training: RnnTrainConfig;
  readonly controller: RnnControllerOptions;
  readonly reinforce: RnnReinforceConfig;
  /** Rows of a validation batch (the reference uses the child batch size, 128). */
  readonly validBatchSize: number;
  /** Steps of a validation batch (35). */
  readonly validSteps: number;
  /** Validation batches `validate` averages (undefined: all of them, one pass over the validation text). */
  readonly validBatches: number | undefined;
  /** Cells sampled ahead during child training (>= 1; 2 overlaps the read-back with the previous window). */
  readonly lookahead: number;
  /** Seeds the initial weights and the BPTT lengths (the GPU random state is the engine's). */
  readonly seed: number;
  /** Prefix of the parameter groups (distinct per search in one engine). */
  readonly name: string;
}

export const RNN_SEARCH_DEFAULTS: RnnSearchConfig = {
  model: RNN_SEARCH_MODEL,
  training: RNN_SEARCH_TRAINING,
  controller: RNN_CONTROLLER_DEFAULTS,
  reinforce: RNN_REINFORCE_DEFAULTS,
  validBatchSize: 128,
  validSteps: 35,
  validBatches: undefined,
  lookahead: 2,
  seed: 1,
  name: 'rnn-search',
};

/** Any part of the configuration; sections merge over the defaults. */
export interface RnnSearchOptions {
  readonly model?: Partial<Omit<RnnModelConfig, 'dropout'>> & { readonly dropout?: Partial<RnnDropouts> };
  readonly training?: Partial<RnnTrainConfig>;
  /** Its `nodes` follows model.nodes unless given. */
  readonly controller?: Partial<RnnControllerOptions>;
  readonly reinforce?: Partial<RnnReinforceConfig>;
  readonly validBatchSize?: number;
  readonly validSteps?: number;
  readonly validBatches?: number;
  readonly lookahead?: number;
  readonly seed?: number;
  readonly name?: string;
}

export function resolveRnnSearchConfig(o: RnnSearchOptions = {}): RnnSearchConfig {
  const d = RNN_SEARCH_DEFAULTS;
  const model: RnnModelConfig = { ...d.model, ...o.model, dropout: { ...d.model.dropout, ...o.model?.dropout } };
  const controller: RnnControllerOptions = { ...d.controller, nodes: model.nodes, ...o.controller };
  if (controller.nodes !== model.nodes) {
    throw new Error(`RNN search: the controller samples ${controller.nodes} nodes but the model has ${model.nodes}; make them agree`);
  }
  const c: RnnSearchConfig = {
    ...d,
    ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
    model,
    training: { ...d.training, ...o.training },
    controller,
    reinforce: { ...d.reinforce, ...o.reinforce },
  };
  for (const [name, v] of [
    ['validBatchSize', c.validBatchSize],
    ['validSteps', c.validSteps],
    ['lookahead', c.lookahead],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`RNN search: ${name} = ${v}; it must be a positive integer`);
  }
  if (c.validBatches !== undefined && (!Number.isInteger(c.validBatches) || c.validBatches < 1)) {
    throw new Error(`RNN search: validBatches = ${c.validBatches}; it must be a positive integer (or omitted for all)`);
  }
  return c;
}
