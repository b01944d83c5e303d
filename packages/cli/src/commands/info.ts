/** `enas info`: what WebGPU adapter this machine gives, with its limits and features. */
import { createGpuContext } from '@enas-webgpu/wgsl-kernels';

export async function infoCommand(options: { json?: boolean }): Promise<void> {
  const ctx = await createGpuContext();
  try {
    const limits: Record<string, number> = {};
    for (const key in ctx.limits) {
      const v = (ctx.limits as unknown as Record<string, unknown>)[key];
      if (typeof v === 'number') limits[key] = v;
    }
    const features = [...ctx.device.features].sort();
    if (options.json) {
      console.log(JSON.stringify({ adapter: ctx.adapter, limits, features }, null, 2));
      return;
    }
    const a = ctx.adapter;
    console.log(`adapter   ${a.vendor} ${a.architecture} ${a.device}`.trimEnd());
    console.log(`driver    ${a.description}`);
    console.log(`runtime   ${a.runtime}${a.isFallbackOrSoftware ? ' (software rasteriser: expect CPU speed)' : ''}`);
    console.log(`features  ${features.join(', ')}`);
    console.log('limits');
    for (const [k, v] of Object.entries(limits)) console.log(`  ${k.padEnd(44)} ${v}`);
  } finally {
    ctx.destroy();
  }
}
