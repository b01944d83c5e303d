// Prints the WebGPU adapter that Dawn (npm `webgpu`) finds in Node; exits 1 when there is none.
// Used by ensure-webgpu.sh before the workspace packages are built, so it depends on nothing but `webgpu`.
import { create } from 'webgpu';

const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) process.exit(1);
const info = adapter.info;
console.log(`webgpu adapter: ${info.vendor} ${info.architecture} ${info.device} ${info.description}`.replace(/\s+/g, ' '));
process.exit(0);
