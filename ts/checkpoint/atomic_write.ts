/**
 * Atomic file replacement: a reader (or a process started after a crash) sees either the old
 * file or the complete new one, never a mixture.
 *
 * The bytes go to `<path>.tmp-<pid>-<random>` in the same directory (so the rename cannot cross
 * a file system), are fsynced, and the temporary file is renamed over `path`; rename(2) replaces
 * the name atomically. The directory is then fsynced so the new name itself survives a power
 * loss. A failure removes the temporary file; a kill cannot, and leaves it beside the intact old
 * file (the checkpoint writer removes such leftovers).
 */
import { createHash, randomBytes } from "node:crypto";
import { open, rename, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";

/** What was written: its length and SHA-256 (lowercase hex), computed from the bytes as written. */
export interface FileDigest {
  bytes: number;
  sha256: string;
}

/** Receives a file's bytes in order. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
}

/** Matches the temporary names writeFileAtomically gives `name`'s new contents. */
export function isTemporaryName(name: string, target: string): boolean {
  return name.startsWith(`${target}.tmp-`) && /^\d+-[0-9a-f]{8}$/.test(name.slice(target.length + 5));
}

/**
 * Replaces `target` with the bytes `produce` writes to the sink, atomically.
 *
 * @example
 * await writeFileAtomically("plan.json", (sink) => sink.write(new TextEncoder().encode(text)));
 */
export async function writeFileAtomically(target: string,
                                          produce: (sink: ByteSink) => Promise<void>): Promise<FileDigest> {
  const temporary = `${target}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  const hash = createHash("sha256");
  let bytes = 0;
  let handle: FileHandle | undefined = await open(temporary, "wx");
  try {
    const file = handle;
    await produce({
      async write(chunk: Uint8Array) {
        hash.update(chunk);
        bytes += chunk.byteLength;
        await writeAll(file, chunk);
      },
    });
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, target);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  await syncDirectory(path.dirname(target));
  return { bytes, sha256: hash.digest("hex") };
}

/** Writes every byte of `chunk`: write(2) may take fewer than asked. */
async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let done = 0;
  while (done < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done);
    done += bytesWritten;
  }
}

/**
 * fsyncs a directory so that renames and creations in it are durable. Best effort: Windows
 * cannot open a directory, and some file systems refuse to sync one; an I/O error still throws.
 */
export async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(directory, "r");
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (!["EISDIR", "EINVAL", "EPERM", "EACCES", "EBADF", "ENOTSUP", "EOPNOTSUPP"].includes(code ?? "")) throw error;
  } finally {
    await handle?.close().catch(() => undefined);
  }
}
