/**
 * The micro (cell) search space of ENAS for CIFAR-10 (melodyguan/enas `src/cifar10/micro_child.py`,
 * `micro_controller.py`; README "micro search space").
 *
 * A cell has two inputs, h[-2] and h[-1] (the outputs of the two previous cells), at cell indices 0 and 1, and B
 * computed nodes at indices 2..B+1. Node k computes `op_1(input_1) + op_2(input_2)` where each input is any earlier
 * index (0..k-1, repeats allowed). The arc string gives B tuples `index_1 op_1 index_2 op_2` per cell; an
 * architecture is the normal cell's tuples followed by the reduction cell's (`scripts/cifar10_micro_final.sh`).
 * Every index that no node reads is concatenated at the cell output (`_fixed_combine` and `_enas_layer`: the
 * `used` one-hot sum runs over all B+2 indices, so an unused cell input is concatenated too).
 */
import { ArchitectureError, arcIntegers, checkInteger, idOfName, jsonArray, jsonObject, listIds } from './arc-tokens.js';

/** Op ids as in the official encoding. Pools are 3×3, stride 1 inside a cell (stride 2 on reduction-cell inputs). */
export const MICRO_OPS = ['sep_conv_3x3', 'sep_conv_5x5', 'avg_pool_3x3', 'max_pool_3x3', 'identity'] as const;
export type MicroOpName = (typeof MICRO_OPS)[number];
export type MicroOpId = 0 | 1 | 2 | 3 | 4;

/** B in the reference scripts (`--child_num_cells=5`). */
export const DEFAULT_MICRO_NODES = 5;

/** One computed node: `ops[0](inputs[0]) + ops[1](inputs[1])`; inputs are cell indices (0 = h[-2], 1 = h[-1]). */
export interface MicroNode {
  readonly inputs: readonly [number, number];
  readonly ops: readonly [MicroOpId, MicroOpId];
}

/** The B computed nodes of a cell in order; `cell[j]` is the node at cell index j + 2. */
export type MicroCell = readonly MicroNode[];

export type MicroCellKind = 'normal' | 'reduction';

export interface MicroArchitecture {
  readonly space: 'micro';
  readonly normal: MicroCell;
  readonly reduction: MicroCell;
}

/** The JSON form: op names instead of ids, so a saved architecture reads without a table. */
export interface MicroNodeJSON {
  inputs: [number, number];
  ops: [MicroOpName, MicroOpName];
}
export interface MicroArchitectureJSON {
  space: 'micro';
  normal: MicroNodeJSON[];
  reduction: MicroNodeJSON[];
}

export interface MicroParseOptions {
  /** Require exactly this many nodes per cell; when omitted B is inferred from the length. */
  nodes?: number;
}

const TUPLE_FIELDS = ['index_1', 'op_1', 'index_2', 'op_2'] as const;
const OPS_ALLOWED = `allowed op ids are 0..4 (${listIds(MICRO_OPS)})`;

/** Parses "normal-cell tuples then reduction-cell tuples" (8·B integers). */
export function parseMicroArchitecture(text: string, options: MicroParseOptions = {}): MicroArchitecture {
  const values = arcIntegers('micro', text);
  const nodes = nodesFromLength(values.length, 2, options.nodes, 'a normal cell then a reduction cell');
  const arch: MicroArchitecture = {
    space: 'micro',
    normal: cellFromIntegers(values.slice(0, 4 * nodes)),
    reduction: cellFromIntegers(values.slice(4 * nodes)),
  };
  validateMicroArchitecture(arch);
  return arch;
}

/** Parses one cell's tuples (4·B integers); `kind` only names the cell in error messages. */
export function parseMicroCell(text: string, kind: MicroCellKind = 'normal', options: MicroParseOptions = {}): MicroCell {
  const values = arcIntegers('micro', text);
  const nodes = nodesFromLength(values.length, 1, options.nodes, `one ${kind} cell`);
  const cell = cellFromIntegers(values.slice(0, 4 * nodes));
  validateMicroCell(cell, kind, 0, values.length);
  return cell;
}

export function printMicroCell(cell: MicroCell): string {
  return cell.map((n) => `${n.inputs[0]} ${n.ops[0]} ${n.inputs[1]} ${n.ops[1]}`).join(' ');
}

/** The official arc string: normal-cell tuples then reduction-cell tuples, single spaces. */
export function printMicroArchitecture(arch: MicroArchitecture): string {
  return `${printMicroCell(arch.normal)} ${printMicroCell(arch.reduction)}`;
}

/** Throws an ArchitectureError for the first invalid value (in arc-string order). */
export function validateMicroArchitecture(arch: MicroArchitecture): void {
  const nodes = arch.normal.length;
  if (nodes < 1 || arch.reduction.length !== nodes) {
    throw new ArchitectureError(
      'micro',
      `the normal and reduction cells must have the same number (≥ 1) of nodes, got ${arch.normal.length} and ${arch.reduction.length}`,
    );
  }
  validateMicroCell(arch.normal, 'normal', 0, 8 * nodes);
  validateMicroCell(arch.reduction, 'reduction', 4 * nodes, 8 * nodes);
}

