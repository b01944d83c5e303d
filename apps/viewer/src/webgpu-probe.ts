/**
 * Whether this browser can run the engine, and if not, why, in words for the person looking at the page. The
 * engine's own device layer (`createGpuContext`, wgsl-kernels) does the work; this only names the browser-side cause.
 */
import { createGpuContext, type GpuContext } from '@enas-webgpu/wgsl-kernels';

export type WebGpuProbe = { ok: true; ctx: GpuContext; label: string } | { ok: false; cause: string };

/** What makes WebGPU available, one line per browser family. */
export const WEBGPU_HOW_TO = [
  'Chrome or Edge 113 or later on Windows, macOS or ChromeOS.',
  'Chrome or Chromium on Linux: turn on chrome://flags/#enable-unsafe-webgpu, or start it with --enable-unsafe-webgpu.',
  'Safari 26 or later; Firefox 141 or later on Windows.',
  'A secure page: https, or http://localhost or 127.0.0.1 (how `npm run viewer` serves it).',
];

export async function probeWebGpu(): Promise<WebGpuProbe> {
  if (!('gpu' in navigator) || !navigator.gpu) {
    const insecure = window.isSecureContext ? '' : ' (this page is not a secure context, and browsers offer WebGPU only to those)';
    return { ok: false, cause: `navigator.gpu is missing${insecure}.` };
  }
  try {
    const ctx = await createGpuContext();
    return { ok: true, ctx, label: adapterLabel(ctx) };
  } catch (error) {
    const e = error as Error;
    // NoAdapterError: the browser has the API but offers no adapter (disabled, blocklisted, or no GPU at all).
    if (e.name === 'NoAdapterError') return { ok: false, cause: 'navigator.gpu is there, but requestAdapter() returned no adapter.' };
    return { ok: false, cause: `creating a WebGPU device failed: ${e.message}` };
  }
}

/** A short name for the adapter: "nvidia ampere", "google swiftshader (software)". */
export function adapterLabel(ctx: GpuContext): string {
  const a = ctx.adapter;
  const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || a.description || 'unknown adapter';
  return `${name}${a.isFallbackOrSoftware ? ' (software)' : ''}`;
}
