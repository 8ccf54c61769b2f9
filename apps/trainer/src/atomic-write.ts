import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { TrainerError } from './errors.js';

let tempCounter = 0;

/** Writes all of `data` to an open file; replaceable in tests to simulate a full disk. */
export type FileWriter = (handle: import('node:fs/promises').FileHandle, data: Uint8Array) => Promise<void>;

const defaultWriter: FileWriter = async (handle, data) => {
  await handle.writeFile(data);
};

/**
 * Replaces `path` with `data` so that a crash or kill at any moment leaves either the old file or the new
 * one, never a torn one: write a temporary file beside it, fsync it, rename it over the target (atomic on
 * POSIX), then fsync the directory so the rename itself is durable. On failure (ENOSPC, EIO, ...) the
 * temporary file is removed and the old file is untouched.
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
  writer: FileWriter = defaultWriter,
): Promise<void> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  tempCounter += 1;
  const temp = `${dirname(path)}/.${basename(path)}.tmp-${process.pid}-${tempCounter}`;
  try {
    const handle = await open(temp, 'w');
    try {
      await writer(handle, bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOSPC'
        ? 'the disk is full'
        : code === 'EDQUOT'
          ? 'the disk quota is exceeded'
          : (error as Error).message;
    throw new TrainerError(`could not save ${path}: ${why}; the previous file, if any, is unchanged`);
  }
  await syncDirectory(dirname(path));
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some file systems refuse fsync on a directory; the rename has still happened.
  }
}
