// The root bunyan logger and serializers that keep secrets out of logs.
// Every session logs through a child with `session`, `peer` and `peerAs`.

import bunyan from 'bunyan';

const SECRET_KEYS = new Set(['md5Key', 'password', 'authPassword', 'data', 'stringData', 'token']);

/** Deep copy with every secret-looking field replaced, for anything logged. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEYS.has(k) ? (v === undefined ? undefined : '[redacted]') : redact(v, depth + 1);
  }
  return out;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export function createLogger(options: { level?: LogLevel; name?: string; stream?: NodeJS.WritableStream } = {}): bunyan {
  return bunyan.createLogger({
    name: options.name ?? 'bgp-speaker',
    level: options.level ?? 'info',
    stream: options.stream ?? process.stdout,
    serializers: {
      err: bunyan.stdSerializers.err,
      spec: (s: unknown) => redact(s),
      specs: (s: unknown) => redact(s),
      object: (o: unknown) => redact(o),
    },
  });
}

/** A logger that drops everything (tests that do not look at logs). */
export function silentLogger(): bunyan {
  return bunyan.createLogger({ name: 'test', level: bunyan.FATAL + 1, streams: [] });
}
