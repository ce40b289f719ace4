// The unbound-name check of the build (used by syntax_check.js): `unbound(code)` gives {line, message} for
// every name an action reads that is neither declared, required, nor a global of an action's Node runtime
// (a Rules-sandbox global left behind, a typo). The code is parsed with acorn and its scopes resolved with
// eslint-scope (rulepress's own Node packages, NODE_PATH), never run.
'use strict';
const acorn = require('acorn');
const eslintScope = require('eslint-scope');

// What an action may read without declaring it: this Node's globals and a CommonJS module's names.
const GLOBALS = new Set([...Object.getOwnPropertyNames(globalThis), 'require', 'module', 'exports',
  '__filename', '__dirname']);

function setParents(node, parent) {
  node.parent = parent;
  for (const key of Object.keys(node)) {
    if (key === 'parent') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const child of value) if (child && typeof child.type === 'string') setParents(child, node);
    } else if (value && typeof value.type === 'string') {
      setParents(value, node);
    }
  }
}

function unbound(code) {
  let ast;
  try {
    ast = acorn.parse(code, { ecmaVersion: 'latest', sourceType: 'script', allowReturnOutsideFunction: true,
      allowHashBang: true, locations: true, ranges: true });
  } catch (err) {
    return []; // Node's own compile check reports syntax errors
  }
  setParents(ast, null);
  const scopes = eslintScope.analyze(ast, { ecmaVersion: 2022, sourceType: 'script', nodejsScope: true });
  const found = new Map();
  for (const ref of scopes.globalScope.through) {
    const id = ref.identifier;
    const name = id.name;
    if (GLOBALS.has(name) || found.has(name)) continue;
    // `typeof x` asks whether x exists: reading it that way never throws
    if (id.parent && id.parent.type === 'UnaryExpression' && id.parent.operator === 'typeof') continue;
    // a write makes a global (sloppy mode): not a read of an unbound name
    if (ref.isWrite() && !ref.isRead()) continue;
    found.set(name, id.loc.start.line);
  }
  return [...found].map(([name, line]) => ({ line, message: `'${name}' is neither declared, required nor a ` +
    'global of an action\'s Node runtime: reading it throws a ReferenceError on Auth0' +
    (name === '_' || name === 'uuid' || name === 'async' || name === 'jwt' || name === 'Q' || name === 'request'
      ? ' (it was a global of the Rules sandbox: require its module and declare it in dependencies)' : '') }));
}

module.exports = { unbound };
