/**
 * Problem sizes for CUDA tests. The emulated CUDA build (test/cuda_emulation) runs one CUDA thread
 * at a time under AddressSanitizer, and CI runs every CUDA test on it three times; there a test
 * takes the smaller size, which still spans several blocks and every code path. A GPU takes the full one.
 */
import { backend } from "mixdim";

const emulated = backend().cudaDevices.some((device) => device.emulated);

export function cudaTestSize(onGpu: number, onEmulatedDevice: number): number {
  return emulated ? onEmulatedDevice : onGpu;
}
