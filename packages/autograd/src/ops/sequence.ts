/**
 * Sequence-model ops: embedding lookup, the masked mean of rows (the macro controller's skip input), the LSTM
 * cell, the whole LSTM step (gate product and cell in one dispatch: the controllers') and the ENAS recurrent
 * highway unit.
 */
import {
  embeddingBackward,
  embeddingGather,
  type HighwayLayout,
  highwayBackward,
  highway as highwayKernel,
  lstmCellBackward,
  lstmCell as lstmKernel,
  lstmStep as lstmStepKernel,
  maskedMeanBackward,
  maskedMean as maskedMeanKernel,
  type UnaryOp,
} from '@enas-webgpu/wgsl-kernels';
import type { Tensor } from '../tensor.js';
import { concatBlocks, matmulConcat, recordMatmulConcat } from './matmul.js';
import { engineOf, record } from './record.js';

/** Rows of `table` [V, D] picked by u32 `ids` [T] → [T, D]. The ids may come from the GPU (sampled decisions). */
export function embedding(table: Tensor, ids: Tensor): Tensor {
  const e = engineOf(table, ids);
  if (table.shape.length !== 2) throw new Error(`embedding: table '${table.name}' must be [V, D], got [${table.shape.join(', ')}]`);
  const [V, D] = table.shape as [number, number];
  const T = ids.size;
  const y = e.empty([T, D], 'embedding');
  embeddingGather(e.rec, { table: table.data, ids: ids.data, y: y.data }, { V, D, T });
  return record('embedding', [table], y, (g) => {
    const dt = g.into(table);
    if (dt) embeddingBackward(e.rec, { ids: ids.data, dy: g.of(y), dTable: dt.slice }, { V, D, T }, { accumulate: dt.accumulate });
  });
}

/**
 * Σ of the rows [B, D] whose u32 mask [B] is non-zero, divided by `extra` + their number → [1, D]. The mask may come
 * from the GPU (a row of sampled decisions) and gets no gradient. The ENAS macro controller's next input after the
 * skip decisions is `maskedMean(anchors, skips, 1)` (`general_controller.py` L247-248).
 */
export function maskedMean(rows: Tensor, mask: Tensor, extra = 0): Tensor {
  const e = engineOf(rows, mask);
  if (rows.shape.length !== 2) throw new Error(`maskedMean: rows '${rows.name}' must be [B, D], got [${rows.shape.join(', ')}]`);
  const [B, D] = rows.shape as [number, number];
  if (mask.size !== B) throw new Error(`maskedMean: mask '${mask.name}' has ${mask.size} values for ${B} rows`);
  const y = e.empty([1, D], 'maskedMean');
  maskedMeanKernel(e.rec, { rows: rows.data, mask: mask.data, y: y.data }, { B, D }, { extra });
  return record('maskedMean', [rows], y, (g) => {
    const dRows = g.into(rows);
    if (dRows)
      maskedMeanBackward(e.rec, { mask: mask.data, dy: g.of(y), dRows: dRows.slice }, { B, D }, { extra, accumulate: dRows.accumulate });
  });
}

/**
 * One LSTM step from pre-activations `pre` = [x, h_prev]·W (+ b), [B, 4H] in gate order i|f|o|g (the official ENAS
 * controller, `common_ops.py` lstm), and the previous cell state [B, H]. Returns the new [h, c].
 */
export function lstmCell(pre: Tensor, cPrev: Tensor): [Tensor, Tensor] {
  const e = engineOf(pre, cPrev);
  if (pre.shape.length !== 2 || (pre.shape[1] as number) % 4 !== 0) {
    throw new Error(`lstmCell: pre-activations '${pre.name}' must be [B, 4H], got [${pre.shape.join(', ')}]`);
  }
  const [B, H4] = pre.shape as [number, number];
  const H = H4 / 4;
  if (cPrev.size !== B * H) throw new Error(`lstmCell: cPrev '${cPrev.name}' must have ${B}×${H} values`);
  const h = e.empty([B, H], 'lstm.h');
  const c = e.empty([B, H], 'lstm.c');
  lstmKernel(e.rec, { pre: pre.data, cPrev: cPrev.data, c: c.data, h: h.data }, { B, H });
  return recordLstmCell(pre, cPrev, h, c);
}

