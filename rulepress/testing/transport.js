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
  net.connect = refuse('net.connect');
  net.createConnection = refuse('net.createConnection');
  tls.connect = refuse('tls.connect');
}

function begin(answers, problem) {
  current = { answers: Array.isArray(answers) ? answers : [], requests: [], problem };
  return current.requests;
}

function end() {
  current = null;
}

// One answer matches when its `method` (if given) equals the request's and the request URL starts with
// its `url` (if given).
function answerFor(request) {
  for (const answer of current ? current.answers : []) {
    if (answer.method && String(answer.method).toUpperCase() !== request.method) continue;
    if (answer.url && !request.url.startsWith(String(answer.url))) continue;
    return answer;
  }
  return null;
}

function responseBytes(answer) {
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
  const bytes = Buffer.from(body, 'utf8');
  headers['content-length'] = String(bytes.length);
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
    this.scheme = scheme;
    this.defaultHost = `${options.host || options.hostname || 'localhost'}`;
    this.received = Buffer.alloc(0);
    this.answered = false;
    this.remoteAddress = '127.0.0.1';
    this.remotePort = Number(options.port) || (scheme === 'https' ? 443 : 80);
    this.connecting = false;
    process.nextTick(() => this.emit('connect'));
  }

  _read() {}

  _write(chunk, _encoding, done) {
    this.received = Buffer.concat([this.received, chunk]);
    if (!this.answered) this.tryAnswer();
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
    if (end < 0) return;
    this.answered = true;
    let body = this.received.subarray(headEnd + 4, end);
    if (/chunked/i.test(headers['transfer-encoding'] || '')) body = unchunk(body);
    const host = headers.host || this.defaultHost;
    const request = { method, url: `${this.scheme}://${host}${target}`, headers, body: body.toString('utf8') };
    if (current) current.requests.push(request);
    const answer = answerFor(request);
    if (!answer) {
      if (current) current.problem(`no HTTP answer in the case matches ${method} ${request.url}`);
      this.destroy(Object.assign(new Error(`connect ECONNREFUSED (no answer for ${method} ${request.url})`),
        { code: 'ECONNREFUSED' }));
      return;
    }
    this.push(responseBytes(answer));
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
