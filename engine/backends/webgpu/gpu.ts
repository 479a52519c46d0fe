// Getting a WebGPU device in Node through Dawn (npm `webgpu`). Tries Vulkan (core features) first,
// then OpenGL ES (compatibility level, e.g. Mesa llvmpipe). The `GPU` object from create() must stay
// referenced for as long as anything from it is used: V8 otherwise collects it and Dawn crashes at
// a later submit (see shared DESIGN notes). GpuContext holds it for the backend's lifetime.

import { BIND } from './layout.js';

export interface GpuContext {
  gpu: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  /** One line naming the adapter: vendor, architecture, description, backend, feature level. */
  description: string;
  featureLevel: 'core' | 'compatibility';
  /** A CPU implementation (llvmpipe, lavapipe, SwiftShader): right for checking, slower than the CPU backend. */
  software: boolean;
}

/** What Flux uses of the `webgpu` package (its own types declare exactly these). */
interface DawnModule {
  create(options: string[]): GPU;
  globals: object;
}

let dawn: DawnModule | null | undefined;

async function loadDawn(): Promise<DawnModule | null> {
  if (dawn !== undefined) return dawn;
  try {
    const loaded: DawnModule = await import('webgpu');
    dawn = loaded;
    // GPUBufferUsage, GPUMapMode, ... are globals in a browser; Dawn hands them over separately.
    for (const [k, v] of Object.entries(loaded.globals)) if (!(k in globalThis)) Reflect.set(globalThis, k, v);
  } catch {
    dawn = null;
  }
  return dawn;
}

/**
 * Limits Flux asks for: the adapter's own maxima for the few that matter (defaults are too small). Not
 * storage buffers per stage: the kernels bind WebGPU's default (8), and a device left at the default
 * enforces it, so every run here checks that they fit what any browser offers.
 */
const WANTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
] as const;

/** Storage buffers one Flux pipeline layout binds. */
export const STORAGE_BUFFERS = Object.keys(BIND).length;

async function tryBackend(d: DawnModule, flags: string[], featureLevel: 'core' | 'compatibility'): Promise<GpuContext | string> {
  let gpu: GPU;
  try {
    gpu = d.create(flags);
  } catch (e) {
    return `create(${flags.join(',')}) failed: ${(e as Error).message}`;
  }
  return withAdapter(gpu, flags.find((f) => f.startsWith('backend='))?.slice(8) ?? 'default backend', featureLevel);
}

/**
 * Whether an adapter is a CPU implementation. Dawn flags Vulkan's lavapipe as a fallback adapter, but
 * not its OpenGL ES adapter on Mesa's llvmpipe, which names llvmpipe only in `device` (`description`
 * is the GL version string: "OpenGL version OpenGL ES 3.2 Mesa ..."): every field is looked at.
 */
export function isSoftwareAdapter(
  info: Partial<Pick<GPUAdapterInfo, 'vendor' | 'architecture' | 'device' | 'description'>> & { isFallbackAdapter?: boolean },
): boolean {
  return (
    info.isFallbackAdapter === true ||
    /llvmpipe|lavapipe|swiftshader|softpipe/i.test([info.vendor, info.architecture, info.device, info.description].join(' '))
  );
}

/** A device of `gpu`'s adapter with the limits Flux asks for, or why there is none; `backend` names where it came from. */
async function withAdapter(gpu: GPU, backend: string, featureLevel: 'core' | 'compatibility'): Promise<GpuContext | string> {
  const adapter = await gpu.requestAdapter({ featureLevel, powerPreference: 'high-performance' } as GPURequestAdapterOptions);
  if (!adapter) return `no ${featureLevel} adapter (${backend})`;
  if (adapter.limits.maxStorageBuffersPerShaderStage < STORAGE_BUFFERS)
    return `adapter has ${adapter.limits.maxStorageBuffersPerShaderStage} storage buffers per shader stage, Flux needs ${STORAGE_BUFFERS}`;
  if (adapter.limits.maxComputeWorkgroupSizeX < 256 || adapter.limits.maxComputeInvocationsPerWorkgroup < 256)
    return `adapter runs at most ${adapter.limits.maxComputeInvocationsPerWorkgroup} invocations per workgroup, Flux needs 256`;
  const requiredLimits: Record<string, number> = {};
  for (const k of WANTED_LIMITS) requiredLimits[k] = adapter.limits[k];
  const device = await adapter.requestDevice({ requiredLimits });
  const info = adapter.info;
  const description =
    [info.vendor, info.architecture, info.description || info.device].filter(Boolean).join(' ') + ` (${backend}, ${featureLevel})`;
  const software = isSoftwareAdapter(info);
  return { gpu, adapter, device, description, featureLevel, software };
}

export type GpuResult = { ok: true; context: GpuContext } | { ok: false; reason: string };

/** Finds a WebGPU adapter, or says why there is none (every backend tried, in one line). */
export async function acquireGpu(): Promise<GpuResult> {
  // In a page, the browser's own WebGPU (issue 21); in Node, Dawn.
  // (A Node program may set navigator.gpu to Dawn's itself, as the webgpu package suggests: Node takes Dawn's way.)
  const inPage = globalThis.process?.versions?.node ? undefined : (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (inPage) {
    const r = await withAdapter(inPage, 'the browser', 'core');
    return typeof r === 'string' ? { ok: false, reason: r } : { ok: true, context: r };
  }
  const d = await loadDawn();
  if (!d) return { ok: false, reason: 'the `webgpu` package (Dawn) could not be loaded' };
  const reasons: string[] = [];
  // FLUX_WEBGPU_BACKEND=opengles skips the native backend (to check the compatibility path).
  const only = globalThis.process?.env.FLUX_WEBGPU_BACKEND;
  const all: [string[], 'core' | 'compatibility'][] = [
    [[], 'core'],
    [['backend=opengles'], 'compatibility'],
  ];
  const attempts = all.filter(([flags]) => !only || (only === 'opengles') === flags.length > 0);
  for (const [flags, level] of attempts) {
    const env = globalThis.process?.env;
    if (env && flags.includes('backend=opengles')) env.EGL_PLATFORM ??= 'surfaceless';
    const r = await tryBackend(d, flags, level);
    if (typeof r !== 'string') return { ok: true, context: r };
    reasons.push(r);
  }
  return { ok: false, reason: reasons.join('; ') };
}
