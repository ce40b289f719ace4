'use strict';
// rulepress test harness, main thread: a pool of worker threads (sandbox.js) and a watchdog.
//
// Protocol: the whole job arrives as one JSON document on stdin:
//   {"workers": N, "templates": [{path, code, code_line, kind, trigger, dependencies}], "cases": [...],
//    "modules_dir"?, "installed"?}  (the real packages cases with HTTP answers run: where, name -> version)
// and one JSON line per case is written to stdout, in completion order, each with the case's "index".
// Each worker runs one case at a time in a fresh vm context; a case that runs past its time limit is
// stopped by terminating its worker (this also stops a synchronous endless loop), and a fresh worker takes
// its place.
//
// Portable across Node 18+ (Auth0 runs Node 22; our machines run Node 20).

const path = require('node:path');
const { Worker } = require('node:worker_threads');

const { emptyResult } = require('./values.js');

const SANDBOX = path.join(__dirname, 'sandbox.js');

function main() {
  const chunks = [];
  process.stdin.on('data', (chunk) => chunks.push(chunk));
  process.stdin.on('end', () => {
    let job;
    try {
      job = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      process.stderr.write(`harness: bad job on stdin: ${err.message}\n`);
      process.exitCode = 2;
      return;
    }
    runPool(job);
  });
}

function emit(result) {
  process.stdout.write(JSON.stringify(result) + '\n');
}

function runPool(job) {
  const cases = job.cases;
  const total = cases.length;
  let finished = 0;
  const slots = [];
  if (total === 0) return;
  // With `by_kind`, rule cases and action cases never share a worker: one worker runs every rule case in
  // order and one every action case, so module state a rule leaves (a real lodash it configured) cannot
  // reach an action, and both sides see their modules' state progress alike (rulepress migrate).
  const queues = new Map();
  for (let i = 0; i < total; i++) {
    const key = job.by_kind ? cases[i].kind : 'any';
    if (!queues.has(key)) queues.set(key, []);
    queues.get(key).push(i);
  }
  const kinds = [...queues.keys()];
  const size = job.by_kind ? kinds.length : Math.max(1, Math.min(job.workers || 1, total));
  const pending = (slot) => queues.get(slot.kind).length > 0;

  function spawn(slot) {
    const worker = new Worker(SANDBOX, {
      env: {}, // the code under test sees an empty process.env even if it escapes its vm context
      workerData: { templates: job.templates, modules_dir: job.modules_dir || null, installed: job.installed || {},
        rule_dependencies: job.rule_dependencies || {} },
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    slot.worker = worker;
    slot.index = null;
    slot.ready = false;
    worker.on('message', (result) => {
      if (slot.worker === worker && result.ready) {
        // the worker has loaded its packages: only now does a case's time limit start
        slot.ready = true;
        feed(slot);
        return;
      }
      if (slot.worker !== worker || result.index !== slot.index) return;
      clearTimeout(slot.timer);
      slot.index = null;
      emit(result);
      done();
      feed(slot);
    });
    const lost = (what) => {
      if (slot.worker !== worker) return;
      clearTimeout(slot.timer);
      const index = slot.index;
      slot.worker = null;
      if (index !== null) {
        emit(crashed(index, what));
        done();
      }
      if (pending(slot)) {
        spawn(slot);
        feed(slot);
      }
    };
    worker.on('error', (err) => lost(`the test harness crashed: ${err && err.message}`));
    worker.on('exit', (code) => lost(`the test harness stopped (exit code ${code})`));
  }

  function feed(slot) {
    if (!pending(slot) || slot.worker === null || !slot.ready || slot.index !== null) return;
    const index = queues.get(slot.kind).shift();
    const c = cases[index];
    slot.index = index;
    const worker = slot.worker;
    slot.timer = setTimeout(() => {
      if (slot.worker !== worker || slot.index !== index) return;
      slot.worker = null;
      slot.index = null;
      worker.terminate();
      emit(timedOut(index, c));
      done();
      if (pending(slot)) {
        spawn(slot);
        feed(slot);
      }
    }, c.timeout_ms);
    worker.postMessage({ index, case: c });
  }

  function done() {
    finished += 1;
    if (finished === total) {
      for (const slot of slots) {
        if (slot.worker) {
          const worker = slot.worker;
          slot.worker = null;
          worker.terminate();
        }
      }
    }
  }

  for (let i = 0; i < size; i++) {
    const slot = { worker: null, index: null, timer: null, kind: job.by_kind ? kinds[i] : 'any' };
    slots.push(slot);
    spawn(slot);
    feed(slot);
  }
}

function timedOut(index, c) {
  const result = emptyResult(index);
  const seconds = c.timeout_ms / 1000;
  const what = c.kind === 'rule' ? 'the callback was not called' : 'the handler did not finish';
  result.outcome = 'timeout';
  result.problems.push({ message: `timed out after ${seconds} s: ${what}`, line: null });
  return result;
}

function crashed(index, message) {
  const result = emptyResult(index);
  result.outcome = 'crash';
  result.problems.push({ message, line: null });
  return result;
}
main();
