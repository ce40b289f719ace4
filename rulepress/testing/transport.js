'use strict';
// A recording HTTP transport for test cases that give HTTP answers (`http:` in a case, docs/TESTING.md).
//
// The code under test runs real HTTP clients (the `request` module a rule used, axios in an action); their
// requests never reach a network. Every http/https Agent gets its connection from here: an in-memory duplex
// stream that reads the raw HTTP/1.1 request bytes the client wrote, records them (method, URL, headers,
// body), and answers with the first of the case's answers that matches. TLS is never started (an https
// Agent's connection is replaced before TLS), and plain socket and TLS connects are refused, so a client that
// builds its own connection cannot go around the recorder.

const http = require('node:http');
const https = require('node:https');
const net = require('node:net');
const tls = require('node:tls');
const http2 = require('node:http2');
const dns = require('node:dns');
const { Duplex } = require('node:stream');

let current = null; // {answers, requests, problem(message)} of the case running in this worker

function refuse(what) {
  return () => {
    throw new Error(`network access is blocked in tests: ${what}`);
  };
}

function install() {
  http.Agent.prototype.createConnection = function createConnection(options) {
    return new RecordingSocket('http', options);
  };
  https.Agent.prototype.createConnection = function createConnection(options) {
    return new RecordingSocket('https', options);
  };
  // every other way out of this worker is refused: sockets, TLS, HTTP/2, DNS, fetch
  net.connect = refuse('net.connect');
  net.createConnection = refuse('net.createConnection');
  net.Socket.prototype.connect = refuse('a socket connect');
  tls.connect = refuse('tls.connect');
  http2.connect = refuse('http2.connect');
  for (const name of ['lookup', 'resolve', 'resolve4', 'resolve6', 'resolveAny']) dns[name] = refuse(`dns.${name}`);
  for (const name of Object.keys(dns.promises)) {
    if (typeof dns.promises[name] === 'function') dns.promises[name] = refuse(`dns.promises.${name}`);
  }
  globalThis.fetch = () => Promise.reject(new Error('network access is blocked in tests: fetch()'));
}

// A case begins: `answers` is its `http:` list, or null for a case without one (every request is refused).
function begin(answers, problem) {
  current = { answers: Array.isArray(answers) ? answers : null, requests: [], problem };
  return current.requests;
}

function end() {
  current = null;
}

// One answer matches when its `method` (if given) equals the request's and the request URL starts with
// its `url` (if given).
function answerFor(request) {
  for (const answer of (current && current.answers) || []) {
    if (answer.method && String(answer.method).toUpperCase() !== request.method) continue;
    if (answer.url && !request.url.startsWith(String(answer.url))) continue;
    return answer;
  }
  return null;
}

