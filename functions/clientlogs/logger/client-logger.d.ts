// Types of client-logger.js (the module GET /client-logger.js serves).

/** A context value the server keeps: at most 20 per record. */
export type ContextValue = string | number | boolean;

export interface Options {
  /** Where batches go; default "/api/client-logs" on the page's origin. */
  endpoint?: string;
  /** The site's release, sent with every batch (a metric dimension). */
  release?: string;
  /** A session id; default a random one per page load. */
  session?: string;
  /** Share of page loads that report, 0 to 1; default 1. */
  sampleRate?: number;
  /** Records that trigger a send; default 10, at most 50. */
  batchSize?: number;
  /** Milliseconds a record waits at most before it is sent; default 5000. */
  flushInterval?: number;
  /** Records kept while waiting; the oldest go first; default 100. */
  maxQueue?: number;
  /** Records one page load sends at most; default 200. */
  maxPerPage?: number;
  /** Capture window "error" and "unhandledrejection"; default true. */
  capture?: boolean;
  /** URL prefix of errors to ignore as the logger's own; default the module's URL. */
  self?: string;
}

export function init(options: Options): void;
export function flush(): void;
export function stop(): void;
export function error(message: unknown, context?: Record<string, ContextValue>): void;
export function warn(message: unknown, context?: Record<string, ContextValue>): void;
export function info(message: unknown, context?: Record<string, ContextValue>): void;
