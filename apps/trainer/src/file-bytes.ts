import { closeSync, openSync, readSync } from 'node:fs';

/** Up to `length` bytes of a file from `position` (fewer at its end); null when it cannot be opened. */
export function readBytes(path: string, position: number, length: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(length);
    return buffer.subarray(0, readSync(fd, buffer, 0, length, position));
  } finally {
    closeSync(fd);
  }
}
