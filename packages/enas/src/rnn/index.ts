/** The recurrent-cell search space on Penn Treebank (enas_lm): model, training, controller, search, derive, fixed cell. */
export * from './bptt.js';
export * from './builtin-text.js';
export * from './cell-step.js';
export * from './config.js';
export * from './derive.js';
export * from './evaluate.js';
export * from './fixed-cell.js';
export * from './fixed-training.js';
export * from './language-model.js';
export * from './optimizer-state.js';
export * from './reinforce.js';
export * from './rnn-controller.js';
export * from './sampled-cells.js';
export * from './search.js';
export * from './sequence.js';
export * from './trainer.js';
export * from './weight-pool.js';
