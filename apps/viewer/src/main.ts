/** The viewer's entry point: for now it proves that the engine's device layer runs unchanged in the browser. */
import { createGpuContext } from '@enas-webgpu/wgsl-kernels';

const status = document.getElementById('status') as HTMLElement;
try {
  const ctx = await createGpuContext();
  status.textContent = `WebGPU adapter: ${ctx.describe()}`;
  status.dataset.state = 'ready';
} catch (error) {
  status.textContent = `This browser has no usable WebGPU: ${(error as Error).message}`;
  status.dataset.state = 'no-webgpu';
}
