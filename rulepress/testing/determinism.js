'use strict';
// A fixed clock and seeded randomness for the cases that run real modules (cases with HTTP answers), so two
// runs of the same code, or a rule and the action migrated from it, see the same time and the same
// "random" values (uuid.v4(), a nonce, a multipart boundary). Each case starts from the same seed.
// Applied in the worker's own realm (where real modules run: `fix`) and in the case's vm context, which has
// its own Date and Math (`inContext`). Only loopback-free, in-process values: nothing here is I/O.

const crypto = require('node:crypto');

const NOW = Date.parse('2026-01-01T00:00:00.000Z');

function seeded(seed) {
  let s = seed >>> 0;
  return () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Run inside a case's vm context, from its source (with `seeded`'s): the context's own Date and Math.random.
function patchContext(now, seededFrom) {
  const RealDate = globalThis.Date;
  class FixedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(now);
      else super(...args);
    }

    static now() {
      return now;
    }
  }
  globalThis.Date = FixedDate;
  Math.random = seededFrom(42);
}

// This realm (where real modules run): its Date, Math.random and crypto's random functions are replaced once,
// for good (a module may keep a reference to them, as uuid keeps crypto.randomBytes), and follow the fixed
// clock and a seed reset by each `fix()` while a case that asks for it runs; the rest of the time they are
// the real ones.
const real = {
  Date: globalThis.Date,
  random: Math.random,
  randomBytes: crypto.randomBytes,
  randomUUID: crypto.randomUUID,
  randomFillSync: crypto.randomFillSync,
};
let fixed = null; // the seeded generator while a case runs fixed

function installOnce() {
  if (globalThis.Date !== real.Date) return;
  const RealDate = real.Date;
  class CaseDate extends RealDate {
    constructor(...args) {
      if (args.length === 0 && fixed) super(NOW);
      else super(...args);
    }

    static now() {
      return fixed ? NOW : RealDate.now();
    }
  }
  globalThis.Date = CaseDate;
  Math.random = () => (fixed ? fixed() : real.random());
  const bytes = (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(fixed() * 256)));
  crypto.randomBytes = function randomBytes(n, callback) {
    if (!fixed) return real.randomBytes.apply(crypto, arguments);
    const out = bytes(n);
    if (typeof callback !== 'function') return out;
    process.nextTick(() => callback(null, out));
    return undefined;
  };
  crypto.randomFillSync = function randomFillSync(buffer) {
    if (!fixed) return real.randomFillSync.apply(crypto, arguments);
    bytes(buffer.byteLength).copy(Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength));
    return buffer;
  };
  crypto.randomUUID = function randomUUID() {
    if (!fixed) return real.randomUUID.apply(crypto, arguments);
    const b = bytes(16);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
}

// Fix the clock and reset the seed for one case (after `install`); returns the function that ends it.
function fix() {
  fixed = seeded(42);
  return () => {
    fixed = null;
  };
}

function inContext(vm, context) {
  vm.runInContext(`(${patchContext})(${NOW}, ${seeded});`, context);
}

module.exports = { install: installOnce, fix, inContext, NOW };
