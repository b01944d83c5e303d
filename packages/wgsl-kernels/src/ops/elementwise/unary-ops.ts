/**
 * The unary activation table: one row per function, with its WGSL forward and backward and their float64 CPU
 * twins. Kernels, references and tests are all generated from these rows (webgpu-torch's op table, tinygrad's
 * gradient rules), so a new activation is one row.
 *
 * Backward expressions may use `x` (input), `y` (output) and `dy` (gradient of the output); using `y` where the
 * derivative is a function of the output (tanh, sigmoid) avoids recomputing transcendentals.
 */
export interface UnaryOpRow {
  /** WGSL expression of `x` (f32). */
  readonly forward: string;
  /** WGSL expression of `x`, `y`, `dy`: the gradient with respect to x. */
  readonly backward: string;
  readonly cpu: (x: number) => number;
  readonly cpuGrad: (x: number, y: number, dy: number) => number;
}

export const UNARY_OPS = {
  identity: {
    forward: 'x',
    backward: 'dy',
    cpu: (x) => x,
    cpuGrad: (_x, _y, dy) => dy,
  },
  relu: {
    forward: 'max(x, 0.0)',
    // The subgradient at 0 is 0, as in TensorFlow and PyTorch.
    backward: 'select(0.0, dy, x > 0.0)',
    cpu: (x) => Math.max(x, 0),
    cpuGrad: (x, _y, dy) => (x > 0 ? dy : 0),
  },
  tanh: {
    // Clamped: some backends compute tanh through exp and return NaN for |x| > ~44; tanh(15) is 1 in f32 anyway.
    forward: 'tanh(clamp(x, -15.0, 15.0))',
    backward: 'dy * (1.0 - y * y)',
    cpu: (x) => Math.tanh(x),
    cpuGrad: (_x, y, dy) => dy * (1 - y * y),
  },
  sigmoid: {
    forward: '1.0 / (1.0 + exp(-clamp(x, -80.0, 80.0)))',
    backward: 'dy * y * (1.0 - y)',
    cpu: (x) => 1 / (1 + Math.exp(-x)),
    cpuGrad: (_x, y, dy) => dy * y * (1 - y),
  },
} as const satisfies Record<string, UnaryOpRow>;

export type UnaryOp = keyof typeof UNARY_OPS;
export const UNARY_OP_NAMES = Object.keys(UNARY_OPS) as UnaryOp[];
