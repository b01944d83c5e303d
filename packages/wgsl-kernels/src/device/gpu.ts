/**
 * Where `GPU` comes from. One code path for every caller: the browser's `navigator.gpu` when there is one,
 * otherwise Dawn's Node binding (npm `webgpu`), loaded lazily so that bundlers for the browser never see it.
 */

/** The parts of npm `webgpu` (dawn.node) that we use. */
interface DawnModule {
  create(options: string[]): GPU;
  globals: Record<string, unknown>;
}

const NO_ADAPTER_HELP =
  'No WebGPU adapter was found. In a browser, use one with WebGPU enabled (Chrome/Edge 113+, or Chromium with ' +
  '--enable-unsafe-webgpu). In Node, Dawn needs a Vulkan driver: install your GPU vendor driver, or run ' +
  '`bash scripts/ensure-webgpu.sh` from the enas-webgpu repository to install the CPU driver (Mesa lavapipe >= 23).';

export class NoAdapterError extends Error {
  constructor(detail?: string) {
    super(detail ? `${NO_ADAPTER_HELP} (${detail})` : NO_ADAPTER_HELP);
    this.name = 'NoAdapterError';
  }
}

export interface GpuEntry {
  gpu: GPU;
  /** 'browser' for navigator.gpu, 'dawn' for dawn.node. */
  runtime: 'browser' | 'dawn';
}

/**
 * Dawn instances are created once per process (per option set) and never dropped. dawn.node schedules event
 * processing on its instance from the Node event loop; an instance garbage-collected while such a callback is
 * pending is used after free (seen here as a deadlock in InstanceBase::ProcessEvents, or a segfault). Keeping it
 * does not keep Node alive: the process exits once every device is destroyed.
 */
const dawnInstances = new Map<string, GPU>();

export async function getGpu(dawnOptions?: string[]): Promise<GpuEntry> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return { gpu: nav.gpu, runtime: 'browser' };
  const dawn = await loadDawn();
  if (!dawn) throw new NoAdapterError('this JavaScript runtime has no navigator.gpu and npm `webgpu` is not installed');
  // WebGPU code refers to GPUBufferUsage, GPUMapMode, ... as globals, as in a browser.
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  const options = dawnOptions ?? dawnOptionsFromEnvironment();
  const key = options.join(',');
  let gpu = dawnInstances.get(key);
  if (!gpu) {
    gpu = dawn.create(options);
    dawnInstances.set(key, gpu);
  }
  return { gpu, runtime: 'dawn' };
}

async function loadDawn(): Promise<DawnModule | undefined> {
  const isNode = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node === 'string';
  if (!isNode) return undefined;
  // A variable specifier keeps browser bundlers from trying to resolve the Node-only package.
  const specifier = 'webgpu';
  try {
    return (await import(/* @vite-ignore */ specifier)) as DawnModule;
  } catch {
    return undefined;
  }
}

/**
 * `ENAS_DAWN_OPTIONS` picks Dawn's backend or adapter in Node without code changes, e.g. `backend=vulkan` or
 * `adapter=NVIDIA` (comma-separated `key=value` toggles, as dawn.node's `create()` takes them).
 */
function dawnOptionsFromEnvironment(): string[] {
  const raw = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.ENAS_DAWN_OPTIONS;
  return raw
    ? raw
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}
