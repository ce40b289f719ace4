// Syntax checks for rulepress (and, on demand, unbound names in actions): reads code items on stdin (below)
// and writes a JSON array of
// {i, line, message, severity} for every problem. Code is compiled, never run: a rule is compiled as a
// parenthesised expression and evaluated in an empty context (no require, no process) with a short
// timeout to see that it is a function; an action is compiled as a CommonJS module body.
'use strict';
const vm = require('vm');

function syntaxLine(err) {
  const m = /^[^\n]*:(\d+)\n/.exec(String(err.stack || ''));
  return m ? Number(m[1]) : 1;
}

function compileRule(code) {
  try {
    new vm.Script('(' + code + '\n)', { filename: 'rule.js' });
    return null;
  } catch (err) {
    return [{ line: syntaxLine(err), message: 'JavaScript syntax error: ' + err.message }];
  }
}

// Evaluating a rule only creates the function (its body does not run). All rules of a batch are
// evaluated together in one empty context under one timeout; if that fails, each one alone. The batch runs
// in strict mode with the context's global object frozen, so no rule can define or read a global that
// another one made (a rule that tries makes the batch fail, and it is then evaluated alone, as every
// rule would be); and it must give back exactly one value per rule (code such as "function () {}), (1"
// compiles alone but would add an element to the batch).
function evaluateRules(codes) {
  const context = vm.createContext(Object.freeze(Object.create(null)));
  try {
    const source = '"use strict";[' + codes.map((c) => '(' + c + '\n)').join(',\n') + ']';
    const values = new vm.Script(source).runInContext(context, { timeout: 1000 });
    if (!Array.isArray(values) || values.length !== codes.length) throw new Error('not one value per rule');
    return values.map((v) => ({ value: v }));
  } catch (err) {
    return codes.map((c) => {
      try {
        return { value: new vm.Script('(' + c + '\n)').runInContext(vm.createContext(Object.create(null)),
          { timeout: 200 }) };
      } catch (e) {
        return { error: e };
      }
    });
  }
}

function ruleProblems(result) {
  if (result.error) {
    return [{ line: 1, message: 'a rule must be a single function expression ' +
      '(function (user, context, callback) { ... }); evaluating it failed: ' + result.error.message }];
  }
  const value = result.value;
  if (typeof value !== 'function') {
    return [{ line: 1, message: 'a rule must be a function expression ' +
      '(function (user, context, callback) { ... }), not ' + (value === null ? 'null' : typeof value) }];
  }
  if (value.length !== 3) {
    return [{ line: 1, severity: 'warning', message: 'a rule function takes three parameters ' +
      '(user, context, callback); this one takes ' + value.length }];
  }
  return [];
}

function checkAction(code) {
  try {
    vm.compileFunction(code, ['exports', 'require', 'module', '__filename', '__dirname'],
      { filename: 'action.js' });
  } catch (err) {
    return [{ line: syntaxLine(err), message: 'JavaScript syntax error: ' + err.message }];
  }
  return [];
}

// Each item is checked as it arrives (the build streams them while it parses files).
const out = [];
const rules = [];
const push = (i, found) => {
  for (const p of found) out.push({ i, line: p.line, message: p.message, severity: p.severity || 'error' });
};
// Rules that compile are evaluated in batches of RULE_BATCH as they come, so little is left for the end.
const RULE_BATCH = 200;
function evaluatePending() {
  const batch = rules.splice(0, rules.length);
  evaluateRules(batch.map((r) => r.code)).forEach((result, k) => push(batch[k].i, ruleProblems(result)));
}
function take(item) {
  if (item.kind === 'rule') {
    const bad = compileRule(item.code);
    if (bad) push(item.i, bad); else rules.push(item);
    if (rules.length >= RULE_BATCH) evaluatePending();
  } else {
    const bad = checkAction(item.code);
    push(item.i, bad.length || !names ? bad : names.unbound(item.code));
  }
}
// With RULEPRESS_CHECK_NAMES=1 (and rulepress's Node packages on NODE_PATH), an action that compiles is also
// checked for unbound names (unbound_names.js).
const names = process.env.RULEPRESS_CHECK_NAMES === '1' ? require('./unbound_names.js') : null;
// Input: items framed as a line "number kind length" followed by that many bytes of UTF-8 code (the build
// hands over code as it has it, in UTF-8: no JSON to write or parse).
let buffered = Buffer.alloc(0);
process.stdin.on('data', (chunk) => {
  buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
  let at = 0;
  for (;;) {
    const nl = buffered.indexOf(10, at);
    if (nl < 0) break;
    const [i, kind, size] = buffered.toString('latin1', at, nl).split(' ');
    const end = nl + 1 + Number(size);
    if (end > buffered.length) break;
    take({ i: Number(i), kind, code: buffered.toString('utf8', nl + 1, end) });
    at = end;
  }
  buffered = buffered.subarray(at);
});
process.stdin.on('end', () => {
  if (buffered.length) throw new Error('the input ends inside an item');
  if (rules.length) evaluatePending();
  process.stdout.write(JSON.stringify(out));
});
