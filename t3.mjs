import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const g1 = create([]);
const a1 = await g1.requestAdapter();
const d1 = await a1.requestDevice();
{
  let g2 = create([]);
  const a2 = await g2.requestAdapter();
  const d2 = await a2.requestDevice();
  const m = d2.createShaderModule({ code: 'fn bad' });
  d2.destroy();
  g2 = null;
}
await new Promise((r) => setTimeout(r, 20));
gc();
console.log('gc1');
await new Promise((r) => setTimeout(r, 20));
const g3 = create(['backend=d3d12']);
const a3 = await g3.requestAdapter();
console.log('adapter', a3);
gc();
console.log('gc2');
await new Promise((r) => setTimeout(r, 50));
d1.destroy();
