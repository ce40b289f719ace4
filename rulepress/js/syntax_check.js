// Syntax checks for rulepress: reads a JSON array of {i, kind, code} on stdin and writes a JSON array of
// {i, line, message, severity} for every problem. Code is compiled, never run: a rule is compiled as a
// parenthesised expression and evaluated in an empty context (no require, no process) with a short
// timeout to see that it is a function; an action is compiled as a CommonJS module body.
'use strict';
const vm = require('vm');

function syntaxLine(err) {
  const m = /^[^\n]*:(\d+)\n/.exec(String(err.stack || ''));
  return m ? Number(m[1]) : 1;
}

function checkRule(code) {
  let script;
  try {
    script = new vm.Script('(' + code + '\n)', { filename: 'rule.js' });
  } catch (err) {
    return [{ line: syntaxLine(err), message: 'JavaScript syntax error: ' + err.message }];
  }
  let value;
  try {
    value = script.runInNewContext(Object.create(null), { timeout: 200 });
  } catch (err) {
    return [{ line: 1, message: 'a rule must be a single function expression ' +
      '(function (user, context, callback) { ... }); evaluating it failed: ' + err.message }];
  }
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

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const out = [];
  for (const item of JSON.parse(input)) {
    const found = item.kind === 'rule' ? checkRule(item.code) : checkAction(item.code);
    for (const p of found) out.push({ i: item.i, line: p.line, message: p.message,
      severity: p.severity || 'error' });
  }
  process.stdout.write(JSON.stringify(out));
});
