import { describe, expect, it } from 'vitest';
import { isSoftwareAdapter } from './gpu.js';

// Adapter info as Dawn reports it on machines of this project (read with adapter.info).
describe('isSoftwareAdapter', () => {
  it("knows Mesa's llvmpipe behind OpenGL ES, which names it only in `device`", () => {
    const gl = {
      vendor: '',
      architecture: '',
      device: 'llvmpipe-llvm-15-0-6-256-bits-',
      description: 'OpenGL version OpenGL ES 3.2 Mesa 25.0.7-2~bpo12+1',
    };
    expect(isSoftwareAdapter({ ...gl, isFallbackAdapter: false })).toBe(true);
  });

  it('knows lavapipe (a fallback adapter) and SwiftShader', () => {
    expect(
      isSoftwareAdapter({ vendor: 'mesa', architecture: 'software', device: 'llvmpipe', description: 'llvmpipe', isFallbackAdapter: true }),
    ).toBe(true);
    expect(
      isSoftwareAdapter({ vendor: 'google', architecture: 'swiftshader', device: '', description: 'SwiftShader Device (Subzero)' }),
    ).toBe(true);
  });

  it('takes a GPU for a GPU', () => {
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'hopper', device: '', description: 'NVIDIA H100 80GB HBM3' })).toBe(false);
    expect(
      isSoftwareAdapter({ vendor: 'amd', architecture: 'rdna-3', device: '', description: 'AMD Radeon RX 7900 XTX (RADV NAVI31)' }),
    ).toBe(false);
  });
});
