import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'es2022',
  // Keep `import(..., { with: { type: 'json' } })` (src/data/mnist-package.js): at an es2022 target esbuild would
  // strip the attribute, and Node refuses a JSON module without it. Node ≥ 20.10 and current bundlers read it.
  esbuildOptions(options) {
    options.supported = { ...options.supported, 'import-attributes': true };
  },
});