/** `firstToken` is where the cell starts in the whole arc string of `totalTokens` integers (for messages). */
export function validateMicroCell(cell: MicroCell, kind: MicroCellKind, firstToken = 0, totalTokens = 4 * cell.length): void {
  if (cell.length < 1) throw new ArchitectureError('micro', `the ${kind} cell has no nodes; a cell needs at least one`);
  cell.forEach((node, j) => {
    const index = j + 2;
    const values = [node.inputs[0], node.ops[0], node.inputs[1], node.ops[1]];
    values.forEach((value, f) => {
      const where = {
        token: firstToken + 4 * j + f,
        of: totalTokens,
        what: `${kind} cell, tuple ${j + 1} of ${cell.length} = node ${index}, ${TUPLE_FIELDS[f]}`,
        allowed:
          f % 2 === 0
            ? `node ${index} may read 0..${index - 1} (0 = h[-2], 1 = h[-1], k ≥ 2 = node k); an input must come before the node`
            : OPS_ALLOWED,
      };
      checkInteger('micro', value, 0, f % 2 === 0 ? index - 1 : MICRO_OPS.length - 1, where);
    });
  });
}

/**
 * Cell indices that no node reads, ascending: these are concatenated to form the cell output (possibly including
 * the inputs 0 and 1, as in the reference). The last node is never read, so the list is never empty.
 */
export function microCellOutputs(cell: MicroCell): number[] {
  const used = new Array<boolean>(cell.length + 2).fill(false);
  for (const node of cell) {
    used[node.inputs[0]] = true;
    used[node.inputs[1]] = true;
  }
  return used.flatMap((u, i) => (u ? [] : [i]));
}

/** "h[-2]", "h[-1]", "node 2", ... */
export function microIndexLabel(index: number): string {
  if (index === 0) return 'h[-2]';
  if (index === 1) return 'h[-1]';
  return `node ${index}`;
}

/**
 * Number of distinct micro architectures with B nodes per cell: node k has k input choices for each of its two
 * inputs and 5 ops for each, so a cell has Π_{k=2}^{B+1} (5k)² = 25^B·((B+1)!)² encodings, and an architecture is
 * a pair of cells. (The paper quotes a smaller figure, (5·(B−2)!)⁴ with B = 7, which does not count
 * every ordered encoding; this counts exactly what the controller can emit.)
 */
export function microSearchSpaceSize(nodes = DEFAULT_MICRO_NODES): bigint {
  let cell = 1n;
  for (let k = 2; k <= nodes + 1; k++) cell *= BigInt(5 * k) ** 2n;
  return cell * cell;
}

export function microToJSON(arch: MicroArchitecture): MicroArchitectureJSON {
  const cell = (c: MicroCell): MicroNodeJSON[] =>
    c.map((n) => ({ inputs: [n.inputs[0], n.inputs[1]], ops: [MICRO_OPS[n.ops[0]], MICRO_OPS[n.ops[1]]] }));
  return { space: 'micro', normal: cell(arch.normal), reduction: cell(arch.reduction) };
}

export function microFromJSON(value: unknown): MicroArchitecture {
  const obj = jsonObject('micro', value, '(root)');
  if (obj.space !== 'micro') throw new ArchitectureError('micro', `JSON space is ${JSON.stringify(obj.space)}, expected "micro"`);
  const cell = (kind: MicroCellKind): MicroCell =>
    jsonArray('micro', obj[kind], kind).map((raw, j) => {
      const node = jsonObject('micro', raw, `${kind}[${j}]`);
      const inputs = jsonArray('micro', node.inputs, `${kind}[${j}].inputs`, 2);
      const ops = jsonArray('micro', node.ops, `${kind}[${j}].ops`, 2);
      const op = (k: number) => idOfName('micro', MICRO_OPS, ops[k], `${kind}[${j}].ops[${k}]`) as MicroOpId;
      return { inputs: [inputs[0], inputs[1]] as [number, number], ops: [op(0), op(1)] as [MicroOpId, MicroOpId] };
    });
  const arch: MicroArchitecture = { space: 'micro', normal: cell('normal'), reduction: cell('reduction') };
  validateMicroArchitecture(arch);
  return arch;
}

function cellFromIntegers(values: readonly number[]): MicroCell {
  const cell: MicroNode[] = [];
  for (let i = 0; i + 3 < values.length; i += 4) {
    cell.push({
      inputs: [values[i]!, values[i + 2]!],
      ops: [values[i + 1] as MicroOpId, values[i + 3] as MicroOpId],
    });
  }
  return cell;
}

/** Nodes per cell implied by `length` integers for `cells` cells of 4 integers per node, checked against `required`. */
function nodesFromLength(length: number, cells: 1 | 2, required: number | undefined, what: string): number {
  const perNode = 4 * cells;
  const layout = `${cells === 2 ? '2 cells × ' : ''}B nodes × 4 integers (index_1 op_1 index_2 op_2) for ${what}`;
  if (required !== undefined) {
    if (!Number.isInteger(required) || required < 1) {
      throw new ArchitectureError('micro', `the required node count must be a positive integer, got ${required}`);
    }
    if (length !== perNode * required) {
      throw new ArchitectureError('micro', `expected ${perNode * required} integers (${layout}, B = ${required}), got ${length}`);
    }
    return required;
  }
  if (length === 0 || length % perNode !== 0) {
    throw new ArchitectureError('micro', `expected a positive multiple of ${perNode} integers (${layout}), got ${length}`);
  }
  return length / perNode;
}
