'use strict';
// Values crossing from a case's realm to the report: results, readable errors, JSON-safe copies.

function emptyResult(index) {
  return { index, outcome: 'none', error: null, calls: [], module_calls: [], problems: [], logs: [] };
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function describeError(err) {
  if (err && typeof err === 'object' && 'message' in err) {
    const name = err.name || 'Error';
    return `${name}: ${err.message}`;
  }
  return `${typeof err === 'string' ? JSON.stringify(err) : String(err)} (not an Error)`;
}

// stand-in modules (sandbox.js autoStub) -> the text they show as: `<path>`
const standIns = new WeakMap();

// A JSON-safe copy of a value from the case's realm (functions, cycles, dates and errors made readable).
function plain(value, seen = new Set()) {
  if (value === null || value === undefined) return null;
  if (standIns.has(value)) return standIns.get(value);
  const type = typeof value;
  if (type === 'string' || type === 'boolean') return value;
  if (type === 'number') return Number.isFinite(value) ? value : String(value);
  if (type === 'bigint' || type === 'symbol') return String(value);
  if (type === 'function') return `[Function${value.name ? ' ' + value.name : ''}]`;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    const tag = Object.prototype.toString.call(value);
    if (tag === '[object Date]') return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
    if (tag === '[object Error]' || (typeof value.stack === 'string' && 'message' in value)) {
      const out = { name: value.name, message: value.message };
      for (const key of Object.keys(value)) out[key] = plain(value[key], seen);
      return out;
    }
    if (tag === '[object RegExp]') return String(value);
    if (ArrayBuffer.isView(value)) return `[${value.constructor.name} ${value.length}]`;
    if (tag === '[object Map]') {
      return plain(Object.fromEntries(value), seen);
    }
    if (tag === '[object Set]' || Array.isArray(value)) {
      return Array.from(value, (item) => plain(item, seen));
    }
    if (tag === '[object Promise]') return '[Promise]';
    const out = {};
    for (const key of Object.keys(value)) {
      const item = value[key];
      if (item !== undefined) out[key] = plain(item, seen);
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

module.exports = { emptyResult, escapeRegExp, describeError, plain, standIns };
