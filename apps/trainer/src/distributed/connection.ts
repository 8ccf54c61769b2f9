import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { ConfigError } from '../errors.js';

/** The one BullMQ queue every study's runs go through (job ids keep studies apart). */
export const QUEUE_NAME = 'bot-train-ablate';

/** How long a first connection may take before the queue counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5000;

/** Redis connection options from a `--queue` URL: redis://[user:password@]host[:port][/db], or rediss:// for TLS. */
export function parseQueueUrl(text: string): RedisOptions {
  const allowed = 'allowed: redis://host:port (or rediss:// for TLS), optionally with user:password@ and /db';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`queue = ${JSON.stringify(text)}: not a URL; ${allowed}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new ConfigError(
      `queue = ${JSON.stringify(text)}: the scheme must be redis: or rediss:; ${allowed}`,
    );
  }
  const db = url.pathname.replace(/^\//, '');
  if (url.hostname === '' || (db !== '' && !/^\d+$/.test(db))) {
    throw new ConfigError(
      `queue = ${JSON.stringify(text)}: no host, or a database that is not a number; ${allowed}`,
    );
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 6379 : Number(url.port),
    ...(db === '' ? {} : { db: Number(db) }),
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/**
 * The connection BullMQ's Queue, FlowProducer and Worker use: no limit on retries, so that a Redis restart
 * only pauses them (commands wait and go out once Redis is back) instead of failing jobs.
 */
export function bullConnection(options: RedisOptions): ConnectionOptions {
  return { ...options, maxRetriesPerRequest: null };
}

/**
 * Fails within a few seconds, with the URL and the reason, when Redis does not answer there; BullMQ itself
 * would retry forever. Run before anything else touches the queue.
 */
export async function checkReachable(text: string, options: RedisOptions): Promise<void> {
  const client = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  // connect() only says "Connection is closed."; the error event has the cause (ECONNREFUSED, ENOTFOUND, ...).
  let cause: Error | undefined;
  client.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    const reason = (cause ?? (error as Error)).message || String(error);
    throw new ConfigError(
      `queue = ${JSON.stringify(text)}: no Redis answers there (${reason}); start redis-server there (with --appendonly yes) or fix the host and port`,
    );
  } finally {
    client.disconnect();
  }
}
