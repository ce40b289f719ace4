// Long-lived syntax checker for the local tenant's action builds.
// Reads one JSON request per line ({"code": "..."}), answers one JSON line ({"ok": bool, "error": "..."}).
// The code is compiled as a CommonJS module body (as Node wraps it), never run.
'use strict';
const vm = require('vm');
const readline = require('readline');
const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on('line', (line) => {
  let answer;
  try {
    const req = JSON.parse(line);
    vm.compileFunction(String(req.code), ['exports', 'require', 'module', '__filename', '__dirname'], {
      filename: 'action.js',
    });
    answer = { ok: true };
  } catch (err) {
    answer = { ok: false, error: String((err && err.message) || err) };
  }
  process.stdout.write(JSON.stringify(answer) + '\n');
});
