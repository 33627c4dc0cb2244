/**
 * The bandwidth limit every kernel is read against, measured in the same run: a large copy,
 * memcpy over the CPU thread pool on the CPU and a device-to-device cudaMemcpy on a GPU.
 *
 * A copy reads and writes every byte once, so its bandwidth is 2 × bytes / time: the most a
 * bandwidth-bound kernel that streams through memory can hope for. The buffers are 256 MiB,
 * eight times a 32 MiB L3 (and five times an H100's 50 MB L2), so caches don't flatter it.
 */
import { type Device, deviceOrdinal } from "../backend.js";
import { backend } from "../index.js";
import { native } from "../native.js";
import { defaultTiming, gigabytesPerSecond, timeMedian, type TimingOptions } from "./timing.js";

export const copyBufferBytes = 256 * 1024 * 1024;

export type CopyLimitKind = "memcpy over the thread pool" | "device-to-device cudaMemcpy";

export function copyLimitKind(device: Device): CopyLimitKind {
  return device === "cpu" ? "memcpy over the thread pool" : "device-to-device cudaMemcpy";
}

export interface CopyBandwidth {
  /** CPU threads the copy ran on; absent on a GPU. */
  threads?: number;
  medianMs: number;
  runs: number;
  gbPerSecond: number;
}

/** Times copyMemory(dst, src) over two buffers of `bytes` bytes on `device`, at the current thread count. */
export function measureCopyBandwidth(device: Device, bytes = copyBufferBytes,
                                     timing: TimingOptions = defaultTiming): CopyBandwidth {
  const floats = bytes / 4;
  if (device === "cpu") {
    const src = new Float32Array(floats);
    const dst = new Float32Array(floats);
    // A fresh Float32Array is zero pages that all map to one physical page until written:
    // copying from it would read the same 4 KiB over and over, from cache.
    src.fill(1);
    const timed = timeMedian(() => native.copyMemory(dst, src), () => {}, timing);
    return { threads: backend().threads, medianMs: timed.medianMs, runs: timed.runs,
             gbPerSecond: gigabytesPerSecond(2 * bytes, timed.medianMs) };
  }
  // Device memory holds whatever was there; a copy's speed does not depend on the values.
  const src = new native.DeviceBuffer(bytes, deviceOrdinal(device));
  const dst = new native.DeviceBuffer(bytes, deviceOrdinal(device));
  try {
    const timed = timeMedian(() => native.copyMemory(dst, src), () => {}, timing);
    return { medianMs: timed.medianMs, runs: timed.runs, gbPerSecond: gigabytesPerSecond(2 * bytes, timed.medianMs) };
  } finally {
    src.dispose();
    dst.dispose();
  }
}
