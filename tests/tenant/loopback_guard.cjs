// Preloaded into Node in the conformance tests (NODE_OPTIONS=--require): any connection or DNS lookup that is not
// loopback fails at once and is logged, so a test can prove no traffic leaves the machine.
'use strict';
const net = require('net');
const dns = require('dns');
const LOOP = /^(127\.|::1$|localhost$|::ffff:127\.)/;
const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  const opts = typeof args[0] === 'object' && args[0] !== null ? args[0] : { port: args[0], host: args[1] };
  const host = opts.host || opts.path || 'localhost';
  if (!opts.path && !LOOP.test(String(host))) {
    process.stderr.write(`guard: refused a connection to ${host}:${opts.port}\n`);
    const err = new Error(`loopback only: ${host}`); err.code = 'ECONNREFUSED';
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return realConnect.apply(this, args);
};
const realLookup = dns.lookup;
dns.lookup = function (host, ...rest) {
  const cb = rest[rest.length - 1];
  if (!LOOP.test(String(host))) {
    process.stderr.write(`guard: refused a lookup of ${host}\n`);
    const err = new Error(`loopback only: ${host}`); err.code = 'ENOTFOUND';
    return process.nextTick(() => cb(err));
  }
  return realLookup.call(this, host, ...rest);
};
