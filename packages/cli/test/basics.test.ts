import { describe, expect, it } from 'vitest';
import { runEnas } from './run-enas.js';

describe('enas basics', () => {
  it('smoke: prints the adapter and a kernel result checked against float64, then exits by itself', async () => {
    const r = await runEnas(['smoke']);
    expect(r.stderr).not.toMatch(/Error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^adapter: .+maxStorageBufferBindingSize/m);
    expect(r.stdout).toMatch(/kernel check: relu\(A·B \+ bias\) .* matches float64 \(max relative error [0-9.e-]+\)/);
  });

  it('info: lists limits and features', async () => {
    const r = await runEnas(['info', '--json']);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout);
    expect(info.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(Array.isArray(info.features)).toBe(true);
  });

  it('without an adapter: one message saying how to get one, exit status 2, no stack trace', async () => {
    // Dawn has no D3D12 backend on Linux: the same situation as a machine without any Vulkan driver.
    const r = await runEnas(['info'], { ENAS_DAWN_OPTIONS: 'backend=d3d12' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/No WebGPU adapter was found.*scripts\/ensure-webgpu\.sh.*lavapipe/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('an unknown option is a usage error with exit status 2', async () => {
    const r = await runEnas(['smoke', '--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--no-such-option'/);
  });
});
