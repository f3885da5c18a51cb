// Levqor client logger: sends the page's errors, unhandled rejections and
// explicit error/warn/info calls to POST /api/client-logs, in batches.
// Dependency-free ES module; the server (functions/clientlogs) serves the
// minified build of this file at GET /client-logger.js.
//
// It never throws into the page and never reports its own failures: every
// entry point is guarded, a failed send is dropped silently, and errors
// raised from this script are not captured.

const LEVELS = ["error", "warn", "info"];
const MAX_BATCH = 50; // the server's limit per batch
const MAX_BYTES = 60000; // under the server's 64 KiB
const MAX_MESSAGE = 2048;
const MAX_STACK = 16384;
const MAX_CONTEXT = 20;

let state = null;

function noop() {}

const encoder = typeof TextEncoder === "function" ? new TextEncoder() : null;

function bytes(str) {
  return encoder ? encoder.encode(str).length : str.length * 3;
}

function text(v, max) {
  const s = typeof v === "string" ? v : String(v);
  return s.length > max ? s.slice(0, max) : s;
}

function context(c) {
  if (!c || typeof c !== "object") return undefined;
  const out = {};
  let n = 0;
  for (const k of Object.keys(c)) {
    const v = c[k];
    const t = typeof v;
    if (t === "string" || t === "boolean" || (t === "number" && isFinite(v))) {
      out[k] = t === "string" ? text(v, 256) : v;
      if (++n === MAX_CONTEXT) break;
    }
  }
  return n ? out : undefined;
}

function ownError(stack, file) {
  const self = state && state.self;
  return !!self && ((file && file.indexOf(self) === 0) || (stack && stack.indexOf(self) >= 0));
}

function record(level, message, stack, ctx) {
  const s = state;
  if (!s || !s.sampled || s.sent >= s.maxPerPage) return;
  const r = { level, message: text(message || "(no message)", MAX_MESSAGE), ts: Date.now(), url: location.href };
  if (stack) r.stack = text(stack, MAX_STACK);
  const c = context(ctx);
  if (c) r.context = c;
  s.sent++;
  s.queue.push(r);
  if (s.queue.length > s.maxQueue) s.queue.shift();
  if (s.queue.length >= s.batchSize) flush();
  else if (!s.timer) s.timer = setTimeout(flush, s.interval);
}

function fromError(level, e, ctx) {
  if (e instanceof Error) record(level, e.name + ": " + e.message, e.stack, ctx);
  else record(level, e, "", ctx);
}

function send(body) {
  const s = state;
  try {
    if (navigator.sendBeacon && navigator.sendBeacon(s.endpoint, body)) return;
  } catch (_) {
    // fall back to fetch
  }
  try {
    fetch(s.endpoint, {
      method: "POST",
      body,
      keepalive: true,
      mode: "no-cors",
      credentials: "omit",
      headers: { "Content-Type": "text/plain;charset=UTF-8" },
    }).catch(noop);
  } catch (_) {
    // nowhere left to send it: drop it
  }
}

/** Sends every queued record now. */
export function flush() {
  const s = state;
  if (!s) return;
  try {
    clearTimeout(s.timer);
    s.timer = 0;
    while (s.queue.length) {
      let n = Math.min(s.queue.length, MAX_BATCH);
      let body, size;
      for (;;) {
        body = JSON.stringify({ release: s.release, session: s.session, records: s.queue.slice(0, n) });
        size = bytes(body); // the server counts UTF-8 bytes, not UTF-16 units
        if (size <= MAX_BYTES || n === 1) break;
        n = Math.ceil(n / 2);
      }
      s.queue.splice(0, n);
      if (size <= MAX_BYTES) send(body);
    }
  } catch (_) {
    s.queue.length = 0;
  }
}

function onError(ev) {
  try {
    const e = ev.error;
    const stack = e && e.stack;
    if (ownError(stack, ev.filename)) return;
    if (e instanceof Error) fromError("error", e);
    else record("error", ev.message, ev.filename ? ev.filename + ":" + ev.lineno + ":" + ev.colno : "");
  } catch (_) {
    // never into the page
  }
}

function onRejection(ev) {
  try {
    const r = ev.reason;
    if (ownError(r && r.stack)) return;
    fromError("error", r instanceof Error ? r : "Unhandled rejection: " + text(r, 500));
  } catch (_) {
    // never into the page
  }
}

function onHide() {
  if (document.visibilityState === "hidden") flush();
}

/**
 * Starts the logger; calling it again replaces the options.
 * @param {import("./client-logger").Options} options
 */
export function init(options) {
  try {
    stop();
    const o = options || {};
    const rate = typeof o.sampleRate === "number" ? o.sampleRate : 1;
    state = {
      endpoint: o.endpoint || "/api/client-logs",
      release: o.release ? text(o.release, 64) : undefined,
      session: text(o.session || Math.random().toString(36).slice(2, 12), 64),
      sampled: Math.random() < rate,
      batchSize: Math.max(1, Math.min(o.batchSize || 10, MAX_BATCH)),
      interval: o.flushInterval || 5000,
      maxQueue: o.maxQueue || 100,
      maxPerPage: o.maxPerPage || 200,
      self: o.self === undefined ? import.meta.url : o.self,
      queue: [],
      sent: 0,
      timer: 0,
    };
    if (o.capture !== false) {
      addEventListener("error", onError);
      addEventListener("unhandledrejection", onRejection);
    }
    addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", onHide);
  } catch (_) {
    state = null;
  }
}

/** Flushes, then removes the logger's listeners. */
export function stop() {
  if (!state) return;
  flush();
  removeEventListener("error", onError);
  removeEventListener("unhandledrejection", onRejection);
  removeEventListener("pagehide", flush);
  document.removeEventListener("visibilitychange", onHide);
  state = null;
}

function logAt(level) {
  return (message, ctx) => {
    try {
      fromError(level, message, ctx);
    } catch (_) {
      // never into the page
    }
  };
}

/** Records an error: an Error (its stack is kept) or a message. */
export const error = logAt(LEVELS[0]);
/** Records a warning. */
export const warn = logAt(LEVELS[1]);
/** Records an informational line. */
export const info = logAt(LEVELS[2]);
