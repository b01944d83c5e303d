/**
 * tfjs-backend-webgpu as the benchmark's peer, on OUR GPUDevice: the same adapter, driver, limits and process,
 * so a ratio compares kernels and their host-side overhead, nothing else.
 *
 * tfjs only runs in Node when `navigator.gpu` exists when its backend module is imported (it registers the
 * 'webgpu' factory only then), and its factory requests a device of its own. We therefore point `navigator.gpu`
 * at the GPU our context came from, import tfjs, and replace that factory with one that wraps our device
 * (WebGPUBackend's constructor takes a GPUDevice). Kernels stay registered under 'webgpu', so every tfjs op works.
 */
import { createRequire } from 'node:module';
import type * as Tf from '@tensorflow/tfjs';
import type { GpuContext } from '../src/device/context.js';

export type TfModule = typeof Tf;

/** The parts of WebGPUBackend the benchmark drives (its command encoder is private, hence this view). */
interface WebGpuBackendView {
  device: GPUDevice;
  commandEncoder: GPUCommandEncoder | null;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

export interface TfjsPeer {
  readonly tf: TfModule;
  readonly version: string;
  /**
   * Submits whatever tfjs has recorded but not yet submitted (it batches dispatches into its own encoder and
   * submits every few ops). Ending the pass first matters: `submitQueue()` alone finishes an encoder with an
   * open pass, which yields an invalid command buffer.
   */
  flush(): void;
  dispose(): void;
}

/** Loads tfjs on `ctx.device`; throws with the reason when it cannot. */
export async function loadTfjsOnDevice(ctx: GpuContext): Promise<TfjsPeer> {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (!g.navigator?.gpu) {
    // Node >= 21 defines a read-only `navigator` without `gpu`; defineProperty replaces it either way.
    Object.defineProperty(globalThis, 'navigator', {
      value: { ...(g.navigator ?? {}), gpu: ctx.gpuObject, userAgent: 'node' },
      configurable: true,
      writable: true,
    });
  }
  // Bundled into one ES module (BENCHMARKS.md), tfjs's CommonJS code reaches Node built-ins through esbuild's
  // `__require`, which calls a global `require` when one exists and throws otherwise (tfjs-core's Node platform
  // needs require('util') at import). Run unbundled, Node's CommonJS loader provides it and this does nothing.
  const scope = globalThis as { require?: NodeJS.Require };
  scope.require ??= createRequire(import.meta.url);
  const tf = await import('@tensorflow/tfjs');
  const webgpu = await import('@tensorflow/tfjs-backend-webgpu');
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  const info = { vendor: ctx.adapter.vendor, architecture: ctx.adapter.architecture } as GPUAdapterInfo;
  tf.registerBackend('webgpu', () => new webgpu.WebGPUBackend(ctx.device, info), 10);
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not initialise its webgpu backend on our device');
  await tf.ready();
  // Fewer warnings and checks: tfjs's production mode skips per-op NaN debugging and argument re-validation.
  tf.enableProdMode();
  // tfjs runs ops on the CPU when their inputs are small and not yet on the GPU (WEBGPU_CPU_FORWARD, under 1000
  // elements): the tiny-op rows would then time JavaScript, not WebGPU. Its own test setup turns it off too.
  tf.env().set('WEBGPU_CPU_FORWARD', false);
  const backend = tf.backend() as unknown as WebGpuBackendView;
  if (backend.device !== ctx.device) throw new Error('tfjs is not using the benchmark device');
  return {
    tf,
    version: tf.version.tfjs,
    flush() {
      if (backend.commandEncoder) {
        backend.endComputePassEncoder();
        backend.submitQueue();
      }
    },
    dispose() {
      tf.disposeVariables();
      tf.engine().reset();
    },
  };
}
