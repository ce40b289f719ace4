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

// A Date whose "now" is nowOf() (a number), or the real clock when nowOf() is null; callable without `new`,
// as Date is. Self-contained: it also runs inside vm contexts, from its source.
function makeDate(RealDate, nowOf) {
  function CaseDate(...args) {
    const now = nowOf();
    if (!new.target) return now === null ? RealDate() : new RealDate(now).toString();
    if (args.length === 0 && now !== null) return Reflect.construct(RealDate, [now], new.target);
    return Reflect.construct(RealDate, args, new.target);
  }
  Object.setPrototypeOf(CaseDate, RealDate);
  CaseDate.prototype = RealDate.prototype;
  CaseDate.now = () => {
    const now = nowOf();
    return now === null ? RealDate.now() : now;
  };
  CaseDate.parse = RealDate.parse;
  CaseDate.UTC = RealDate.UTC;
  return CaseDate;
}

// Run inside a case's vm context, from its source (with `seeded`'s and `makeDate`'s): the context's own Date
// and Math.random.
function patchContext(now, seededFrom, makeDateFrom) {
  globalThis.Date = makeDateFrom(globalThis.Date, () => now);
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
  randomFill: crypto.randomFill,
  randomInt: crypto.randomInt,
  getRandomValues: crypto.webcrypto.getRandomValues.bind(crypto.webcrypto),
};
let fixed = null; // the seeded generator while a case runs fixed

function installOnce() {
  if (globalThis.Date !== real.Date) return;
  globalThis.Date = makeDate(real.Date, () => (fixed ? fixedNow : null));
  Math.random = () => (fixed ? fixed() : real.random());
  const bytes = (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(fixed() * 256)));
  const fill = (view) => {
    bytes(view.byteLength).copy(Buffer.from(view.buffer, view.byteOffset, view.byteLength));
    return view;
  };
  crypto.randomBytes = function randomBytes(n, callback) {
    if (!fixed) return real.randomBytes.apply(crypto, arguments);
    const out = bytes(n);
    if (typeof callback !== 'function') return out;
    process.nextTick(() => callback(null, out));
    return undefined;
  };
  crypto.randomFillSync = function randomFillSync(buffer) {
    if (!fixed) return real.randomFillSync.apply(crypto, arguments);
    return fill(buffer);
  };
  crypto.randomFill = function randomFill(buffer, ...rest) {
    if (!fixed) return real.randomFill.apply(crypto, arguments);
    const callback = rest[rest.length - 1];
    fill(buffer);
    process.nextTick(() => callback(null, buffer));
    return undefined;
  };
  crypto.randomInt = function randomInt(...args) {
    if (!fixed) return real.randomInt.apply(crypto, args);
    const callback = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    const [min, max] = args.length === 1 ? [0, args[0]] : args;
    const value = min + Math.floor(fixed() * (max - min));
    if (!callback) return value;
    process.nextTick(() => callback(null, value));
    return undefined;
  };
  const getRandomValues = function getRandomValues(view) {
    return fixed ? fill(view) : real.getRandomValues(view);
  };
  // (crypto.getRandomValues is a fixed getter of the module, which reads webcrypto's)
  crypto.webcrypto.getRandomValues = getRandomValues;
  crypto.webcrypto.randomUUID = () => crypto.randomUUID();
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
let fixedNow = NOW;

// `now`: the case's clock (milliseconds since 1970), or the default, 2026-01-01T00:00:00Z
function fix(now) {
  fixed = seeded(42);
  fixedNow = typeof now === 'number' && Number.isFinite(now) ? now : NOW;
  return () => {
    fixed = null;
  };
}

function inContext(vm, context, now) {
  const at = typeof now === 'number' && Number.isFinite(now) ? now : NOW;
  vm.runInContext(`(${patchContext})(${at}, ${seeded}, ${makeDate});`, context);
}

module.exports = { install: installOnce, fix, inContext, NOW };
