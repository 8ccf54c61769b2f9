import { STOP_WITH_PARENT } from './run-process.js';

/**
 * Ctrl-C (or SIGTERM) aborts the signal once; a second Ctrl-C quits at once. A run started by
 * `bot-train worker` (STOP_WITH_PARENT, over an IPC channel) also stops when the worker dies.
 */
export async function withInterrupt<T>(
  message: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
    process.stderr.write(`\n${message}\n`);
  };
  const onParentGone = () => {
    if (controller.signal.aborted) return;
    controller.abort();
    process.stderr.write('\nthe worker that started this run is gone: saving a checkpoint and stopping\n');
  };
  if (process.env[STOP_WITH_PARENT] === '1') {
    // Gone already (before this listener existed), or gone later: the channel closes either way.
    if (!process.connected) onParentGone();
    process.channel?.unref();
    process.once('disconnect', onParentGone);
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('disconnect', onParentGone);
  }
}