/** Joins [h, c] = lstmCell(pre, cPrev), however it was computed, to the tape. */
function recordLstmCell(pre: Tensor, cPrev: Tensor, h: Tensor, c: Tensor): [Tensor, Tensor] {
  const e = h.engine;
  const [B, H] = h.shape as [number, number];
  return record('lstmCell', [pre, cPrev], [h, c], (g) => {
    const dPre = g.into(pre);
    const dcPrev = g.into(cPrev);
    if (!dPre && !dcPrev) return;
    const cHasGrad = c.owner.gradStep === e.stepId;
    lstmCellBackward(
      e.rec,
      {
        pre: pre.data,
        cPrev: cPrev.data,
        c: c.data,
        dh: g.of(h),
        dc: cHasGrad ? g.of(c) : undefined,
        // The kernel writes both; unused ones go to scratch.
        dPre: dPre ? dPre.slice : e.allocTemporary(pre.size * 4, 'lstm.dPre-unused'),
        dcPrev: dcPrev ? dcPrev.slice : e.allocTemporary(cPrev.size * 4, 'lstm.dcPrev-unused'),
      },
      { B, H },
      { accumulatePre: dPre?.accumulate ?? false, accumulateCPrev: dcPrev?.accumulate ?? false },
    );
  });
}

/**
 * One step of an LSTM without bias, h, c = cell([x, h_prev]·W, c_prev) with W [Kx + H, 4H] (the ENAS
 * controller's, common_ops.py): the gate product and the cell in one dispatch (lstm-step.ts). On the tape it is the
 * two ops it fuses, matmulConcat and lstmCell, so the backward is theirs. Where W's block of h_prev rows cannot be
 * bound in place, it is computed as those two ops.
 */
export function lstmStep(x: Tensor, hPrev: Tensor, cPrev: Tensor, w: Tensor): [Tensor, Tensor] {
  const e = engineOf(x, hPrev, cPrev, w);
  const blocks = concatBlocks('lstmStep', [x, hPrev], w);
  const [B, H] = [blocks.M, blocks.widths[1] as number];
  if (blocks.N !== 4 * H) throw new Error(`lstmStep: '${w.name}' has ${blocks.N} columns; the gates of H = ${H} units need ${4 * H}`);
  if (cPrev.size !== B * H) throw new Error(`lstmStep: cPrev '${cPrev.name}' must have ${B}×${H} values`);
  if (!blocks.bindable) return lstmCell(matmulConcat([x, hPrev], w), cPrev);
  const pre = e.empty([B, 4 * H], 'lstm.pre');
  const h = e.empty([B, H], 'lstm.h');
  const c = e.empty([B, H], 'lstm.c');
  lstmStepKernel(
    e.rec,
    { x: x.data, hPrev: hPrev.data, w: w.data, cPrev: cPrev.data, pre: pre.data, c: c.data, h: h.data },
    { B, H, Kx: blocks.widths[0] as number },
  );
  recordMatmulConcat([x, hPrev], w, pre, blocks);
  return recordLstmCell(pre, cPrev, h, c);
}

/**
 * The ENAS recurrent-cell node (enas_lm `child.py`): out = s + σ(t) ⊙ (f(h) − s), where `pre` holds h and t
 * ([B, 2H] as [h | t] per row with layout 'rows', the official split) and s is the predecessor's state.
 */
export function highway(pre: Tensor, s: Tensor, activation: UnaryOp, layout: HighwayLayout = 'rows'): Tensor {
  const e = engineOf(pre, s);
  if (s.shape.length !== 2) throw new Error(`highway: state '${s.name}' must be [B, H], got [${s.shape.join(', ')}]`);
  const [B, H] = s.shape as [number, number];
  if (pre.size !== 2 * B * H) throw new Error(`highway: pre-activations '${pre.name}' must hold 2×${B}×${H} values`);
  const out = e.empty([B, H], `highway.${activation}`);
  highwayKernel(e.rec, { pre: pre.data, s: s.data, out: out.data }, { B, H }, { activation, layout });
  return record('highway', [pre, s], out, (g) => {
    const dPre = g.into(pre);
    const ds = g.into(s);
    if (!dPre && !ds) return;
    highwayBackward(
      e.rec,
      {
        pre: pre.data,
        s: s.data,
        dOut: g.of(out),
        dPre: dPre ? dPre.slice : e.allocTemporary(pre.size * 4, 'highway.dPre-unused'),
        ds: ds ? ds.slice : e.allocTemporary(s.size * 4, 'highway.ds-unused'),
      },
      { B, H },
      { activation, layout, accumulatePre: dPre?.accumulate ?? false, accumulateS: ds?.accumulate ?? false },
    );
  });
}
