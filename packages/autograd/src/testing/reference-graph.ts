/**
 * A float64 CPU twin of the autograd API, for tests: the same ops, computed with the float64 reference functions of
 * @enas-webgpu/wgsl-kernels (each already checked against finite differences), with a micrograd-style backward.
 * A model written once against a tiny interface runs on both, and every gradient can be compared.
 */
import { convOutputSize, pool2dOutputShape, reference as R } from '@enas-webgpu/wgsl-kernels';

export class F64 {
  grad: Float64Array;
  backwardFn: (() => void) | undefined;
  constructor(
    readonly data: Float64Array,
    readonly shape: readonly number[],
    readonly parents: F64[] = [],
  ) {
    this.grad = new Float64Array(data.length);
  }
  get size(): number {
    return this.data.length;
  }
}

const node = (data: Float64Array, shape: readonly number[], parents: F64[], bw: (out: F64) => void): F64 => {
  const out = new F64(data, shape, parents);
  out.backwardFn = () => bw(out);
  return out;
};
const addInto = (dst: Float64Array, src: ArrayLike<number>, alpha = 1) => {
  for (let i = 0; i < dst.length; i++) dst[i] = (dst[i] as number) + alpha * (src[i] as number);
};

export const f64 = {
  leaf: (data: ArrayLike<number>, shape: readonly number[]) => new F64(Float64Array.from(data), shape),

  activation(op: 'relu' | 'tanh' | 'sigmoid', x: F64): F64 {
    return node(R.unaryRef(op, x.data), x.shape, [x], (o) => addInto(x.grad, R.unaryBackwardRef(op, x.data, o.grad)));
  },
  add: (a: F64, b: F64) =>
    node(R.binaryRef('add', a.data, b.data), a.shape, [a, b], (o) => {
      addInto(a.grad, o.grad);
      addInto(b.grad, o.grad);
    }),
  sub: (a: F64, b: F64) =>
    node(R.binaryRef('sub', a.data, b.data), a.shape, [a, b], (o) => {
      addInto(a.grad, o.grad);
      addInto(b.grad, o.grad, -1);
    }),
  mul: (a: F64, b: F64) =>
    node(R.binaryRef('mul', a.data, b.data), a.shape, [a, b], (o) => {
      const g = R.mulBackwardRef(a.data, b.data, o.grad);
      addInto(a.grad, g.da);
      addInto(b.grad, g.db);
    }),
  scale: (x: F64, alpha: number) =>
    node(
      x.data.map((v) => v * alpha),
      x.shape,
      [x],
      (o) => addInto(x.grad, o.grad, alpha),
    ),
  matmul(a: F64, b: F64, opts: { transA?: boolean; transB?: boolean } = {}, bias?: F64): F64 {
    const transA = opts.transA ?? false;
    const transB = opts.transB ?? false;
    const M = (transA ? a.shape[1] : a.shape[0]) as number;
    const K = (transA ? a.shape[0] : a.shape[1]) as number;
    const N = (transB ? b.shape[0] : b.shape[1]) as number;
    const shape = { M, N, K, transA, transB };
    return node(R.matmulRef(a.data, b.data, shape, bias?.data), [M, N], bias ? [a, b, bias] : [a, b], (o) => {
      const g = R.matmulBackwardRef(a.data, b.data, o.grad, shape);
      addInto(a.grad, g.da);
      addInto(b.grad, g.db);
      if (bias) addInto(bias.grad, g.dbias);
    });
  },
  maxPool2d(x: F64, o: { kernelSize: number; stride: number; padding: 'same' | 'valid' }): F64 {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const shape = { N, C, H, W, ...o };
    const { y, argmax } = R.maxPool2dRef(x.data, shape);
    return node(y, pool2dOutputShape(shape), [x], (out) => addInto(x.grad, R.maxPool2dBackwardRef(out.grad, argmax, shape)));
  },
  avgPool2d(x: F64, o: { kernelSize: number; stride: number; padding: 'same' | 'valid' }): F64 {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const shape = { N, C, H, W, ...o };
    const y = R.avgPool2dRef(x.data, shape);
    return node(y, pool2dOutputShape(shape), [x], (out) => addInto(x.grad, R.avgPool2dBackwardRef(out.grad, shape)));
  },
  globalAvgPool(x: F64): F64 {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const shape = { N, C, H, W };
    return node(R.globalAvgPoolRef(x.data, shape), [N, C], [x], (out) => addInto(x.grad, R.globalAvgPoolBackwardRef(out.grad, shape)));
  },
  concatChannels(xs: F64[]): F64 {
    const [N, , H, W] = (xs[0] as F64).shape as [number, number, number, number];
    const channels = xs.map((x) => x.shape[1] as number);
    const shape = { N, H, W, channels };
    const y = R.concatChannelsRef(
      xs.map((x) => x.data),
      shape,
    );
    return node(Float64Array.from(y), [N, channels.reduce((a, b) => a + b, 0), H, W], xs, (out) => {
      const parts = R.splitChannelsRef(out.grad, shape);
      xs.forEach((x, i) => {
        addInto(x.grad, parts[i] as ArrayLike<number>);
      });
    });
  },
  /** Row blocks [M, k_i] side by side: [M, Σk_i]. */
  concatColumns(xs: F64[]): F64 {
    const M = (xs[0] as F64).shape[0] as number;
    const widths = xs.map((x) => x.shape[1] as number);
    const K = widths.reduce((a, b) => a + b, 0);
    const y = new Float64Array(M * K);
    let col = 0;
    xs.forEach((x, i) => {
      const k = widths[i] as number;
      for (let m = 0; m < M; m++) for (let j = 0; j < k; j++) y[m * K + col + j] = x.data[m * k + j] as number;
      col += k;
    });
    return node(y, [M, K], xs, (out) => {
      let c = 0;
      xs.forEach((x, i) => {
        const k = widths[i] as number;
        for (let m = 0; m < M; m++)
          for (let j = 0; j < k; j++) x.grad[m * k + j] = (x.grad[m * k + j] as number) + (out.grad[m * K + c + j] as number);
        c += k;
      });
    });
  },
  stridedSample(x: F64, stride: number, offset: number): F64 {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const shape = { N, C, H, W, stride, offset };
    const y = R.stridedSampleRef(x.data, shape);
    return node(Float64Array.from(y), [N, C, Math.ceil(H / stride), Math.ceil(W / stride)], [x], (out) =>
      addInto(x.grad, R.stridedSampleBackwardRef(out.grad, shape)),
    );
  },

  batchNormTrain(x: F64, gamma?: F64, beta?: F64, epsilon = 1e-5): F64 {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const shape = { N, C, H, W };
    const { y } = R.batchNormTrainRef(x.data, shape, { gamma: gamma?.data, beta: beta?.data, epsilon });
    return node(y, x.shape, gamma && beta ? [x, gamma, beta] : [x], (out) => {
      const g = R.batchNormBackwardRef(x.data, out.grad, shape, { mode: 'training', gamma: gamma?.data, epsilon });
      addInto(x.grad, g.dx);
      if (gamma && beta) {
        addInto(gamma.grad, g.dgamma);
        addInto(beta.grad, g.dbeta);
      }
    });
  },
  sum: (x: F64) =>
    node(Float64Array.of(R.sumRef(x.data)), [1], [x], (o) => addInto(x.grad, new Float64Array(x.size).fill(o.grad[0] as number))),
  mean: (x: F64) =>
    node(Float64Array.of(R.sumRef(x.data) / x.size), [1], [x], (o) =>
      addInto(x.grad, new Float64Array(x.size).fill((o.grad[0] as number) / x.size)),
    ),

  reshape: (x: F64, shape: readonly number[]) => node(x.data, shape, [x], (o) => addInto(x.grad, o.grad)),
  embedding(table: F64, ids: ArrayLike<number>): F64 {
    const [V, D] = table.shape as [number, number];
    const s = { V, D, T: ids.length };
    return node(R.embeddingGatherRef(table.data, ids, s), [ids.length, D], [table], (o) =>
      addInto(table.grad, R.embeddingBackwardRef(ids, o.grad, s)),
    );
  },
  maskedMean(rows: F64, mask: ArrayLike<number>, extra = 0): F64 {
    const [B, D] = rows.shape as [number, number];
    return node(R.maskedMeanRef(rows.data, mask, { B, D }, extra), [1, D], [rows], (o) =>
      addInto(rows.grad, R.maskedMeanBackwardRef(mask, o.grad, { B, D }, extra)),
    );
  },
  /** Returns [h, c]. */
  lstmCell(pre: F64, cPrev: F64): [F64, F64] {
    const [B, H4] = pre.shape as [number, number];
    const s = { B, H: H4 / 4 };
    const r = R.lstmCellRef(pre.data, cPrev.data, s);
    // Both outputs share one backward: run it once, from h's node, after c's gradient has arrived.
    const c = new F64(r.c, [B, s.H], [pre, cPrev]);
    const h = node(r.h, [B, s.H], [pre, cPrev, c], (o) => {
      const g = R.lstmCellBackwardRef(pre.data, cPrev.data, o.grad, c.grad, s);
      addInto(pre.grad, g.dPre);
      addInto(cPrev.grad, g.dcPrev);
    });
    return [h, c];
  },
  crossEntropy(logits: F64, labels: ArrayLike<number>): F64 {
    const [B, K] = logits.shape as [number, number];
    const r = R.softmaxCrossEntropyRef(logits.data, labels, { B, K });
    return node(Float64Array.of(r.meanLoss), [1], [logits], (o) => addInto(logits.grad, r.dLogits, o.grad[0] as number));
  },
  highway(pre: F64, s: F64, f: 'tanh' | 'relu' | 'sigmoid' | 'identity'): F64 {
    const [B, H] = s.shape as [number, number];
    return node(R.highwayRef(pre.data, s.data, { B, H }, f), [B, H], [pre, s], (o) => {
      const g = R.highwayBackwardRef(pre.data, s.data, o.grad, { B, H }, f);
      addInto(pre.grad, g.dPre);
      addInto(s.grad, g.ds);
    });
  },

  conv2d(x: F64, w: F64, o: { stride?: number; padding?: 'same' | 'valid' } = {}, bias?: F64): F64 {
    const [N, Cin, H, W] = x.shape as [number, number, number, number];
    const [Cout, , k] = w.shape as [number, number, number, number];
    const shape = { N, Cin, H, W, Cout, k, stride: o.stride ?? 1, padding: o.padding ?? ('same' as const) };
    const { Hout, Wout } = convOutputSize(shape);
    return node(R.conv2dRef(x.data, w.data, shape, bias?.data), [N, Cout, Hout, Wout], bias ? [x, w, bias] : [x, w], (out) => {
      const g = R.conv2dBackwardRef(x.data, w.data, out.grad, shape);
      addInto(x.grad, g.dx);
      addInto(w.grad, g.dw);
      if (bias) addInto(bias.grad, g.db);
    });
  },
  depthwiseConv2d(x: F64, w: F64, o: { stride?: number; padding?: 'same' | 'valid' } = {}): F64 {
    const [N, C, H, W] = x.shape as [number, number, number, number];
    const k = w.shape[1] as number;
    const shape = { N, C, H, W, k, stride: o.stride ?? 1, padding: o.padding ?? ('same' as const) };
    const { Hout, Wout } = convOutputSize(shape);
    return node(R.depthwiseConv2dRef(x.data, w.data, shape), [N, C, Hout, Wout], [x, w], (out) => {
      const g = R.depthwiseConv2dBackwardRef(x.data, w.data, out.grad, shape);
      addInto(x.grad, g.dx);
      addInto(w.grad, g.dw);
    });
  },

  /** Backpropagates `seed` (the gradient of root) through the graph. */
  backward(root: F64, seed: ArrayLike<number>): void {
    const order: F64[] = [];
    const seen = new Set<F64>();
    const visit = (t: F64) => {
      if (seen.has(t)) return;
      seen.add(t);
      for (const p of t.parents) visit(p);
      order.push(t);
    };
    visit(root);
    root.grad.set(Float64Array.from(seed));
    for (let i = order.length - 1; i >= 0; i--) order[i]?.backwardFn?.();
  },
};
