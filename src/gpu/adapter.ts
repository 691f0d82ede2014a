// Finding a WebGPU adapter and device, in Node (Dawn via the npm `webgpu` package) or in a browser.

export const INSTALL_HINT_LINUX =
  'On Linux without a GPU, install Mesa lavapipe (Vulkan on the CPU) from Debian bookworm-backports, as root:\n' +
  "  awk 'NR==1,/^$/' /etc/apt/sources.list.d/debian.sources | sed 's/^Suites:.*/Suites: bookworm-backports/' > /etc/apt/sources.list.d/backports.sources\n" +
  '  apt-get update && apt-get install -y -t bookworm-backports mesa-vulkan-drivers\n' +
  '(bookworm\'s own Mesa 22.3 is too old for Dawn). On Ubuntu: apt-get install mesa-vulkan-drivers. `npm run setup` does this for you.';

export const INSTALL_HINT_BROWSER =
  'This browser exposes no WebGPU. Use a WebGPU-capable browser (Chrome/Edge 113+, Safari 26+, Firefox 141+ on Windows), ' +
  'or enable it (chrome://flags/#enable-unsafe-webgpu, or launch Chromium with --enable-unsafe-webgpu).';

export class NoAdapterError extends Error {
  constructor(detail: string) {
    super(`No WebGPU adapter found: ${detail}\n${isNode() ? INSTALL_HINT_LINUX : INSTALL_HINT_BROWSER}`);
    this.name = 'NoAdapterError';
  }
}

export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  mode: 'core' | 'compatibility';
  fallback: boolean;
  runtime: 'node' | 'browser';
  features: string[];
  limits: Record<string, number>;
}

export interface Acquired {
  adapter: GPUAdapter;
  device: GPUDevice;
  report: AdapterReport;
  /** The object returned by Dawn's create(): must stay referenced while the device lives. */
  keepAlive: unknown;
}

export function isNode(): boolean {
  return typeof process !== 'undefined' && !!(process as { versions?: { node?: string } }).versions?.node &&
    !(typeof navigator !== 'undefined' && (navigator as Navigator & { gpu?: GPU }).gpu);
}

// Dawn in Node: one GPU object per process, kept for the process' life.
let nodeGPU: { gpu: GPU } | null = null;

async function getGPU(): Promise<{ gpu: GPU | undefined; keepAlive: unknown }> {
  if (typeof navigator !== 'undefined' && (navigator as Navigator & { gpu?: GPU }).gpu) {
    return { gpu: (navigator as Navigator & { gpu: GPU }).gpu, keepAlive: null };
  }
  if (!isNode()) return { gpu: undefined, keepAlive: null };
  if (!nodeGPU) {
    const spec = 'webgpu';
    let mod: { create: (flags: string[]) => GPU; globals: Record<string, unknown> };
    try {
      mod = await import(/* @vite-ignore */ spec);
    } catch (e) {
      throw new NoAdapterError(`the npm package 'webgpu' (Dawn for Node) could not be loaded (${(e as Error).message}); run npm install`);
    }
    const g = globalThis as Record<string, unknown>;
    for (const [k, v] of Object.entries(mod.globals)) if (!(k in g)) g[k] = v;
    nodeGPU = { gpu: mod.create([]) };
  }
  return { gpu: nodeGPU.gpu, keepAlive: nodeGPU };
}

const WANTED_LIMITS = [
  'maxStorageBuffersPerShaderStage',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupsPerDimension',
  'maxUniformBuffersPerShaderStage',
] as const;

export async function acquireDevice(opts: { powerPreference?: GPUPowerPreference } = {}): Promise<Acquired> {
  const { gpu, keepAlive } = await getGPU();
  if (!gpu) throw new NoAdapterError('navigator.gpu is undefined');
  let adapter = await gpu.requestAdapter({ powerPreference: opts.powerPreference ?? 'high-performance' });
  let mode: 'core' | 'compatibility' = 'core';
  if (!adapter) {
    adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
    mode = 'compatibility';
  }
  if (!adapter) throw new NoAdapterError('requestAdapter() returned null (no core or compatibility adapter)');
  if (mode === 'core' && !adapter.features.has('core-features-and-limits') && (adapter as { featureLevel?: string }).featureLevel === 'compatibility') mode = 'compatibility';

  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) {
    const v = (adapter.limits as unknown as Record<string, number>)[k];
    if (typeof v === 'number') requiredLimits[k] = v;
  }
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  // Subgroup broadcasts let the conv kernels load one weight per 8 lanes (lavapipe: 1.5–2.6× faster convs).
  if (adapter.features.has('subgroups' as GPUFeatureName)) requiredFeatures.push('subgroups' as GPUFeatureName);
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures, label: 'gradsight' });

  const info = (adapter as { info?: GPUAdapterInfo }).info;
  const limits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) limits[k] = (device.limits as unknown as Record<string, number>)[k];
  const report: AdapterReport = {
    vendor: info?.vendor || 'unknown',
    architecture: info?.architecture || 'unknown',
    device: info?.device || '',
    description: info?.description || '',
    mode,
    fallback: !!((info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter),
    runtime: typeof navigator !== 'undefined' && (navigator as Navigator & { gpu?: GPU }).gpu ? 'browser' : 'node',
    features: [...device.features].sort(),
    limits,
  };
  return { adapter, device, report, keepAlive };
}

/** True for software adapters (lavapipe, SwiftShader, WARP): they want kernels without workgroup barriers. */
export function isCpuAdapter(r: AdapterReport): boolean {
  // Asked per dispatch (tile tables): remembered per report, not a string built each time.
  let v = cpuAdapters.get(r);
  if (v === undefined) {
    const s = `${r.vendor} ${r.architecture} ${r.device} ${r.description}`.toLowerCase();
    v = r.fallback || /llvmpipe|lavapipe|swiftshader|warp|software|cpu/.test(s);
    cpuAdapters.set(r, v);
  }
  return v;
}
const cpuAdapters = new WeakMap<AdapterReport, boolean>();
