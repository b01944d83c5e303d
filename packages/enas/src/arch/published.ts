/**
 * Architectures published with the reference code, as arc strings: examples for the CLI and viewer, and fixtures
 * that the parsers must accept.
 */

/** melodyguan/enas `scripts/cifar10_micro_final.sh`: normal cell then reduction cell, 5 nodes each. */
export const PUBLISHED_MICRO_ARC = '0 2 0 0 0 4 0 1 0 4 1 1 1 0 0 1 0 2 1 1 1 0 1 0 0 3 0 2 1 1 3 1 1 0 0 4 0 3 1 1';

/** melodyguan/enas `scripts/cifar10_macro_final.sh`: 24 layers (the search uses 12). */
export const PUBLISHED_MACRO_ARC = [
  '0',
  '3 0',
  '0 1 0',
  '2 0 0 1',
  '2 0 0 0 0',
  '3 1 1 0 1 0',
  '2 0 0 0 0 0 1',
  '2 0 1 1 0 1 1 1',
  '1 0 1 1 1 0 1 0 1',
  '0 0 0 0 0 0 0 0 0 0',
  '2 0 0 0 0 0 1 0 0 0 0',
  '0 1 0 0 1 1 0 0 0 0 1 1',
  '2 0 1 0 0 0 0 0 1 0 1 1 0',
  '1 0 0 1 0 0 0 1 1 1 0 1 0 1',
  '0 1 1 0 1 0 1 0 0 0 0 0 1 0 0',
  '2 0 0 1 0 0 0 0 0 0 0 1 0 1 0 1',
  '2 0 1 0 0 0 1 0 0 1 1 1 1 0 0 1 0',
  '2 0 0 0 0 1 0 1 0 1 0 0 1 0 1 0 0 1',
  '3 0 1 1 0 1 0 0 0 0 0 1 0 1 0 1 0 0 0',
  '3 0 1 1 0 0 0 0 0 0 0 0 0 1 1 0 0 0 0 1',
  '0 1 0 0 1 0 1 1 0 0 0 1 0 0 0 0 0 1 1 0 0',
  '3 0 1 0 1 1 0 0 1 0 1 1 0 1 1 0 1 0 0 1 0 0',
  '0 1 0 1 0 1 0 0 0 0 0 0 0 0 1 0 1 0 0 1 0 0 0',
  '0 1 1 0 0 0 1 1 1 0 1 0 0 0 1 0 1 0 0 1 1 0 0 0',
].join(' ');

/** google-research `enas_lm/README.md`: the published PTB cell, 8 nodes. */
export const PUBLISHED_RNN_ARC = '0 2 1 0 2 1 2 2 4 0 5 0 3 2 6 2';