function responseBytes(answer, method) {
  const status = Number(answer.status || 200);
  const headers = {};
  for (const [key, value] of Object.entries(answer.headers || {})) headers[key.toLowerCase()] = String(value);
  let body = '';
  if ('json' in answer) {
    body = JSON.stringify(answer.json);
    if (!headers['content-type']) headers['content-type'] = 'application/json; charset=utf-8';
  } else if ('body' in answer && answer.body !== null && answer.body !== undefined) {
    body = String(answer.body);
    if (!headers['content-type']) headers['content-type'] = 'text/plain; charset=utf-8';
  }
  // a HEAD answer, a 204 and a 304 carry no body (HTTP/1.1); a client would read the bytes as garbage
  const bodyless = method === 'HEAD' || status === 204 || status === 304;
  const bytes = bodyless ? Buffer.alloc(0) : Buffer.from(body, 'utf8');
  if (status !== 204 && status !== 304) headers['content-length'] = String(method === 'HEAD' ? Buffer.byteLength(body) : bytes.length);
  headers.connection = 'close';
  const head = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] || 'Status'}`];
  for (const [key, value] of Object.entries(headers)) head.push(`${key}: ${value}`);
  return Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), bytes]);
}

// Where the request's body ends, or -1 while more bytes are needed.
function bodyEnd(buffer, start, headers) {
  const chunked = /chunked/i.test(headers['transfer-encoding'] || '');
  if (!chunked) {
    const length = Number(headers['content-length'] || 0);
    return buffer.length >= start + length ? start + length : -1;
  }
  let at = start;
  for (;;) {
    const eol = buffer.indexOf('\r\n', at, 'latin1');
    if (eol < 0) return -1;
    const size = parseInt(buffer.toString('latin1', at, eol), 16);
    if (size === 0) return buffer.length >= eol + 4 ? eol + 4 : -1;
    at = eol + 2 + size + 2;
    if (buffer.length < at) return -1;
  }
}

function unchunk(raw) {
  const parts = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at, 'latin1');
    const size = parseInt(raw.toString('latin1', at, eol), 16);
    if (!size) return Buffer.concat(parts);
    parts.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

class RecordingSocket extends Duplex {
  constructor(scheme, options) {
    super();
    this.owner = current; // the case this connection belongs to: late work of an ended case is refused
    this.scheme = scheme;
    this.defaultHost = `${options.host || options.hostname || 'localhost'}`;
    this.received = Buffer.alloc(0);
    this.chunks = [];
    this.size = 0;
    this.need = null; // the request's total length once its head is read (a content-length body)
    this.continued = false;
    this.answered = false;
    this.remoteAddress = '127.0.0.1';
    this.remotePort = Number(options.port) || (scheme === 'https' ? 443 : 80);
    this.connecting = false;
    process.nextTick(() => this.emit('connect'));
  }

  _read() {}

  _write(chunk, _encoding, done) {
    // the bytes so far are joined once per write only until the head is read; after that only a count grows
    // until the declared length (a large body costs linear time)
    this.chunks.push(chunk);
    this.size += chunk.length;
    if (!this.answered && (this.need === null || this.size >= this.need)) {
      this.received = Buffer.concat(this.chunks);
      this.chunks = [this.received];
      this.tryAnswer();
    }
    done();
  }

  tryAnswer() {
    const headEnd = this.received.indexOf('\r\n\r\n', 0, 'latin1');
    if (headEnd < 0) return;
    const lines = this.received.toString('latin1', 0, headEnd).split('\r\n');
    const [method, target] = lines[0].split(' ');
    const headers = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const end = bodyEnd(this.received, headEnd + 4, headers);
    if (end < 0) {
      if (!/chunked/i.test(headers['transfer-encoding'] || '')) this.need = headEnd + 4 + Number(headers['content-length'] || 0);
      if (/100-continue/i.test(headers.expect || '') && !this.continued) {
        this.continued = true; // the client waits for this before it sends the body
        this.push(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1'));
      }
      return;
    }
    this.answered = true;
    let body = this.received.subarray(headEnd + 4, end);
    if (/chunked/i.test(headers['transfer-encoding'] || '')) body = unchunk(body);
    // the URL names where the connection goes (a Host header the code set is only a header)
    const port = this.remotePort === (this.scheme === 'https' ? 443 : 80) ? '' : `:${this.remotePort}`;
    const request = { method, url: `${this.scheme}://${this.defaultHost}${port}${target}`, headers,
      body: body.toString('utf8') };
    const owner = this.owner && this.owner === current ? current : null;
    if (owner && owner.answers) owner.requests.push(request);
    const answer = owner && owner.answers ? answerFor(request) : null;
    if (!answer) {
      if (owner && owner.answers) owner.problem(`no HTTP answer in the case matches ${method} ${request.url}`);
      else if (current) current.problem(`network access is blocked in tests: ${method} ${request.url}`);
      this.destroy(Object.assign(new Error(`connect ECONNREFUSED (no answer for ${method} ${request.url})`),
        { code: 'ECONNREFUSED' }));
      return;
    }
    this.push(responseBytes(answer, method));
    this.push(null);
  }

  _final(done) {
    done();
  }

  setTimeout() { return this; }
  setNoDelay() { return this; }
  setKeepAlive() { return this; }
  ref() { return this; }
  unref() { return this; }
  address() { return { address: '127.0.0.1', family: 'IPv4', port: 0 }; }
}

module.exports = { install, begin, end };
