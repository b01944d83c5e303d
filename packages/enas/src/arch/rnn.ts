/**
 * The recurrent-cell search space of ENAS for Penn Treebank, in the corrected official code
 * (google-research `enas_lm/src/fixed_lib.py` `_rnn_fn`, `child.py`; the melodyguan/enas README says its own PTB code
 * is wrong and points there).
 *
 * Node 0 combines x[t] and h[t−1] (its activation is a fixed tanh, not searched). Searched nodes 1..N each pick one
 * earlier node `prev` (0..j−1 for node j) and an activation `func`, and compute a highway unit from s[prev]. The arc
 * string is N pairs `prev func`: pair k (0-based) describes node k + 1 (`fixed_arc[2k]`, `fixed_arc[2k+1]`, with
 * `layers = [s0]` so `prev` indexes nodes 0..k). The published cell is `0 2 1 0 2 1 2 2 4 0 5 0 3 2 6 2`
 * (`enas_lm/README.md`, 8 nodes).
 */
import { ArchitectureError, arcIntegers, checkInteger, idOfName, jsonArray, jsonObject, listIds } from './arc-tokens.js';

/** Activation ids of `enas_lm` (`_select_function`). The older `src/ptb` order (tanh, relu, identity, sigmoid) differs. */
export const RNN_FUNCS = ['tanh', 'relu', 'sigmoid', 'identity'] as const;
export type RnnFuncName = (typeof RNN_FUNCS)[number];
export type RnnFuncId = 0 | 1 | 2 | 3;

/** N of the published `enas_lm` cell (the paper uses 12; the `enas_lm` controller flag defaults to 9). */
export const DEFAULT_RNN_NODES = 8;

/** Searched node j (1-based): `s_j = s_prev + σ(t) ⊙ (func(h) − s_prev)` with `[h, t] = s_prev · W_j`. */
export interface RnnNode {
  readonly prev: number;
  readonly func: RnnFuncId;
}

export interface RnnArchitecture {
  readonly space: 'rnn';
  /** `nodes[k]` is node k + 1; node 0 (the x/h input node) is implicit. */
  readonly nodes: readonly RnnNode[];
}

export interface RnnArchitectureJSON {
  space: 'rnn';
  nodes: { prev: number; func: RnnFuncName }[];
}

export interface RnnParseOptions {
  /** Require exactly this many searched nodes; when omitted N is inferred from the length. */
  nodes?: number;
}

const FUNCS_ALLOWED = `allowed function ids are 0..3 (${listIds(RNN_FUNCS)})`;

export function parseRnnArchitecture(text: string, options: RnnParseOptions = {}): RnnArchitecture {
  const values = arcIntegers('rnn', text);
  const n = nodesFromLength(values.length, options.nodes);
  const nodes: RnnNode[] = [];
  for (let k = 0; k < n; k++) nodes.push({ prev: values[2 * k]!, func: values[2 * k + 1] as RnnFuncId });
  const arch: RnnArchitecture = { space: 'rnn', nodes };
  validateRnnArchitecture(arch);
  return arch;
}

export function printRnnArchitecture(arch: RnnArchitecture): string {
  return arch.nodes.map((n) => `${n.prev} ${n.func}`).join(' ');
}

/** Throws an ArchitectureError for the first invalid value (in arc-string order). */
export function validateRnnArchitecture(arch: RnnArchitecture): void {
  const n = arch.nodes.length;
  if (n < 1) throw new ArchitectureError('rnn', 'the cell has no searched nodes; it needs at least one');
  arch.nodes.forEach((node, k) => {
    const j = k + 1;
    checkInteger('rnn', node.prev, 0, j - 1, {
      token: 2 * k,
      of: 2 * n,
      what: `node ${j} of ${n}, prev`,
      allowed: `node ${j} may read node 0..${j - 1} (0 = the x[t]/h[t-1] input node); a predecessor must come before the node`,
    });
    checkInteger('rnn', node.func, 0, RNN_FUNCS.length - 1, {
      token: 2 * k + 1,
      of: 2 * n,
      what: `node ${j} of ${n}, func`,
      allowed: FUNCS_ALLOWED,
    });
  });
}

/**
 * Searched nodes (1..N) that no node reads, ascending. `enas_lm`'s TPU code averages exactly these for the cell
 * output (`child_average_loose_ends`); its GPU search and final code average all of nodes 1..N instead.
 */
export function rnnLooseEnds(arch: RnnArchitecture): number[] {
  const used = new Array<boolean>(arch.nodes.length + 1).fill(false);
  for (const node of arch.nodes) used[node.prev] = true;
  return used.flatMap((u, j) => (u || j === 0 ? [] : [j]));
}

/** 4^N · N! distinct encodings (node j has j predecessor choices and 4 functions; the paper's 4^N × N!). */
export function rnnSearchSpaceSize(nodes = DEFAULT_RNN_NODES): bigint {
  let size = 1n;
  for (let j = 1; j <= nodes; j++) size *= 4n * BigInt(j);
  return size;
}

export function rnnToJSON(arch: RnnArchitecture): RnnArchitectureJSON {
  return { space: 'rnn', nodes: arch.nodes.map((n) => ({ prev: n.prev, func: RNN_FUNCS[n.func] })) };
}

export function rnnFromJSON(value: unknown): RnnArchitecture {
  const obj = jsonObject('rnn', value, '(root)');
  if (obj.space !== 'rnn') throw new ArchitectureError('rnn', `JSON space is ${JSON.stringify(obj.space)}, expected "rnn"`);
  const nodes = jsonArray('rnn', obj.nodes, 'nodes').map((raw, k): RnnNode => {
    const node = jsonObject('rnn', raw, `nodes[${k}]`);
    return { prev: node.prev as number, func: idOfName('rnn', RNN_FUNCS, node.func, `nodes[${k}].func`) as RnnFuncId };
  });
  const arch: RnnArchitecture = { space: 'rnn', nodes };
  validateRnnArchitecture(arch);
  return arch;
}

function nodesFromLength(length: number, required: number | undefined): number {
  if (required !== undefined) {
    if (!Number.isInteger(required) || required < 1) {
      throw new ArchitectureError('rnn', `the required node count must be a positive integer, got ${required}`);
    }
    if (length !== 2 * required) {
      throw new ArchitectureError('rnn', `expected ${2 * required} integers (${required} nodes × "prev func"), got ${length}`);
    }
    return required;
  }
  if (length === 0 || length % 2 !== 0) {
    // An odd count is what the older melodyguan/enas `src/ptb` format (a leading activation for node 0) looks like.
    const hint = length % 2 === 1 ? '; the older src/ptb format with a leading node-0 activation is not supported' : '';
    throw new ArchitectureError('rnn', `expected an even, positive number of integers (N nodes × "prev func"), got ${length}${hint}`);
  }
  return length / 2;
}
