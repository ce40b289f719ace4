// rulepress migrate: legacy Auth0 rule code -> post-login action code, on the syntax tree.
//
// Reads a JSON array of {id, code} on stdin; writes a JSON array of
// {id, code, secrets, dependencies, todos: [{idiom, section, line}], error} on stdout.
//
// The rule is parsed with acorn (wrapped in parentheses: a rule is a function expression), scopes are
// resolved with eslint-scope (so a shadowed `user` is left alone), and the output is the original source
// with edits applied by source range: formatting and comments survive. An edit's replacement is computed
// by a function that may render sub-ranges of the source, so edits nest (a claim assignment whose value
// reads `configuration.X` is rewritten in both places). Whatever is not converted with confidence stays
// as it was, under a `// TODO(migrate): <idiom> — see "<guide section>"` comment.
'use strict';

const acorn = require('acorn');
const eslintScope = require('eslint-scope');
const { builtinModules } = require('module');

const AXIOS = { name: 'axios', version: '1.21.1' };
// what request 2.81.0 (the Rules sandbox's) encoded form bodies with: qs ~6.4.0, newest 6.4.3
const QS = { module: 'qs', version: '6.4.3' };

// Sections of Auth0's "Migrate from Rules to Actions" guide.
const S = {
  user: 'Change how user data is accessed',
  context: 'Change how context data is accessed',
  deps: 'Convert dependencies',
  callbacks: 'Convert callbacks',
  secrets: 'Change handling of secrets',
  claims: 'Convert custom claims in tokens',
  mfa: 'Convert multi-factor triggering',
  metadata: 'Convert user metadata updates',
  mgmt: 'Convert other Management API calls',
  redirects: 'Convert redirects',
  saml: 'Convert SAML attribute mappings',
  sso: 'Convert current SSO clients references',
  limits: 'Understand limitations',
};

// Globals of the Rules sandbox (rulepress/testing/rules_sandbox.json, shared with the test sandbox): each
// global, the module behind it and its pinned version. In an action each becomes a require and, for an npm
// package, a pinned dependency. `crypto` meant Node's crypto module (Node 20+ has a WebCrypto global of that
// name, without createHash). `request` is converted to axios below. Sources: docs/MIGRATE.md.
const RULES_SANDBOX = require('../testing/rules_sandbox.json');
const SANDBOX_GLOBALS = RULES_SANDBOX.globals;
// Sandbox globals with no plain module equivalent (database drivers, wrapped clients): a person decides.
const SANDBOX_UNSUPPORTED = RULES_SANDBOX.unsupported;
// What an action can read without declaring it: the Node runtime's globals and a CommonJS module's names.
const ACTION_GLOBALS = new Set([...Object.getOwnPropertyNames(globalThis), 'require', 'module', 'exports',
  '__filename', '__dirname', 'undefined', 'NaN', 'Infinity', 'event', 'api']);

// context.<key> -> event expression (null: no equivalent, needs a person).
const CONTEXT_MAP = {
  clientID: 'event.client.client_id',
  clientName: 'event.client.name',
  clientMetadata: 'event.client.metadata',
  connection: 'event.connection.name',
  connectionID: 'event.connection.id',
  connectionStrategy: 'event.connection.strategy',
  connectionMetadata: 'event.connection.metadata',
  protocol: 'event.transaction.protocol',
  tenant: 'event.tenant.id',
  sessionID: 'event.session.id',
  authentication: 'event.authentication',
  authorization: 'event.authorization',
  organization: 'event.organization',
  riskAssessment: 'event.authentication.riskAssessment',
};
// context.samlConfiguration.<key> = v -> api.samlResponse.<setter>(v) ("Convert SAML attribute mappings")
const SAML_SETTERS = {
  audience: 'setAudience', recipient: 'setRecipient', destination: 'setDestination', issuer: 'setIssuer',
  lifetimeInSeconds: 'setLifetimeInSeconds', signResponse: 'setSignResponse',
  nameIdentifierFormat: 'setNameIdentifierFormat', nameIdentifierProbes: 'setNameIdentifierProbes',
  createUpnClaim: 'setCreateUpnClaim', passthroughClaimsWithNoMapping: 'setPassthroughClaimsWithNoMapping',
  mapUnknownClaimsAsIs: 'setMapUnknownClaimsAsIs', mapIdentities: 'setMapIdentities',
  signatureAlgorithm: 'setSignatureAlgorithm', digestAlgorithm: 'setDigestAlgorithm',
  includeAttributeNameFormat: 'setIncludeAttributeNameFormat', encryptionCert: 'setEncryptionCert',
  encryptionPublicKey: 'setEncryptionPublicKey', cert: 'setCert', key: 'setKey', signingCert: 'setSigningCert',
  authnContextClassRef: 'setAuthnContextClassRef',
};
// OIDC standard claims and Auth0's root profile attributes: changing them on `user` shaped the tokens
const STANDARD_CLAIMS = new Set(['sub', 'name', 'given_name', 'family_name', 'middle_name', 'nickname',
  'preferred_username', 'profile', 'picture', 'website', 'email', 'email_verified', 'gender', 'birthdate',
  'zoneinfo', 'locale', 'phone_number', 'phone_number_verified', 'address', 'updated_at', 'user_id', 'username',
  'identities', 'created_at', 'blocked', 'groups', 'upn']);
const REQUEST_MAP = {
  ip: 'ip', hostname: 'hostname', query: 'query', body: 'body', userAgent: 'user_agent',
  language: 'language', method: 'method',
};
const GEOIP_MAP = {
  country_code: 'countryCode', country_code3: 'countryCode3', country_name: 'countryName',
  city_name: 'cityName', latitude: 'latitude', longitude: 'longitude', time_zone: 'timeZone',
  continent_code: 'continentCode',
};
const CONTEXT_TODO = {
  sso: ['context.sso', S.sso],
  primaryUser: ['context.primaryUser (linked accounts)', S.limits],
  connectionOptions: ['context.connectionOptions', S.limits],
  jwtConfiguration: ['context.jwtConfiguration', S.context],
};
const REQUEST_METHODS = { get: 'GET', post: 'POST', put: 'PUT', patch: 'PATCH', del: 'DELETE',
  delete: 'DELETE', head: 'HEAD' };
const MFA_OPTIONS = new Set(['allowRememberBrowser']);
const DUO_OPTIONS = new Set(['host', 'ikey', 'skey']);

class Unsupported extends Error {}

// The properties of an action's event.user (Auth0's post-login event object)
const EVENT_USER = new Set(['app_metadata', 'created_at', 'email', 'email_verified', 'enrolledFactors', 'family_name',
  'given_name', 'identities', 'last_password_reset', 'multifactor', 'name', 'nickname', 'phone_number',
  'phone_verified', 'picture', 'updated_at', 'user_id', 'user_metadata', 'username']);
// String methods: a path they are called on is probed with a string (probes())
const STRING_METHODS = new Set(['split', 'toLowerCase', 'toUpperCase', 'trim', 'replace', 'match', 'substring', 'substr',
  'slice', 'charAt', 'startsWith', 'endsWith', 'padStart', 'localeCompare', 'normalize']);

function isIdent(node, name) {
  return node && node.type === 'Identifier' && (name === undefined || node.name === name);
}
function propName(member) {
  if (!member || member.type !== 'MemberExpression') return null;
  if (!member.computed && member.property.type === 'Identifier') return member.property.name;
  if (member.computed && member.property.type === 'Literal' && typeof member.property.value === 'string') {
    return member.property.value;
  }
  return null;
}
function isNullish(node) {
  return !node || (node.type === 'Literal' && node.value === null) || isIdent(node, 'undefined');
}
function isFunction(node) {
  return node && (node.type === 'FunctionExpression' || node.type === 'ArrowFunctionExpression' ||
    node.type === 'FunctionDeclaration');
}
function quote(s) {
  return "'" + String(s).replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
}

// The constant text a message expression starts with ('a: ' + x -> 'a: '), for matching test expectations.
function literalPrefix(node) {
  if (!node) return '';
  if (node.type === 'Literal' && typeof node.value === 'string') return node.value;
  if (node.type === 'TemplateLiteral') return node.quasis[0].value.cooked || '';
  if (node.type === 'BinaryExpression' && node.operator === '+') return literalPrefix(node.left);
  return '';
}

// Is the value only tested for truth (`x && …`, `!x`, `if (x)`)? Then a renamed-keys object is as good.
function usedForTruth(node) {
  const p = node.parent;
  if (p.type === 'LogicalExpression') return p.left === node || usedForTruth(p);
  if (p.type === 'UnaryExpression') return p.operator === '!';
  if (p.type === 'IfStatement' || p.type === 'ConditionalExpression' || p.type === 'WhileStatement') return p.test === node;
  return false;
}

function setParents(node, parent) {
  node.parent = parent;
  for (const key of Object.keys(node)) {
    if (key === 'parent' || key === 'loc' || key === 'range') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const child of value) if (child && typeof child.type === 'string') setParents(child, node);
    } else if (value && typeof value.type === 'string') {
      setParents(value, node);
    }
  }
}

function walk(node, visit) {
  visit(node);
  for (const key of Object.keys(node)) {
    if (key === 'parent' || key === 'loc' || key === 'range') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      for (const child of value) if (child && typeof child.type === 'string') walk(child, visit);
    } else if (value && typeof value.type === 'string') {
      walk(value, visit);
    }
  }
}

class Migration {
  constructor(code, pins) {
    this.pins = pins || {}; // module required without a version -> {version, source} (decided in Python)
    this.pinned = [];
    this.newestPins = []; // {arg, name, version}: requires pinned to npm's newest release (instrument())
    this.src = '(' + code + '\n)';
    this.offset = 1; // characters added before the rule's code
    this.ast = acorn.parse(this.src, { ecmaVersion: 2022, sourceType: 'script', locations: true,
      ranges: true });
    const stmt = this.ast.body[0];
    if (this.ast.body.length !== 1 || stmt.type !== 'ExpressionStatement' ||
        !(stmt.expression.type === 'FunctionExpression' || stmt.expression.type === 'ArrowFunctionExpression')) {
      throw new Unsupported('the rule is not a single function expression');
    }
    this.fn = stmt.expression;
    if (this.fn.body.type !== 'BlockStatement') throw new Unsupported('the rule function has no body block');
    setParents(this.ast, null);
    this.scopes = eslintScope.analyze(this.ast, { ecmaVersion: 2022, sourceType: 'script' });
    this.edits = [];
    this.denyPrefixes = new Set();
    this.handledCallbackRefs = new Set();
    this.todos = [];
    this.todoKeys = new Set();
    this.secrets = new Set();
    this.dependencies = new Map();
    this.sandboxUsed = new Map();  // sandbox global name -> { module, version }
    this.requestsConverted = new Set(); // request calls converted to axios
    this.awaitedStatements = []; // statements that became an await without inlining a callback
    this.hoisted = [];
    this.handlerFns = new Set([this.fn]); // functions whose body becomes handler code
    this.inlined = new Map(); // inlined function -> {stmt it came from, whether its end ends that stmt}
    this.continuationSites = new Map(); // call of a continuation helper -> the helper
    this.continuationFns = new Set();
    this.valueFirst = new Set(); // continuation helpers answering with a value alone: `done(value)`
    this.valueFirstDone = new Set(); // their `done(value)` calls
    this.roles = new Map(); // Identifier node -> role
    this.usedNames = new Set();
    for (const scope of this.scopes.scopes) {
      for (const v of scope.variables) this.usedNames.add(v.name);
      for (const r of scope.through) this.usedNames.add(r.identifier.name);
    }
    this.usedNames.add('event');
    this.usedNames.add('api');
    // The handler's parameters are `event` and `api`: a name of the rule's own that is one of them (a helper's
    // parameter `event`) would hide them wherever converted code reads them, so it gets a fresh name.
    this.renamedParams = new Map(); // declaring identifier -> its fresh name
    for (const scope of this.scopes.scopes) {
      for (const v of scope.variables) {
        if ((v.name !== 'event' && v.name !== 'api') || !v.defs.length) continue;
        const fresh = this.freshName(v.name);
        const ids = new Set([...v.defs.map((d) => d.name), ...v.references.map((r) => r.identifier)]);
        for (const id of ids) this.edit(id, fresh);
        for (const d of v.defs) this.renamedParams.set(d.name, fresh);
      }
    }
  }

  // ---- edits -------------------------------------------------------------------------------------
  edit(node, fn, start, end) {
    this.edits.push({ start: start === undefined ? node.start : start, end: end === undefined ? node.end : end,
      fn: typeof fn === 'string' ? () => fn : fn, emitted: false });
  }
  render(start, end) {
    const inside = this.edits.filter((e) =>
      (e.start === e.end ? e.start >= start && e.start < end : e.start >= start && e.end <= end) &&
      !(e.start === start && e.end === end && e.start !== e.end && e.rendering));
    inside.sort((a, b) => a.start - b.start || (a.start === a.end ? 0 : 1) - (b.start === b.end ? 0 : 1) ||
      (b.end - b.start) - (a.end - a.start));
    let out = '';
    let pos = start;
    for (const e of inside) {
      if (e.start < pos) {
        if (e.end <= pos || e.start === e.end) continue; // nested in an edit already applied
        throw new Error('overlapping edits at ' + e.start);
      }
      out += this.src.slice(pos, e.start);
      e.rendering = true;
      out += e.fn();
      e.rendering = false;
      e.emitted = true;
      pos = e.end;
    }
    return out + this.src.slice(pos, end);
  }
  text(node) {
    return this.render(node.start, node.end);
  }
  indentOf(node) {
    const lineStart = this.src.lastIndexOf('\n', node.start - 1) + 1;
    const m = /^[ \t]*/.exec(this.src.slice(lineStart));
    return m[0];
  }
  freshName(base) {
    let name = base;
    for (let i = 2; this.usedNames.has(name); i++) name = base + i;
    this.usedNames.add(name);
    return name;
  }

  // ---- TODOs -------------------------------------------------------------------------------------
  todo(node, idiom, section) {
    const stmt = this.statementOf(node);
    const line = node.loc.start.line;
    const key = stmt.start + '|' + idiom;
    const entry = { idiom, section, line };
    if (!this.todoKeys.has(idiom + '|' + line)) {
      this.todoKeys.add(idiom + '|' + line);
      this.todos.push(entry);
    }
    if (this.todoKeys.has(key)) return;
    this.todoKeys.add(key);
    const indent = this.indentOf(stmt);
    const at = stmt.start;
    const lineStart = this.src.lastIndexOf('\n', at - 1) + 1;
    const alone = /^[ \t]*$/.test(this.src.slice(lineStart, at)); // the statement starts its line
    this.edits.push({ start: at, end: at, emitted: false, todo: true,
      fn: () => (alone ? '' : '\n' + indent) + '// TODO(migrate): ' + idiom + ' — see "' + section + '"\n' + indent });
  }
  statementOf(node) {
    let n = node;
    while (n.parent) {
      const p = n.parent;
      if ((p.type === 'BlockStatement' || p.type === 'Program') && p.body.includes(n)) return n;
      if (p.type === 'SwitchCase' && p.consequent.includes(n)) return n;
      n = p;
    }
    return node;
  }
  enclosingFunction(node) {
    let n = node.parent;
    while (n && !isFunction(n)) n = n.parent;
    return n;
  }
  atHandlerLevel(node) {
    return this.handlerFns.has(this.enclosingFunction(node));
  }

  // ---- roles of the rule's parameters and globals ------------------------------------------------
  collectRoles() {
    const fnScope = this.scopes.acquire(this.fn, true);
    const names = ['user', 'context', 'callback'];
    this.fn.params.forEach((param, i) => {
      if (i > 2) return;
      if (param.type !== 'Identifier') throw new Unsupported('rule parameters are not plain names');
      const variable = fnScope.set.get(param.name);
      for (const ref of variable.references) this.roles.set(ref.identifier, names[i]);
    });
    for (const ref of this.scopes.globalScope.through) {
      const name = ref.identifier.name;
      if (['configuration', 'auth0', 'UnauthorizedError', 'global', 'require', 'request'].includes(name)) {
        this.roles.set(ref.identifier, name === 'request' ? 'request' : name);
      } else if (Object.prototype.hasOwnProperty.call(SANDBOX_GLOBALS, name)) {
        const found = SANDBOX_GLOBALS[name];
        if (!this.sandboxUsed.has(name)) {
          this.sandboxUsed.set(name, found);
          if (found.version) this.dependencies.set(found.module, found.version);
          if (found.todo) this.todo(ref.identifier, found.todo, S.deps);
        }
      } else if (SANDBOX_UNSUPPORTED.includes(name)) {
        this.todo(ref.identifier, 'the Rules sandbox global ' + name + ', which has no plain module in Actions',
          S.deps);
      } else if (!ACTION_GLOBALS.has(name)) {
        this.todo(ref.identifier, 'the name ' + name + ' is neither declared nor a global of an action', S.limits);
      }
    }
  }
  refsOf(role) {
    return [...this.roles].filter(([, r]) => r === role).map(([id]) => id);
  }

  // ---- require() ---------------------------------------------------------------------------------
  convertRequires() {
    for (const id of this.refsOf('require')) {
      const call = id.parent;
      if (!(call.type === 'CallExpression' && call.callee === id)) {
        this.todo(id, 'require used as a value', S.deps);
        continue;
      }
      const arg = call.arguments[0];
      if (!(arg && arg.type === 'Literal' && typeof arg.value === 'string')) {
        this.todo(call, 'require() of a computed module name', S.deps);
        continue;
      }
      const m = /^((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?(\/.*)?$/.exec(arg.value);
      if (!m) {
        this.todo(call, 'require(' + quote(arg.value) + ')', S.deps);
        continue;
      }
      const [, name, given, subpath] = m;
      const core = builtinModules.includes(name) || name.startsWith('node:');
      const pin = !given && !core && Object.prototype.hasOwnProperty.call(this.pins, name) ? this.pins[name] : null;
      const version = given || (pin && pin.version);
      if (name === 'request') {
        this.bindRequest(call);
        continue;
      }
      if (core) {
        if (version) this.edit(arg, quote(name + (subpath || '')));
        continue;
      }
      if (name === 'auth0') {
        this.todo(call, 'the auth0 Management API client', S.mgmt);
        continue;
      }
      if (!version || !/^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/.test(version)) {
        this.todo(call, 'require(' + quote(arg.value) + ') without an exact version', S.deps);
        continue;
      }
      this.dependencies.set(name, version);
      if (pin && !this.pinned.some((p) => p.name === name)) {
        this.pinned.push({ name, version: pin.version, source: pin.source });
      }
      // a version npm chose (not the one the rule ran with): the side-by-side run gives the rule the same
      // version, and the migration is complete only if a generated case loaded it on both sides and agreed
      // (differential.py); the pin is said in the output's note
      if (pin && pin.check && !subpath) {
        this.newestPins.push({ arg, name, version: pin.version });
        this.unawaitedCalls(call, name);
      }
      else if (pin && pin.check) {
        this.todo(call, "require('" + name + subpath + "') pinned to " + pin.version + ", npm's newest release, " +
          'not the version the rule ran with: check its calls against this version', S.deps);
      }
      this.edit(arg, quote(name + (subpath || '')));
      this.hoistRequire(call);
    }
  }
  // A package pinned to npm's newest release whose call result the rule drops (`slack.success({...});`):
  // if this version answers with a promise, the action neither waits for it (work after an action returns
  // may never run) nor catches its failure (an unhandled rejection): a TODO, as nothing the cases compare
  // shows it. `call` is the require; the name bound to it, or to a call of it, is followed.
  unawaitedCalls(call, name) {
    let init = call;
    while (init.parent.type === 'CallExpression' && init.parent.callee === init) init = init.parent;
    const decl = init.parent;
    if (!(decl.type === 'VariableDeclarator' && decl.init === init && decl.id.type === 'Identifier')) return;
    const variable = this.scopes.getDeclaredVariables(decl)[0];
    for (const ref of variable ? variable.references : []) {
      let n = ref.identifier;
      while (n.parent.type === 'MemberExpression' && n.parent.object === n) n = n.parent;
      if (n.parent.type === 'CallExpression' && n.parent.callee === n && n.parent.parent.type === 'ExpressionStatement') {
        this.todo(n.parent, "the result of this call on '" + name + "' (pinned to npm's newest release) is dropped: " +
          'if this version answers with a promise, await it (and catch its failure, as the rule did not wait)', S.callbacks);
      }
    }
  }
  // `var x = require('m@1.2.3');` as a top-level statement of the rule moves above the handler.
  hoistRequire(call) {
    const decl = call.parent;
    const stmt = decl && decl.parent;
    if (!(decl.type === 'VariableDeclarator' && decl.init === call && decl.id.type === 'Identifier' &&
          stmt.type === 'VariableDeclaration' && stmt.declarations.length === 1 &&
          stmt.parent === this.fn.body)) return;
    const kind = stmt.kind === 'var' ? 'const' : stmt.kind;
    const variable = this.scopes.getDeclaredVariables(decl)[0];
    if (variable && variable.references.some((r) => r.isWrite() && r.identifier !== decl.id)) return;
    this.hoisted.push(() => kind + ' ' + decl.id.name + ' = ' + this.text(call) + ';');
    this.removeStatement(stmt);
  }
  removeStatement(stmt) {
    // Remove the statement and its line (indentation before, newline after) when it is alone on it.
    const lineStart = this.src.lastIndexOf('\n', stmt.start - 1) + 1;
    const before = this.src.slice(lineStart, stmt.start);
    const nl = this.src.indexOf('\n', stmt.end);
    const after = nl === -1 ? '' : this.src.slice(stmt.end, nl);
    if (/^[ \t]*$/.test(before) && /^[ \t]*$/.test(after) && nl !== -1) {
      this.edit(stmt, '', lineStart, nl + 1);
    } else {
      this.edit(stmt, '');
    }
  }

  // ---- the request module -> axios ---------------------------------------------------------------
  bindRequest(call) {
    // require('request') bound to a variable: its uses are request calls; anything else is a TODO.
    const decl = call.parent;
    if (!(decl.type === 'VariableDeclarator' && decl.init === call && decl.id.type === 'Identifier')) {
      this.todo(call, 'the request module used without a variable', S.deps);
      return;
    }
    const variable = this.scopes.getDeclaredVariables(decl)[0];
    for (const ref of variable.references) {
      if (ref.identifier !== decl.id) this.roles.set(ref.identifier, 'request');
    }
    const stmt = decl.parent;
    if (stmt.declarations.length === 1) this.removeStatement(stmt);
    else this.todo(call, 'the request module declared with other variables', S.deps);
  }
  requestCall(expr) {
    // request(opts, cb) / request.get(opts, cb) ... -> {method, options, cb} or null
    if (!expr || expr.type !== 'CallExpression') return null;
    const callee = expr.callee;
    const call = expr;
    let method = null;
    if (isIdent(callee) && this.roles.get(callee) === 'request') method = null;
    else if (callee.type === 'MemberExpression' && isIdent(callee.object) &&
             this.roles.get(callee.object) === 'request' && REQUEST_METHODS[propName(callee)]) {
      method = REQUEST_METHODS[propName(callee)];
    } else return null;
    // (options, cb), (url, options, cb), (url, cb); without a callback: fire and forget
    const args = [...expr.arguments];
    const last = args[args.length - 1];
    const cb = isFunction(last) ? args.pop() : null;
    if (cb && cb.body.type !== 'BlockStatement') return null;
    if (args.some((a) => a.type === 'SpreadElement' || isFunction(a))) return null;
    if (args.length === 1) return { method, options: args[0], url: null, cb, call };
    if (args.length === 2 && args[1].type === 'ObjectExpression') {
      return { method, options: args[1], url: args[0], cb, call };
    }
    return null;
  }
  // The options as axios config text, (indent) -> text. Options held in a variable initialised with an object
  // literal, used only here, are translated where the object is written (the evaluation order stays).
  requestConfig(rc) {
    const { method, url } = rc;
    let options = rc.options;
    if (isIdent(options) && !url) {
      const variable = this.variableOf(options);
      const defs = variable ? variable.defs.filter((d) => d.type === 'Variable') : [];
      const init = defs.length === 1 ? defs[0].node.init : null;
      const reads = variable ? variable.references.filter((r) => !r.init) : [];
      if (init && init.type === 'ObjectExpression' && reads.length === 1 && reads[0].identifier === options &&
          !reads[0].isWrite()) {
        this.axiosConfig(method, init, '', true, null);
        this.edit(init, () => this.axiosConfig(method, init, this.indentOf(this.statementOf(init)), false, null));
        const name = options.name;
        return () => name;
      }
    }
    this.axiosConfig(method, options, '', true, url);
    return (indent) => this.axiosConfig(method, options, indent, false, url);
  }
  axiosConfig(method, options, indent, dry, url) {
    // dry: only register the TODOs for options axios has no equivalent of (done before rendering);
    // url: the URL given before the options (`request.post(url, {form}, cb)`), or null
    const inner = indent + '  ';
    const todo = (...args) => { if (dry) this.todo(...args); };
    const props = [];
    if (method) props.push('method: ' + quote(method));
    if (url) props.push('url: ' + (dry ? '' : this.text(url)));
    let sawJson = false;
    const form = options.type === 'ObjectExpression' ? options.properties.find((p) => p.type === 'Property' &&
      !p.computed && (isIdent(p.key, 'form') || p.key.value === 'form')) : null;
    const formIsText = form && ((form.value.type === 'Literal' && typeof form.value.value === 'string') ||
      form.value.type === 'TemplateLiteral');
    const hasQs = options.type === 'ObjectExpression' && options.properties.some((p) => p.type === 'Property' &&
      !p.computed && (isIdent(p.key, 'qs') || p.key.value === 'qs'));
    if (((form && !formIsText) || hasQs) && dry && !this.qsName) {
      // request encoded a form object with qs (6.4 in request 2.81), nested objects as a[b]=c: so does the action
      this.qsName = this.freshName('qs');
      this.sandboxUsed.set(this.qsName, QS);
      this.dependencies.set(QS.module, QS.version);
    }
    const formType = "'content-type': 'application/x-www-form-urlencoded'";
    if (options.type !== 'ObjectExpression') {
      if (!this.isStringish(options)) todo(options, 'request options that are not an object literal', S.deps);
      props.push('url: ' + (dry ? '' : this.text(options)));
    } else {
      for (const p of options.properties) {
        const key = p.type === 'Property' && !p.computed ?
          (p.key.type === 'Identifier' ? p.key.name : String(p.key.value)) : null;
        if (key === null || p.kind !== 'init' || p.method) {
          todo(p, 'a request option that is not a plain key', S.deps);
          continue;
        }
        const v = () => (dry ? '' : this.text(p.value));
        if (key === 'url' || key === 'uri') props.push('url: ' + v());
        else if (key === 'method') props.push('method: ' + v());
        else if (key === 'headers') props.push('headers: ' + (form ? '{ ...' + v() + ', ' + formType + ' }' : v()));
        else if (key === 'qs') {
          // request wrote its query with qs (arrays as ids[0]=a); axios's own serializer writes ids[]=a
          props.push('params: ' + v());
          props.push('paramsSerializer: { serialize: (params) => ' + (dry ? '' : this.qsName) + '.stringify(params) }');
        }
        else if (key === 'timeout') props.push('timeout: ' + v());
        else if (key === 'body') props.push('data: ' + v());
        else if (key === 'form') {
          props.push('data: ' + (formIsText ? v() : (dry ? '' : this.qsName) + '.stringify(' + v() + ')'));
          if (!options.properties.some((o) => o.type === 'Property' && !o.computed && isIdent(o.key, 'headers'))) {
            props.push('headers: { ' + formType + ' }');
          }
        }
        else if (key === 'json') {
          sawJson = true;
          if (p.value.type === 'Literal' && p.value.value === false) sawJson = false;
          else if (!(p.value.type === 'Literal' && p.value.value === true)) props.push('data: ' + v());
        } else if (key === 'auth' && p.value.type === 'ObjectExpression') {
          const parts = [];
          for (const ap of p.value.properties) {
            const k = ap.type === 'Property' && !ap.computed ? (isIdent(ap.key) ? ap.key.name :
              (ap.key.type === 'Literal' ? String(ap.key.value) : null)) : null;
            if (k === 'user' || k === 'username') parts.push('username: ' + (dry ? '' : this.text(ap.value)));
            else if (k === 'pass' || k === 'password') parts.push('password: ' + (dry ? '' : this.text(ap.value)));
            else todo(ap, 'request option auth.' + (k || '?'), S.deps);
          }
          props.push('auth: { ' + parts.join(', ') + ' }');
        } else {
          todo(p, 'request option ' + quote(key), S.deps);
        }
      }
    }
    // without a body, request sent no content type; axios would send a form one on POST: say none
    const keys = options.type === 'ObjectExpression' ? options.properties.map((p) => p.type === 'Property' &&
      !p.computed ? (p.key.type === 'Identifier' ? p.key.name : String(p.key.value)) : null) : [];
    const jsonBody = options.type === 'ObjectExpression' && options.properties.some((p) => p.type === 'Property' &&
      !p.computed && (isIdent(p.key, 'json') || p.key.value === 'json') && !(p.value.type === 'Literal'));
    const methodProp = options.type === 'ObjectExpression' ? options.properties.find((p) => p.type === 'Property' &&
      !p.computed && (isIdent(p.key, 'method') || p.key.value === 'method')) : null;
    const verb = method || (methodProp && methodProp.value.type === 'Literal' ? String(methodProp.value.value).toUpperCase()
      : methodProp ? null : 'GET');
    // (a string body too: request sent it with no content type, axios would call it a form)
    if (!keys.includes('form') && !jsonBody && !(keys.includes('body') && sawJson) && verb !== 'GET' &&
        verb !== 'HEAD') {
      const at = props.findIndex((p) => p.startsWith('headers: '));
      if (at >= 0) props[at] = "headers: { 'Content-Type': false, ..." + props[at].slice('headers: '.length) + ' }';
      else props.push("headers: { 'Content-Type': false }");
    }
    if (!sawJson) props.push("responseType: 'text'");
    props.push('validateStatus: () => true');
    return '{\n' + props.map((p) => inner + p).join(',\n') + '\n' + indent + '}';
  }
  // A URL: a string, a template, a concatenation, or a variable initialised with one of those.
  isStringish(node) {
    if ((node.type === 'Literal' && typeof node.value === 'string') || node.type === 'TemplateLiteral') return true;
    if (node.type === 'BinaryExpression' && node.operator === '+') return this.isStringish(node.left) || this.isStringish(node.right);
    if (node.type === 'Identifier') {
      for (let scope = this.scopes.acquire(this.enclosingFunction(node), true); scope; scope = scope.upper) {
        const v = scope.set.get(node.name);
        if (!v) continue;
        const defs = v.defs.filter((d) => d.type === 'Variable');
        return defs.length === 1 && v.references.every((r) => !r.isWrite() || r.init) && Boolean(defs[0].node.init) &&
          this.isStringish(defs[0].node.init);
      }
    }
    return false;
  }
  convertRequestStatement(stmt, rc) {
    const { cb } = rc;
    this.dependencies.set(AXIOS.name, AXIOS.version);
    this.needAxios = true;
    this.requestsConverted.add(rc.call);
    if (!cb) {
      // fire and forget: the rule did not wait; an action must finish its work before it returns, and
      // a failure of this request did not stop the login, so it does not now
      const config = this.requestConfig(rc);
      this.edit(stmt, () => 'await axios(' + config(this.indentOf(stmt)) + ').catch(() => {});');
      this.awaitedStatements.push(stmt);
      return;
    }
    const [, resP] = cb.params;
    if (resP && resP.type === 'Identifier') {
      for (const ref of this.scopes.acquire(cb, true).set.get(resP.name).references) {
        const m = ref.identifier.parent;
        const key = propName(m);
        if (m.type === 'MemberExpression' && m.object === ref.identifier && !m.computed &&
            (key === 'statusCode' || key === 'body')) {
          this.edit(m.property, key === 'statusCode' ? 'status' : 'data');
        }
      }
    }
    const config = this.requestConfig(rc);
    this.convertNodeCallback(stmt, cb, (indent) => 'await axios(' + config(indent) + ')', (res) => res + '.data');
  }
  // Parameters of `cb` that shadow a name of an enclosing scope: each gets a fresh name, at its declaration
  // and every reference. -> Map(param node -> new name)
  renameShadowing(cb, params) {
    const cbScope = this.scopes.acquire(cb, true);
    const renamed = new Map();
    for (const p of params) {
      if (!p) continue;
      if (this.renamedParams.has(p)) { // `event`, `api`: renamed already
        renamed.set(p, this.renamedParams.get(p));
        continue;
      }
      let shadows = false;
      for (let scope = cbScope.upper; scope && !shadows; scope = scope.upper) shadows = scope.set.has(p.name);
      if (!shadows) continue;
      const fresh = this.freshName(p.name);
      renamed.set(p, fresh);
      for (const ref of cbScope.set.get(p.name).references) this.edit(ref.identifier, fresh);
    }
    return renamed;
  }
  // `f(..., function (err, a, b) { BODY })` as a statement -> `a = await <call>` and BODY after it.
  // `valueOf(res)` gives the expression for the third parameter (request's body), if any.
  convertNodeCallback(stmt, cb, callText, valueOf) {
    this.handlerFns.add(cb);
    this.inlined.set(cb, { stmt, tail: true });
    const [errP, resP, bodyP] = cb.params;
    for (const p of [errP, resP, bodyP]) {
      if (p && p.type !== 'Identifier') throw new Unsupported('callback parameters are not plain names');
    }
    const cbScope = this.scopes.acquire(cb, true);
    const used = (p) => p && cbScope.set.get(p.name).references.length > 0;
    const bodyUsed = used(bodyP) && valueOf;
    const errName = errP ? errP.name : this.freshName('err');
    // inlined, a parameter shadowing an outer name (nested callbacks both naming theirs `response`) would be
    // declared twice in one scope: it gets a fresh name
    const renamed = this.renameShadowing(cb, [errP, resP, bodyP]);
    const out$ = (p, name) => (p && renamed.get(p)) || name;
    const errOut = out$(errP, errName);
    const resName = resP ? out$(resP, resP.name) : this.freshName('response');
    const bodyName = bodyP ? out$(bodyP, bodyP.name) : null;
    const needRes = used(resP) || bodyUsed;
    const background = this.inBackground(stmt, cb);
    this.edit(stmt, () => {
      const text = this.nodeCallbackText(stmt, cb, callText, valueOf, { errName, errOut, resName, bodyName, needRes, bodyUsed });
      return background ? this.backgroundWrap(stmt, text) : text;
    });
  }
  nodeCallbackText(stmt, cb, callText, valueOf, names) {
    const { errName, errOut, resName, bodyName, needRes, bodyUsed } = names;
    const indent = this.indentOf(stmt);
    const call = callText(indent + '  ');
    const stmts = cb.body.body;
    const first = stmts[0];
    const out = [];
    const errorFirst = first && first.type === 'IfStatement' && isIdent(first.test, errName) && !first.alternate;
    // the whole callback is `callback(err, user, context)`: the error fails the login, as a throw does
    const only = stmts.length === 1 ? (stmts[0].type === 'ReturnStatement' ? stmts[0].argument :
      stmts[0].type === 'ExpressionStatement' ? stmts[0].expression : null) : null;
    if (only && this.isCallbackCall(only) && isIdent(only.arguments[0], errName) && !needRes) {
      return callText(indent) + ';';
    }
    if (errorFirst && this.rethrows(first.consequent, errName)) {
      // `if (err) return callback(err);`: an error just fails the login, as a throw does
      const plain = callText(indent);
      out.push(needRes ? 'const ' + resName + ' = ' + plain + ';' : plain + ';');
      if (bodyUsed) out.push(indent + 'const ' + bodyName + ' = ' + valueOf(resName) + ';');
      const rest = this.blockInner(cb.body, indent, first.end);
      if (rest) out.push(indent + rest);
    } else if (errorFirst && this.terminates(first.consequent)) {
      // Idiomatic shape when the callback starts with `if (err) { ...; return }` and no else.
      const cons = first.consequent;
      out.push(needRes ? 'let ' + resName + ';' : '');
      out.push(indent + 'try {');
      out.push(indent + '  ' + (needRes ? resName + ' = ' : '') + call + ';');
      out.push(indent + '} catch (' + errOut + ') {');
      out.push(indent + '  ' + (cons.type === 'BlockStatement' ?
        this.blockInner(cons, indent + '  ') : this.reindent(this.text(cons), this.indentOf(cons), indent + '  ')));
      out.push(indent + '}');
      if (bodyUsed) out.push(indent + 'const ' + bodyName + ' = ' + valueOf(resName) + ';');
      const rest = this.blockInner(cb.body, indent, first.end);
      if (rest) out.push(indent + rest);
    } else {
      const caught = this.freshName('error');
      out.push('let ' + errOut + ' = null;');
      if (needRes) out.push(indent + 'let ' + resName + ';');
      out.push(indent + 'try {');
      out.push(indent + '  ' + (needRes ? resName + ' = ' : '') + call + ';');
      out.push(indent + '} catch (' + caught + ') {');
      out.push(indent + '  ' + errOut + ' = ' + caught + ';');
      out.push(indent + '}');
      if (bodyUsed) {
        out.push(indent + 'const ' + bodyName + ' = ' + resName + ' ? ' + valueOf(resName) + ' : undefined;');
      }
      if (stmts.length) out.push(indent + this.blockInner(cb.body, indent));
    }
    return out.filter((l) => l !== '').join('\n').replace(/^\s+/, '');
  }

  // Work the rule started and did not wait for: a call with a callback, at the top of the rule, whose
  // callback never finishes the login, followed only by function declarations and the rule's own final
  // `callback(null, user, context)`. On Auth0 the login went on and a failure there stopped nothing; an action
  // must finish its work before it returns, so it waits, and a failure is logged, not thrown.
  inBackground(stmt, cb) {
    if (stmt.type !== 'ExpressionStatement' || stmt.parent !== this.fn.body) return false;
    let finishes = false;
    walk(cb, (n) => {
      if (isIdent(n) && ['callback', 'done'].includes(this.roles.get(n))) finishes = true;
    });
    if (finishes) return false;
    const after = this.fn.body.body.slice(this.fn.body.body.indexOf(stmt) + 1)
      .filter((st) => st.type !== 'FunctionDeclaration');
    const last = after.length === 1 ? after[0] : null;
    const expr = last && (last.type === 'ReturnStatement' ? last.argument : last.type === 'ExpressionStatement' ? last.expression : null);
    return Boolean(expr && this.isCallbackCall(expr) && expr.arguments.length && isNullish(expr.arguments[0]));
  }
  backgroundWrap(stmt, text) {
    const indent = this.indentOf(stmt);
    const caught = this.freshName('error');
    return '// (the rule did not wait for this, and its failure did not stop the login)\n' + indent + 'try {\n' +
      indent + '  ' + this.reindent(text, indent, indent + '  ') + '\n' + indent + '} catch (' + caught + ') {\n' +
      indent + '  console.error(' + caught + ');\n' + indent + '}';
  }

  // ---- local helpers that answer through a node-style continuation: `function get(x, done) {...}` ----
  convertContinuations() {
    for (const stmt of this.fn.body.body) {
      // `function get(x, done) {…}`, or `var get = function (x, done) {…}` (an arrow function too)
      const decl = stmt.type === 'VariableDeclaration' && stmt.declarations.length === 1 ? stmt.declarations[0] : null;
      const fn = decl && decl.id.type === 'Identifier' && decl.init && isFunction(decl.init) &&
        decl.init.body.type === 'BlockStatement' ? decl.init : stmt;
      if (!isFunction(fn) || fn.async || fn.generator || !fn.params.length) continue;
      const done = fn.params[fn.params.length - 1];
      if (done.type !== 'Identifier') continue;
      const doneVar = this.scopes.getDeclaredVariables(fn).find((v) => v.name === done.name) ||
        this.scopes.acquire(fn, true).set.get(done.name);
      const doneRefs = doneVar.references.map((r) => r.identifier);
      const okDone = doneRefs.length > 0 && doneRefs.every((id) => {
        const call = id.parent;
        const st = call.parent;
        return call.type === 'CallExpression' && call.callee === id && call.arguments.length <= 2 &&
          (st.type === 'ExpressionStatement' || (st.type === 'ReturnStatement' && st.argument === call));
      });
      const self = fn === stmt ? this.scopes.getDeclaredVariables(fn)[0] : this.scopes.getDeclaredVariables(decl)[0];
      if (!self || self.references.some((r) => r.isWrite() && !r.init)) continue;
      const sites = self.references.filter((r) => !r.init).map((r) => r.identifier);
      const okSites = sites.length > 0 && sites.every((id) => {
        const call = id.parent;
        const st = call.parent;
        const cb = call.arguments[call.arguments.length - 1];
        return call.type === 'CallExpression' && call.callee === id && call.arguments.length === fn.params.length &&
          isFunction(cb) && cb.type !== 'FunctionDeclaration' && cb.body.type === 'BlockStatement' && cb.params.length <= 2 &&
          (st.type === 'ExpressionStatement' || (st.type === 'ReturnStatement' && st.argument === call));
      });
      if (!okDone || !okSites) continue;
      // value first (`done(JSON.parse(body))`, each site's function taking one value): not node-style, so the
      // answer is the helper's return value and nothing is an error
      const errorLike = (a) => (isIdent(a) && /^(e|er|err|error)$|err(or)?$/i.test(a.name)) ||
        (a.type === 'NewExpression' && isIdent(a.callee) && /Error$/.test(a.callee.name)) ||
        (a.type === 'Literal' && typeof a.value === 'string') || isNullish(a);
      const doneCalls = doneRefs.map((id) => id.parent);
      if (doneCalls.every((c) => c.arguments.length <= 1 && !(c.arguments[0] && errorLike(c.arguments[0]))) &&
          doneCalls.some((c) => c.arguments.length === 1) &&
          sites.every((id) => id.parent.arguments[id.parent.arguments.length - 1].params.length <= 1)) {
        this.valueFirst.add(fn);
        for (const c of doneCalls) this.valueFirstDone.add(c);
      }
      for (const id of doneRefs) this.roles.set(id, 'done');
      for (const id of sites) this.continuationSites.set(id.parent, fn);
      this.handlerFns.add(fn);
      this.continuationFns.add(fn);
      this.edit(fn, 'async ', fn.start, fn.start);
      const prev = fn.params[fn.params.length - 2];
      this.edit(done, '', prev ? prev.end : done.start, done.end);
    }
  }
  convertContinuationSite(stmt, call) {
    const cb = call.arguments[call.arguments.length - 1];
    const args = call.arguments.slice(0, -1);
    const callText = () => 'await ' + this.text(call.callee) + '(' + args.map((a) => this.text(a)).join(', ') + ')';
    if (!this.valueFirst.has(this.continuationSites.get(call))) {
      this.convertNodeCallback(stmt, cb, callText, null);
      return;
    }
    // `helper(x, (value) => {...})` -> `const value = await helper(x);` and the function's body after it
    this.handlerFns.add(cb);
    this.inlined.set(cb, { stmt, tail: true });
    const [p] = cb.params;
    if (p && p.type !== 'Identifier') throw new Unsupported('callback parameters are not plain names');
    const renamed = this.renameShadowing(cb, [p]);
    const variable = p ? this.scopes.acquire(cb, true).set.get(p.name) : null;
    const kind = variable && variable.references.some((r) => r.isWrite() && !r.init) ? 'let ' : 'const ';
    const background = this.inBackground(stmt, cb);
    this.edit(stmt, () => {
      const indent = this.indentOf(stmt);
      const rest = this.blockInner(cb.body, indent);
      const text = (p ? kind + (renamed.get(p) || p.name) + ' = ' : '') + callText() + ';' + (rest ? '\n' + indent + rest : '');
      return background ? this.backgroundWrap(stmt, text) : text;
    });
  }
  convertDone() {
    for (const id of this.refsOf('done')) {
      const call = id.parent;
      const st = call.parent;
      if (!this.atHandlerLevel(call)) {
        this.todo(call, 'a helper\'s continuation called inside asynchronous work', S.callbacks);
        continue;
      }
      this.edit(st, () => this.doneReplacement(call));
    }
  }
  doneReplacement(call) {
    const [err, value] = call.arguments;
    if (this.valueFirstDone.has(call)) return 'return' + (err ? ' ' + this.text(err) : '') + ';';
    if (call.arguments.length === 0 || isNullish(err)) return 'return' + (value ? ' ' + this.text(value) : '') + ';';
    // `done(err, body)` passing on what a call answered: err may well be null there
    if (value && (isIdent(err) || err.type === 'MemberExpression')) {
      const check = 'if (' + this.text(err) + ') throw ' + this.text(err) + ';';
      const ret = 'return ' + this.text(value) + ';';
      const inBlock = ['BlockStatement', 'SwitchCase'].includes(call.parent.parent.type);
      return inBlock ? check + '\n' + this.indentOf(call.parent) + ret : '{ ' + check + ' ' + ret + ' }';
    }
    return 'throw ' + this.text(err) + ';';
  }
  blockInner(block, indent, from) {
    // The statements (and comments) inside a block from `from` on, re-indented to `indent`, no braces.
    const stmts = block.body.filter((st) => from === undefined || st.start >= from);
    let start = from === undefined ? block.start + 1 : from;
    const firstLineEnd = this.src.indexOf('\n', start);
    if (firstLineEnd !== -1 && (!stmts.length || firstLineEnd < stmts[0].start) &&
        /^[ \t]*$/.test(this.src.slice(start, firstLineEnd))) {
      start = firstLineEnd + 1;
    }
    const text = this.render(start, block.end - 1).replace(/\s+$/, '');
    if (!text.trim()) return '';
    const lineStart = this.src.lastIndexOf('\n', start - 1) + 1;
    const origIndent = stmts.length ? this.indentOf(stmts[0]) : /^[ \t]*/.exec(this.src.slice(lineStart))[0];
    return this.reindent(text.replace(/^\s*/, ''), origIndent, indent);
  }
  reindent(text, from, to) {
    if (from === to) return text;
    return text.split('\n').map((line, i) => {
      if (i === 0) return line;
      if (line.startsWith(from)) return to + line.slice(from.length);
      if (/^[ \t]*$/.test(line)) return '';
      if (from.startsWith(to)) return line; // less indented than expected: leave it
      return line;
    }).join('\n');
  }
  // Is `stmt` just `callback(name)` / `return callback(name)` / `throw name` (possibly in a block)?
  rethrows(stmt, name) {
    if (!stmt) return false;
    if (stmt.type === 'BlockStatement') return stmt.body.length === 1 && this.rethrows(stmt.body[0], name);
    if (stmt.type === 'ThrowStatement') return isIdent(stmt.argument, name);
    const expr = stmt.type === 'ExpressionStatement' ? stmt.expression :
      stmt.type === 'ReturnStatement' ? stmt.argument : null;
    return this.isCallbackCall(expr) && expr.arguments.length === 1 && isIdent(expr.arguments[0], name);
  }
  terminates(stmt) {
    if (!stmt) return false;
    if (stmt.type === 'ReturnStatement' || stmt.type === 'ThrowStatement') return true;
    if (stmt.type === 'ExpressionStatement' && this.isCallbackCall(stmt.expression)) return true;
    if (stmt.type === 'BlockStatement') return this.terminates(stmt.body[stmt.body.length - 1]);
    if (stmt.type === 'IfStatement') return this.terminates(stmt.consequent) && this.terminates(stmt.alternate);
    return false;
  }
  // Is `stmt` the last thing the handler does on its path (so `return;` there is noise)?
  isTailStmt(stmt) {
    const p = stmt.parent;
    if (p.type === 'BlockStatement') {
      const live = p.body.filter((st) => st.type !== 'FunctionDeclaration');
      return live[live.length - 1] === stmt && this.isTailBlock(p);
    }
    if (p.type === 'IfStatement') return this.isTailStmt(p);
    return false;
  }
  isTailBlock(block) {
    const p = block.parent;
    if (p === this.fn || this.helpers.some((h) => h.fn === p)) return true;
    if (this.inlined.has(p)) {
      const i = this.inlined.get(p);
      return i.tail && this.isTailStmt(i.stmt);
    }
    if (p.type === 'IfStatement') return this.isTailStmt(p);
    if (p.type === 'BlockStatement') return this.isTailStmt(block);
    if (p.type === 'TryStatement') return !p.finalizer && p.block === block && this.isTailStmt(p);
    if (p.type === 'CatchClause') return !p.parent.finalizer && this.isTailStmt(p.parent);
    return false;
  }
  isCallbackCall(expr) {
    // the rule's callback, or a continuation helper's `done`: both finish the current path
    return expr && expr.type === 'CallExpression' && isIdent(expr.callee) &&
      ['callback', 'done'].includes(this.roles.get(expr.callee));
  }

  // ---- promise chains -> await -------------------------------------------------------------------
  promiseChain(expr) {
    // P.then(f)...[.catch(g)] -> {root, thens: [f...], catchFn}
    const links = [];
    let e = expr;
    while (e && e.type === 'CallExpression' && e.callee.type === 'MemberExpression' && !e.callee.computed &&
           ['then', 'catch'].includes(propName(e.callee))) {
      links.unshift({ kind: propName(e.callee), args: e.arguments });
      e = e.callee.object;
    }
    if (!links.length) return null;
    const thens = [];
    let catchFn = null;
    for (let i = 0; i < links.length; i++) {
      const l = links[i];
      if (l.kind === 'then') {
        if (catchFn || l.args.length !== 1 || !(isFunction(l.args[0]))) return null;
        thens.push(l.args[0]);
      } else {
        if (i !== links.length - 1 || l.args.length !== 1) return null;
        catchFn = l.args[0];
        if (!(isFunction(catchFn) || (isIdent(catchFn) && this.roles.get(catchFn) === 'callback'))) return null;
      }
    }
    // every then but the last hands a value on: an expression body or a single final `return X`
    for (let i = 0; i < thens.length - 1; i++) {
      const f = thens[i];
      if (f.body.type === 'BlockStatement') {
        let ok = true;
        walk(f.body, (n) => {
          if (n.type === 'ReturnStatement' && this.enclosingFunction(n) === f && n !== f.body.body[f.body.body.length - 1]) ok = false;
        });
        const last = f.body.body[f.body.body.length - 1];
        if (!ok || !last || last.type !== 'ReturnStatement') return null;
      }
    }
    for (const f of thens) if (f.params.length > 1 || (f.params[0] && f.params[0].type === 'AssignmentPattern')) return null;
    if (thens.length === 0 && !catchFn) return null;
    if (this.metadataCall(e) && thens[0] && thens[0].params.length) return null;
    return { root: e, thens, catchFn };
  }
  convertPromiseStatement(stmt, chain) {
    const { root, thens, catchFn } = chain;
    thens.forEach((f, i) => {
      this.handlerFns.add(f);
      this.inlined.set(f, { stmt, tail: i === thens.length - 1 });
    });
    if (catchFn && !isFunction(catchFn)) this.handledCallbackRefs.add(catchFn);
    if (catchFn && isFunction(catchFn)) {
      this.handlerFns.add(catchFn);
      this.inlined.set(catchFn, { stmt, tail: true });
    }
    this.edit(stmt, () => {
      const indent = this.indentOf(stmt);
      const catchParam = catchFn && isFunction(catchFn) && catchFn.params[0] && isIdent(catchFn.params[0]) ?
        catchFn.params[0].name : null;
      const rethrow = catchParam && (catchFn.body.type === 'BlockStatement' ? this.rethrows(catchFn.body, catchParam) :
        this.isCallbackCall(catchFn.body) && catchFn.body.arguments.length === 1 &&
        isIdent(catchFn.body.arguments[0], catchParam));
      const useTry = catchFn && isFunction(catchFn) && !rethrow;
      const inner = useTry ? indent + '  ' : indent;
      const lines = [];
      let prev = this.awaitText(root, inner);
      thens.forEach((f, i) => {
        const last = i === thens.length - 1;
        const param = f.params[0];
        if (prev !== null) {
          if (param) lines.push('const ' + this.text(param) + ' = ' + prev + ';');
          else lines.push(prev.startsWith('await ') ? prev + ';' : prev);
        }
        if (f.body.type !== 'BlockStatement') {
          if (last) {
            const success = this.isCallbackCall(f.body) && (!f.body.arguments.length || isNullish(f.body.arguments[0]));
            if (!(success && this.isTailStmt(stmt))) lines.push(this.expressionStatement(f.body, inner));
            prev = null;
          } else {
            prev = 'await (' + this.text(f.body) + ')';
          }
        } else {
          const stmts = f.body.body;
          const from = stmts.length ? this.indentOf(stmts[0]) : inner;
          if (last) {
            if (stmts.length) lines.push(this.blockInner(f.body, inner));
            prev = null;
          } else {
            const ret = stmts[stmts.length - 1];
            if (stmts.length > 1) {
              lines.push(this.reindent(this.render(stmts[0].start, stmts[stmts.length - 2].end), from, inner));
            }
            prev = ret.argument ? 'await (' + this.text(ret.argument) + ')' : 'await undefined';
          }
        }
      });
      if (prev !== null) lines.push(prev.startsWith('await ') ? prev + ';' : prev);
      const body = lines.filter((l) => l !== '').join('\n' + inner);
      if (!useTry) return body;
      const param = catchFn.params[0] ? this.text(catchFn.params[0]) : this.freshName('err');
      const catchBody = catchFn.body.type === 'BlockStatement' ?
        this.blockInner(catchFn.body, indent + '  ') : this.expressionStatement(catchFn.body, indent + '  ');
      return 'try {\n' + inner + body + '\n' + indent + '} catch (' + param + ') {\n' + indent + '  ' +
        catchBody + '\n' + indent + '}';
    });
  }
  awaitText(root, indent) {
    // The awaited expression; a metadata update becomes api.user calls (nothing to await).
    const md = this.metadataCall(root);
    if (md) return this.metadataStatements(md, indent);
    return 'await ' + this.text(root);
  }
  expressionStatement(expr, indent) {
    if (this.isCallbackCall(expr) && this.roles.get(expr.callee) === 'done') return this.doneReplacement(expr);
    if (this.isCallbackCall(expr)) return this.callbackReplacement(expr, true);
    return this.reindent(this.text(expr), this.indentOf(expr), indent) + ';';
  }

  // ---- auth0.users.update*Metadata -> api.user.set*Metadata --------------------------------------
  metadataCall(expr) {
    if (!expr || expr.type !== 'CallExpression') return null;
    const c = expr.callee;
    const name = propName(c);
    if (!(name === 'updateAppMetadata' || name === 'updateUserMetadata')) return null;
    const users = c.object;
    if (!(users.type === 'MemberExpression' && propName(users) === 'users' && isIdent(users.object) &&
          this.roles.get(users.object) === 'auth0')) return null;
    const [id, data] = expr.arguments;
    if (expr.arguments.length !== 2) return null;
    if (!(id.type === 'MemberExpression' && propName(id) === 'user_id' && isIdent(id.object) &&
          this.roles.get(id.object) === 'user')) return null;
    return { method: name === 'updateAppMetadata' ? 'setAppMetadata' : 'setUserMetadata', data, call: expr };
  }
  metadataStatements(md, indent) {
    md.call.converted = true;
    const { method, data } = md;
    if (data.type === 'ObjectExpression' && data.properties.every((p) => p.type === 'Property' && !p.computed &&
        p.kind === 'init' && !p.method)) {
      return data.properties.map((p) => {
        const key = isIdent(p.key) ? quote(p.key.name) : quote(p.key.value);
        return 'api.user.' + method + '(' + key + ', ' + this.text(p.value) + ');';
      }).join('\n' + indent) || '';
    }
    const k = this.freshName('key');
    const v = this.freshName('value');
    return 'for (const [' + k + ', ' + v + '] of Object.entries(' + this.text(data) + ')) {\n' + indent +
      '  api.user.' + method + '(' + k + ', ' + v + ');\n' + indent + '}';
  }

  // ---- statement-level async patterns ------------------------------------------------------------
  convertAsyncStatements() {
    // Walk statements of handler-level functions, outermost first; inlined callbacks join the handler.
    const visitBlock = (stmts) => {
      for (const stmt of stmts) {
        let expr = null;
        if (stmt.type === 'ExpressionStatement') expr = stmt.expression;
        else if (stmt.type === 'ReturnStatement') expr = stmt.argument;
        if (expr && expr.type === 'AwaitExpression') expr = expr.argument;
        if (expr && this.continuationSites.has(expr)) {
          this.convertContinuationSite(stmt, expr);
          continue;
        }
        const rc = this.requestCall(expr);
        const chain = rc ? null : this.promiseChain(expr);
        const md = rc || chain ? null : this.metadataCall(expr);
        if (rc) this.convertRequestStatement(stmt, rc);
        else if (chain) this.convertPromiseStatement(stmt, chain);
        else if (md) this.edit(stmt, () => this.metadataStatements(md, this.indentOf(stmt)));
      }
    };
    let changed = true;
    const done = this.asyncDone;
    while (changed) {
      changed = false;
      for (const fn of [...this.handlerFns]) {
        if (done.has(fn)) continue;
        done.add(fn);
        changed = true;
        walk(fn.body, (n) => {
          if (n.type === 'BlockStatement' && this.enclosingFunctionOfBlock(n) === fn) visitBlock(n.body);
          if (n.type === 'SwitchCase' && this.enclosingFunction(n) === fn) visitBlock(n.consequent);
        });
      }
    }
  }
  enclosingFunctionOfBlock(block) {
    return isFunction(block.parent) && block.parent.body === block ? block.parent : this.enclosingFunction(block);
  }

  // ---- callback(...) -----------------------------------------------------------------------------
  callbackReplacement(call, asStatement) {
    const args = call.arguments;
    const ret = (s) => 'return' + (s ? ' ' + s : '') + ';';
    if (args.length === 0 || isNullish(args[0])) return ret('');
    const err = args[0];
    if (err.type === 'NewExpression' && isIdent(err.callee) &&
        (this.roles.get(err.callee) === 'UnauthorizedError' || err.callee.name === 'Error') &&
        err.arguments.length <= 1) {
      this.denies = true;
      this.denyPrefixes.add(literalPrefix(err.arguments[0]));
      return ret('api.access.deny(' + (err.arguments[0] ? this.text(err.arguments[0]) : "'Access denied'") + ')');
    }
    // callback('Signup disabled'): a rule failed the login with that message; an action denies with it
    if ((err.type === 'Literal' && typeof err.value === 'string') || err.type === 'TemplateLiteral') {
      this.denies = true;
      this.denyPrefixes.add(literalPrefix(err));
      return ret('api.access.deny(' + this.text(err) + ')');
    }
    this.throws = true;
    return 'throw ' + this.text(err) + ';';
  }
  convertCallbacks() {
    for (const id of this.refsOf('callback')) {
      if (this.handledCallbackRefs.has(id)) continue;
      const call = id.parent;
      if (!(call.type === 'CallExpression' && call.callee === id)) {
        this.todo(id, 'callback passed on as a value', S.callbacks);
        continue;
      }
      if (!this.atHandlerLevel(call)) {
        this.todo(call, 'callback inside asynchronous work', S.callbacks);
        continue;
      }
      const args = call.arguments;
      const p = call.parent;
      if (args.length > 1 && !isNullish(args[0])) {
        // callback(err, user, context) with err a name: fails the login when err is set, else continues
        const statement = p.type === 'ExpressionStatement' || (p.type === 'ReturnStatement' && p.argument === call);
        if (isIdent(args[0]) && statement && p.parent.type === 'BlockStatement') {
          const name = this.text(args[0]);
          const tail = this.isTailStmt(p);
          this.throws = true;
          this.edit(p, () => 'if (' + name + ') throw ' + name + ';' + (tail ? '' : '\n' + this.indentOf(p) + 'return;'));
        } else {
          this.todo(call, 'callback with an error that may be null', S.callbacks);
        }
        continue;
      }
      const success = args.length === 0 || isNullish(args[0]);
      if (success && (p.type === 'ExpressionStatement' || p.type === 'ReturnStatement') &&
          p.parent.type === 'BlockStatement' && this.isTailStmt(p)) {
        this.removeStatement(p);
      } else if (p.type === 'ExpressionStatement' || (p.type === 'ReturnStatement' && p.argument === call)) {
        this.edit(p, () => this.callbackReplacement(call, true));
      } else if (p.type === 'ArrowFunctionExpression' && p.body === call && this.handlerFns.has(p)) {
        // an inlined expression-bodied arrow; the promise conversion renders it
      } else {
        this.todo(call, 'callback inside an expression', S.callbacks);
      }
    }
    for (const id of this.refsOf('UnauthorizedError')) {
      const ne = id.parent;
      const call = ne && ne.parent;
      const ok = ne.type === 'NewExpression' && call && call.type === 'CallExpression' &&
        call.arguments[0] === ne && this.isCallbackCall(call) && this.atHandlerLevel(call);
      if (!ok) this.todo(id, 'UnauthorizedError outside callback()', S.callbacks);
    }
  }

  // ---- user ----------------------------------------------------------------------------------------
  // Profile properties this rule's SAML mappings read (`mappings = {attr: 'expense_role'}`): first segments.
  samlMappedProperties() {
    const out = new Set();
    const text = (n) => (n && n.type === 'Literal' && typeof n.value === 'string' ? n.value : null);
    walk(this.fn, (n) => {
      if (n.type !== 'MemberExpression' || propName(n) !== 'mappings' || propName(n.object) !== 'samlConfiguration' ||
          !isIdent(n.object.object) || this.roles.get(n.object.object) !== 'context') return;
      const a = n.parent;
      if (a.type === 'AssignmentExpression' && a.left === n && a.right.type === 'ObjectExpression') {
        for (const q of a.right.properties) if (q.type === 'Property' && text(q.value)) out.add(text(q.value).split('.')[0]);
      } else if (a.type === 'MemberExpression' && a.object === n && a.parent.type === 'AssignmentExpression' &&
          a.parent.left === a && text(a.parent.right)) {
        out.add(text(a.parent.right).split('.')[0]);
      }
    });
    return out;
  }
  // Actions give event.user.identities without the identity providers' tokens (access_token, refresh_token,
  // access_token_secret): a rule reading them, or passing identities on whole (into a claim, a request),
  // does something else in an action.
  checkIdentities() {
    const TOKENS = ['access_token', 'refresh_token', 'access_token_secret'];
    let mentions = false;
    for (const id of this.refsOf('user')) {
      const m = id.parent;
      if (!(m.type === 'MemberExpression' && m.object === id && propName(m) === 'identities')) continue;
      mentions = true;
      let whole = m;
      if (m.parent.type === 'MemberExpression' && m.parent.object === m && m.parent.computed) whole = m.parent;
      const p = whole.parent;
      const read = p.type === 'MemberExpression' && p.object === whole;
      if (!read && (p.type === 'AssignmentExpression' || p.type === 'CallExpression' || p.type === 'Property' ||
          p.type === 'ArrayExpression' || p.type === 'ReturnStatement' || p.type === 'VariableDeclarator')) {
        if (!(p.type === 'VariableDeclarator' || (p.type === 'CallExpression' && p.callee !== whole &&
            isIdent(p.callee.object || {}, '_')))) {
          this.todo(whole, 'user.identities passed on whole (an action\'s identities have no provider tokens)', S.limits);
        }
      }
    }
    if (!mentions) return;
    walk(this.fn, (n) => {
      if (n.type === 'MemberExpression' && TOKENS.includes(propName(n))) {
        this.todo(n, 'an identity provider token (' + propName(n) + '), which event.user.identities does not have',
          S.limits);
      }
    });
  }
  convertUser() {
    // A custom profile property set only for the SAML mappings to read: in an action it is set on event.user
    // (a local change) and the converted mapping reads it there; standard claims stay a TODO (they shaped
    // the tokens too).
    const mapped = this.samlMappedProperties();
    this.checkIdentities();
    // the properties the rule sets on user itself (a later read sees its own write, in the action too)
    const own = new Set();
    for (const id of this.refsOf('user')) {
      const m = id.parent;
      if (m.type === 'MemberExpression' && m.object === id && m.parent.type === 'AssignmentExpression' &&
          m.parent.left === m && propName(m)) own.add(propName(m));
    }
    for (const id of this.refsOf('user')) {
      this.edit(id, 'event.user');
      const m = id.parent;
      if (m.type === 'MemberExpression' && m.object === id) {
        const key = propName(m);
        const a = m.parent;
        const written = (a.type === 'AssignmentExpression' && a.left === m) ||
          (a.type === 'UpdateExpression' && a.argument === m) || (a.type === 'UnaryExpression' && a.operator === 'delete');
        const forSaml = key && mapped.has(key) && !STANDARD_CLAIMS.has(key) && a.type === 'AssignmentExpression';
        if (written && key !== 'app_metadata' && key !== 'user_metadata' && !forSaml) {
          this.todo(m, 'assignment to user.' + (key || '[…]'), S.user);
        } else if (!written && key && !EVENT_USER.has(key) && !own.has(key)) {
          // Rules put more on the user: the app_metadata keys (merged in), attributes of the identity
          // provider (`groups`), login data; an action's event.user has only its documented properties
          this.todo(m, 'user.' + key + ', which an action\'s event.user does not have (Rules also put app_metadata ' +
            'keys and identity provider attributes on the user)', S.user);
        }
      } else if (m.type === 'AssignmentExpression' && m.left === id) {
        this.todo(id, 'assignment to user', S.user);
      }
    }
  }

  // ---- context ------------------------------------------------------------------------------------
  convertContext() {
    const isProtocolCheck = (n) => n.type === 'BinaryExpression' &&
      [n.left, n.right].some((x) => x.type === 'Literal' && x.value === 'redirect-callback');
    for (const id of this.refsOf('context')) {
      const m = id.parent;
      if (m.type === 'CallExpression' && this.isCallbackCall(m)) continue; // callback(null, user, context)
      if (!(m.type === 'MemberExpression' && m.object === id)) {
        // logged as a whole (`console.log('ctx', context)`): the action logs its event instead
        const logged = m.type === 'CallExpression' && m.arguments.includes(id) && m.callee.type === 'MemberExpression' &&
          isIdent(m.callee.object, 'console') && !this.variableOf(m.callee.object);
        if (logged) this.edit(id, 'event');
        else this.todo(id, 'context used as a whole', S.context);
        continue;
      }
      const key = propName(m);
      const parent = m.parent;
      if (key === 'idToken' || key === 'accessToken') {
        this.convertClaim(m, key);
        continue;
      }
      if (key === 'multifactor') {
        this.convertMfa(m);
        continue;
      }
      if (key === 'redirect') {
        this.convertRedirect(m);
        continue;
      }
      if (key === 'samlConfiguration') {
        this.convertSaml(m);
        continue;
      }
      const written = (parent.type === 'AssignmentExpression' && parent.left === m);
      if (written) {
        this.todo(m, 'assignment to context.' + key, S.context);
        continue;
      }
      if (key === 'protocol' && isProtocolCheck(parent)) {
        this.todo(parent, "the 'redirect-callback' protocol (continue after a redirect)", S.redirects);
      }
      if (key in CONTEXT_MAP) {
        this.edit(m, CONTEXT_MAP[key]);
      } else if (key === 'request') {
        this.convertRequestContext(m);
      } else if (key === 'stats') {
        if (propName(parent) === 'loginsCount' && parent.object === m) this.edit(parent, 'event.stats.logins_count');
        else if (usedForTruth(m)) this.edit(m, 'event.stats');
        else this.todo(m, 'context.stats', S.context);
      } else if (key in CONTEXT_TODO) {
        const [idiom, section] = CONTEXT_TODO[key];
        this.todo(m, idiom, section);
      } else {
        this.todo(m, 'context.' + (key || '[…]'), S.context);
      }
    }
  }
  // `context.samlConfiguration.mappings = {attr: 'profile.path', ...}`, `….mappings[attr] = 'path'` ->
  // api.samlResponse.setAttribute(attr, event.user.<path>) per attribute; `….<key> = v` -> the setter.
  convertSaml(m) {
    const p = m.parent;
    const key = p.type === 'MemberExpression' && p.object === m ? propName(p) : null;
    const assigned = (node) => node.parent.type === 'AssignmentExpression' && node.parent.left === node &&
      node.parent.operator === '=' && node.parent.parent.type === 'ExpressionStatement';
    const isText = (node) => node && node.type === 'Literal' && typeof node.value === 'string';
    const profile = (path) => 'event.user' + path.split('.').map((k, i) => (i === 0 ? '.' : '?.') +
      (/^[A-Za-z_$][\w$]*$/.test(k) ? k : '[' + quote(k) + ']').replace(/^\?\.\[/, '?.[').replace(/^\.\[/, '[')).join('');
    const setAttribute = (attr, path) => 'api.samlResponse.setAttribute(' + quote(attr) + ', ' + profile(path) + ');';
    if (key === 'mappings' && assigned(p)) {
      const value = p.parent.right;
      const entries = value.type === 'ObjectExpression' && value.properties.every((q) => q.type === 'Property' &&
        !q.computed && q.kind === 'init' && isText(q.value) && (isIdent(q.key) || isText(q.key)))
        ? value.properties.map((q) => [isIdent(q.key) ? q.key.name : q.key.value, q.value.value]) : null;
      if (entries) {
        const stmt = p.parent.parent;
        // the guide's mapping: one setAttribute per attribute. The rule set a whole table, which also dropped
        // any mapping configured in the SAML add-on itself for this login; setAttribute adds to those. Said in
        // a comment, not a TODO: it differs only on a tenant whose add-on has mappings of its own.
        const note = '// (migrated from a whole context.samlConfiguration.mappings table: a mapping the SAML add-on ' +
          'has of its own still applies)';
        this.edit(stmt, () => [note, ...entries.map(([attr, path]) => setAttribute(attr, path))]
          .join('\n' + this.indentOf(stmt)));
        return;
      }
    } else if (key === 'mappings') {
      const q = p.parent;
      const attr = q.type === 'MemberExpression' && q.object === p ? propName(q) : null;
      if (attr !== null && assigned(q) && isText(q.parent.right)) {
        this.edit(q.parent.parent, setAttribute(attr, q.parent.right.value));
        return;
      }
    } else if (key && SAML_SETTERS[key] && assigned(p)) {
      const right = p.parent.right;
      this.edit(p.parent.parent, () => 'api.samlResponse.' + SAML_SETTERS[key] + '(' + this.text(right) + ');');
      return;
    }
    this.todo(m, 'context.samlConfiguration' + (key ? '.' + key : '') + ' other than assigned mappings or settings',
      S.saml);
  }
  convertRequestContext(m) {
    const p = m.parent;
    const key = p.type === 'MemberExpression' && p.object === m ? propName(p) : null;
    if (key === 'geoip') {
      const g = p.parent;
      const gk = g.type === 'MemberExpression' && g.object === p ? propName(g) : null;
      if (gk && GEOIP_MAP[gk]) this.edit(g, 'event.request.geoip.' + GEOIP_MAP[gk]);
      else if (!gk && usedForTruth(p)) this.edit(p, 'event.request.geoip');
      else this.todo(p, 'context.request.geoip (its keys are renamed in actions)', S.context);
    } else if (key && REQUEST_MAP[key]) {
      this.edit(p, 'event.request.' + REQUEST_MAP[key]);
    } else if (!key && usedForTruth(m)) {
      this.edit(m, 'event.request');
    } else {
      this.todo(m, 'context.request' + (key ? '.' + key : ''), S.context);
    }
  }
  convertClaim(m, which) {
    // context.idToken[k] = v  ->  api.idToken.setCustomClaim(k, v)
    const target = m.parent;
    const assign = target.parent;
    const api = which === 'idToken' ? 'api.idToken' : 'api.accessToken';
    if (target.type === 'MemberExpression' && target.object === m && assign.type === 'AssignmentExpression' &&
        assign.left === target && assign.operator === '=') {
      const claim = propName(target);
      if (which === 'accessToken' && claim === 'scope') {
        this.todo(assign, 'context.accessToken.scope', S.claims);
        return;
      }
      this.setClaim(target, api);
      return;
    }
    if (this.claimAlias(m, which, api)) return;
    this.todo(m, 'context.' + which + ' used other than to set a claim', S.claims);
  }
  // `<claims>[k] = v` (the assignment is target's parent) -> `api.idToken.setCustomClaim(k, v)`
  setClaim(target, api) {
    const assign = target.parent;
    const key = () => (target.computed ? this.text(target.property) : quote(target.property.name));
    this.edit(assign, () => api + '.setCustomClaim(' + key() + ', ' + this.text(assign.right) + ')');
  }
  // A local name for the claims: `let claims = context.idToken || {}; claims[k] = v; context.idToken = claims;`
  // -> api.idToken.setCustomClaim(k, v), the declaration and the write-back gone. Only when every use of the
  // name is a claim set in a statement of its own, or that write-back. -> true when converted (or when `m`
  // is such a write-back, converted with its name).
  claimAlias(m, which, api) {
    const statement = (n) => n.parent && n.parent.type === 'ExpressionStatement';
    // `context.idToken = claims;` : converted (removed) where the name is
    if (m.parent.type === 'AssignmentExpression' && m.parent.left === m && m.parent.operator === '=' &&
        isIdent(m.parent.right) && statement(m.parent) && this.aliasOK(this.variableOf(m.parent.right), which)) return true;
    let init = m;
    if (m.parent.type === 'LogicalExpression' && m.parent.operator === '||' && m.parent.left === m &&
        m.parent.right.type === 'ObjectExpression' && m.parent.right.properties.length === 0) init = m.parent;
    const decl = init.parent;
    if (!(decl.type === 'VariableDeclarator' && decl.init === init && decl.id.type === 'Identifier' &&
          decl.parent.declarations.length === 1)) return false;
    const variable = this.scopes.getDeclaredVariables(decl)[0];
    if (!this.aliasOK(variable, which)) return false;
    for (const ref of variable.references) {
      if (ref.identifier === decl.id) continue;
      const target = ref.identifier.parent;
      if (target.type === 'MemberExpression') {
        this.setClaim(target, api);
      } else {
        this.removeStatement(target.parent); // the write-back
      }
    }
    this.removeStatement(decl.parent);
    return true;
  }
  aliasOK(variable, which) {
    if (!variable || variable.defs.length !== 1 || variable.defs[0].type !== 'Variable') return false;
    const decl = variable.defs[0].node;
    return variable.references.every((ref) => {
      if (ref.identifier === decl.id) return true;
      const n = ref.identifier;
      const t = n.parent;
      if (t.type === 'MemberExpression' && t.object === n && t.parent.type === 'AssignmentExpression' &&
          t.parent.left === t && t.parent.operator === '=' && t.parent.parent.type === 'ExpressionStatement') {
        return !(which === 'accessToken' && propName(t) === 'scope'); // (the scope is no claim)
      }
      // the write-back `context.<which> = name;`
      return t.type === 'AssignmentExpression' && t.right === n && t.operator === '=' &&
        t.parent.type === 'ExpressionStatement' && t.left.type === 'MemberExpression' && isIdent(t.left.object) &&
        this.roles.get(t.left.object) === 'context' && propName(t.left) === which;
    });
  }
  convertMfa(m) {
    const assign = m.parent;
    if (!(assign.type === 'AssignmentExpression' && assign.left === m && assign.operator === '=' &&
          assign.right.type === 'ObjectExpression')) {
      this.todo(m, 'context.multifactor', S.mfa);
      return;
    }
    let provider = null;
    const opts = [];
    const duo = [];
    for (const p of assign.right.properties) {
      const k = p.type === 'Property' && !p.computed ? (isIdent(p.key) ? p.key.name : p.key.value) : null;
      if (k === 'provider') provider = p.value;
      else if (MFA_OPTIONS.has(k)) opts.push(p);
      else if (DUO_OPTIONS.has(k)) duo.push(p);
      else {
        this.todo(p, 'context.multifactor option ' + quote(k || '…'), S.mfa);
        return;
      }
    }
    if (!provider) {
      this.todo(m, 'context.multifactor without a provider', S.mfa);
      return;
    }
    this.edit(assign, () => {
      const parts = opts.map((p) => this.text(p));
      if (duo.length) parts.push('providerOptions: { ' + duo.map((p) => this.text(p)).join(', ') + ' }');
      return 'api.multifactor.enable(' + this.text(provider) + (parts.length ? ', { ' + parts.join(', ') + ' }' : '') + ')';
    });
  }
  convertRedirect(m) {
    const assign = m.parent;
    if (assign.type === 'AssignmentExpression' && assign.left === m && assign.operator === '=' &&
        assign.right.type === 'ObjectExpression' && assign.right.properties.length === 1) {
      const p = assign.right.properties[0];
      if (p.type === 'Property' && !p.computed && (isIdent(p.key, 'url') || p.key.value === 'url')) {
        this.edit(assign, () => 'api.redirect.sendUserTo(' + this.text(p.value) + ')');
        return;
      }
    }
    this.todo(m, 'context.redirect', S.redirects);
  }

  // ---- configuration, auth0, global --------------------------------------------------------------
  convertConfiguration() {
    for (const id of this.refsOf('configuration')) {
      const p = id.parent;
      if (p.type === 'MemberExpression' && p.object === id) {
        const key = propName(p);
        const written = p.parent.type === 'AssignmentExpression' && p.parent.left === p;
        if (key && !written) {
          this.secrets.add(key);
          this.edit(id, 'event.secrets');
          continue;
        }
      } else if (p.type === 'VariableDeclarator' && p.init === id && p.id.type === 'ObjectPattern' &&
                 p.id.properties.every((q) => q.type === 'Property' && !q.computed)) {
        for (const q of p.id.properties) this.secrets.add(isIdent(q.key) ? q.key.name : String(q.key.value));
        this.edit(id, 'event.secrets');
        continue;
      }
      this.todo(id, 'configuration used other than as configuration.KEY', S.secrets);
    }
  }
  convertAuth0() {
    for (const id of this.refsOf('auth0')) {
      const users = id.parent;
      const call = users.parent && users.parent.parent;
      const md = call && this.metadataCall(call);
      if (md) {
        if (!md.handled) {
          md.handled = true;
          // converted by the statement pass when it is a statement or an awaited chain root
          if (!this.isConvertedMetadata(call)) {
            this.todo(call, 'auth0.users.' + propName(users.parent) + ' inside an expression', S.metadata);
          }
        }
        continue;
      }
      if (call && call.type === 'CallExpression' && (propName(users.parent) === 'updateAppMetadata' ||
          propName(users.parent) === 'updateUserMetadata')) {
        this.todo(call, 'a metadata update of another user', S.metadata);
        continue;
      }
      const what = propName(users);
      this.todo(id, 'auth0' + (what ? '.' + what : '') + ' (Management API)', S.mgmt);
    }
  }
  isConvertedMetadata(call) {
    // a statement `X;` / `return X;` / `await X;`, or the root of a converted promise chain
    let n = call.parent;
    if (n.type === 'AwaitExpression') n = n.parent;
    if (n.type === 'ExpressionStatement' || n.type === 'ReturnStatement') return this.atHandlerLevel(call);
    let root = call;
    while (root.parent && root.parent.type === 'MemberExpression' && root.parent.object === root &&
           root.parent.parent.type === 'CallExpression') root = root.parent.parent;
    if (root === call) return false;
    let s = root.parent;
    if (s.type === 'AwaitExpression') s = s.parent;
    return (s.type === 'ExpressionStatement' || s.type === 'ReturnStatement') && this.promiseChain(root) !== null &&
      this.atHandlerLevel(root);
  }
  convertGlobal() {
    const assigned = new Set();
    const refs = this.refsOf('global');
    for (const id of refs) {
      const m = id.parent;
      if (m.type === 'MemberExpression' && m.object === id && m.parent.type === 'AssignmentExpression' &&
          m.parent.left === m) assigned.add(propName(m));
    }
    for (const id of refs) {
      const m = id.parent;
      const key = m.type === 'MemberExpression' && m.object === id ? propName(m) : null;
      if (!key) this.todo(id, 'global used as a whole', S.limits);
      else if (!assigned.has(key)) this.todo(m, 'global.' + key + ' set by another rule', S.limits);
      // A value this rule caches on `global` itself still works: Node's global exists in actions too.
    }
  }
  checkRequestLeftovers() {
    for (const id of this.refsOf('request')) {
      const call = id.parent.type === 'MemberExpression' ? id.parent.parent : id.parent;
      let stmt = call.parent;
      if (stmt && stmt.type === 'AwaitExpression') stmt = stmt.parent;
      const converted = this.requestsConverted.has(call);
      if (!converted) this.todo(id, 'the request module (deprecated) used other than request(options, callback)', S.deps);
    }
  }

  // ---- local helper functions that finish the rule (`function done(x) { ...; callback(null, ...) }`) --
  convertHelpers() {
    for (const stmt of this.fn.body.body) {
      if (stmt.type !== 'FunctionDeclaration' || stmt.async || stmt.generator || this.continuationFns.has(stmt)) continue;
      // a helper that finishes the rule, or one that calls out over HTTP (its request becomes an await, so
      // the helper becomes async and its calls are awaited)
      let usesCallback = false;
      let usesRequest = false;
      walk(stmt.body, (n) => {
        if (isIdent(n) && this.roles.get(n) === 'callback') usesCallback = true;
        if (isIdent(n) && this.roles.get(n) === 'request') usesRequest = true;
      });
      if (!usesCallback && !usesRequest) continue;
      const variable = this.scopes.getDeclaredVariables(stmt)[0];
      const sites = variable.references.map((r) => r.identifier);
      const ok = sites.length > 0 && sites.every((id) => {
        const call = id.parent;
        if (!(call.type === 'CallExpression' && call.callee === id)) return false;
        const st = call.parent;
        if (!this.atHandlerLevel(call) && !this.within(call, stmt)) return false;
        if (st.type === 'ReturnStatement') return true;
        if (st.type !== 'ExpressionStatement') return false;
        if (!usesCallback) return st.parent.type === 'BlockStatement' || st.parent.type === 'IfStatement';
        return st.parent.type === 'BlockStatement' && this.isTailStmtStatic(st);
      });
      if (!ok) continue;
      this.handlerFns.add(stmt);
      this.helpers.push({ fn: stmt, sites });
    }
  }
  isTailStmtStatic(st) {
    // tail position judged before any inlining: last live statement of the rule body or of an if branch
    const p = st.parent;
    if (p.type !== 'BlockStatement') return p.type === 'IfStatement' && this.isTailStmtStatic(p);
    const live = p.body.filter((x) => x.type !== 'FunctionDeclaration');
    if (live[live.length - 1] !== st) return false;
    if (p.parent === this.fn) return true;
    if (p.parent.type === 'IfStatement') return this.isTailStmtStatic(p.parent);
    if (this.inlined.has(p.parent)) {
      const i = this.inlined.get(p.parent);
      return i.tail && this.isTailStmtStatic(i.stmt);
    }
    return false;
  }
  within(node, fn) {
    for (let n = node.parent; n; n = n.parent) if (n === fn) return true;
    return false;
  }
  handlerRoot(fn) {
    let f = fn;
    while (f && this.inlined.has(f)) f = this.enclosingFunction(f);
    return f;
  }
  finishHelpers() {
    for (const { fn, sites } of this.helpers) {
      for (const id of sites) {
        if (!this.atHandlerLevel(id.parent)) this.todo(id.parent, 'a helper called inside asynchronous work', S.callbacks);
      }
      const awaits = [...[...this.inlined.values()].map((i) => i.stmt), ...this.awaitedStatements]
        .some((st) => this.handlerRoot(this.enclosingFunction(st)) === fn);
      if (!awaits) continue;
      this.edit(fn, 'async ', fn.start, fn.start);
      for (const id of sites) this.edit(id, 'await ' + id.name);
    }
  }

  run() {
    this.helpers = [];
    this.asyncDone = new Set();
    this.collectRoles();
    const probes = this.probes();
    this.convertRequires();
    const instrumented = this.instrument();
    const httpFields = this.httpFields(); // after the requires: `var request = require('request')` is bound
    this.convertContinuations();
    this.convertAsyncStatements();
    this.convertHelpers();
    this.convertAsyncStatements();
    this.finishHelpers();
    this.convertDone();
    this.checkRequestLeftovers();
    this.convertCallbacks();
    this.convertUser();
    this.convertContext();
    this.convertConfiguration();
    this.convertAuth0();
    this.convertGlobal();
    if (!this.fn.async && this.fn.generator) throw new Unsupported('a generator function is not a rule');
    const bodyText = this.blockInner(this.fn.body, '  ');
    const lost = this.edits.filter((e) => e.todo && !e.emitted);
    const leading = this.src.slice(this.offset, this.fn.start).trim();
    const header = [];
    if (leading) header.push(leading);
    if (this.needAxios) header.push("const axios = require('axios');");
    for (const [name, found] of this.sandboxUsed) header.push('const ' + name + " = require('" + found.module + "');");
    for (const h of this.hoisted) header.push(h());
    for (const e of lost) header.push(e.fn().trim());
    let code = (header.length ? header.join('\n') + '\n\n' : '') +
      'exports.onExecutePostLogin = async (event, api) => {\n' + (bodyText ? '  ' + bodyText + '\n' : '') + '};';
    // A deny or an early return stays the last word of a branch; nothing else to clean.
    code = code.replace(/[ \t]+\n/g, '\n');
    // a removed statement can leave two blank lines where the rule had one (the rule never had two)
    if (!/\n[ \t]*\n[ \t]*\n/.test(this.src)) code = code.replace(/\n{3,}/g, '\n\n');
    // `callback(...); return;` became two returns: the second is dead code (so is a repeated `return;`)
    for (let before = ''; before !== code;) {
      before = code;
      code = code.replace(/^([ \t]*)(return\b[^\n]*;)\n(?:[ \t]*\n)*\1return;\n/gm, '$1$2\n');
    }
    this.todos.sort((a, b) => a.line - b.line || a.idiom.localeCompare(b.idiom));
    return {
      code,
      secrets: [...this.secrets].sort(),
      dependencies: Object.fromEntries([...this.dependencies].sort()),
      todos: this.todos,
      denies: Boolean(this.denies),
      deny_prefixes: [...this.denyPrefixes].sort(),
      throws: Boolean(this.throws),
      probes,
      sites: instrumented.sites,
      instrumented: instrumented.code,
      http_fields: httpFields,
      pinned: this.pinned,
      newest_pins: [...new Set(this.newestPins.map((p) => p.name + '@' + p.version))].sort(),
    };
  }

  // ---- what the generated cases should try (differential check, docs/MIGRATE.md) -----------------
  // The input paths the rule's conditions read and the literal values they compare them with:
  // `context.clientID === 'abc'`, `['a', 'b'].indexOf(context.connection)`, `user.email.endsWith('@x.com')`,
  // `ALLOWED.includes(x)` with `var ALLOWED = [...]`; a path only tested for truth gets `true` and `false`.
  // -> [{path: ['context', 'clientID'], values: ['abc']}]
  probes() {
    const found = new Map();
    const add = (pathArr, value) => {
      if (!pathArr || value === undefined) return;
      const key = JSON.stringify(pathArr);
      if (!found.has(key)) found.set(key, { path: pathArr, values: [] });
      const values = found.get(key).values;
      if (!values.some((v) => JSON.stringify(v) === JSON.stringify(value)) && values.length < 6) values.push(value);
    };
    const pathOf = (node, depth = 0) => {
      // a local name set once from a path (`const prev = user.app_metadata.fp || null`) stands for that path
      if (node && node.type === 'Identifier' && !this.roles.has(node) && depth < 3) {
        const v = this.variableOf(node);
        const def = v && v.defs.length === 1 && v.defs[0].node.type === 'VariableDeclarator' ? v.defs[0].node : null;
        let init = def && v.references.every((r) => !r.isWrite() || r.init) ? def.init : null;
        if (init && init.type === 'LogicalExpression') init = init.left;
        return init ? pathOf(init, depth + 1) : null;
      }
      const parts = [];
      let n = node;
      while (n && n.type === 'MemberExpression') {
        const name = propName(n);
        if (name === null) return null;
        parts.unshift(name);
        n = n.object;
      }
      const role = n && n.type === 'Identifier' ? this.roles.get(n) : null;
      if (role !== 'user' && role !== 'context' && role !== 'configuration') return null;
      return parts.length ? [role, ...parts] : null;
    };
    const literal = (node) => {
      if (node && node.type === 'Literal' && node.value !== null && typeof node.value !== 'object') return node.value;
      // a configuration value (`context.clientID === configuration.ADMIN_CLIENT_ID`): the case's own value
      if (node && node.type === 'MemberExpression' && isIdent(node.object) &&
          this.roles.get(node.object) === 'configuration' && propName(node)) return { $config: propName(node) };
      if (node && node.type === 'TemplateLiteral' && node.expressions.length === 0) return node.quasis[0].value.cooked;
      return undefined;
    };
    const listOf = (node) => {
      let n = node;
      if (n && n.type === 'Identifier') {
        const variable = this.variableOf(n);
        const def = variable && variable.defs.length === 1 ? variable.defs[0].node : null;
        n = def && def.type === 'VariableDeclarator' ? def.init : null;
      }
      if (!n || n.type !== 'ArrayExpression') return null;
      const values = n.elements.map(literal);
      return values.every((v) => v !== undefined) ? values : null;
    };
    // the values a name can take: a literal, or the parameter of a callback given to LIST.some/find/...
    // (`allowlist.some(function (ip) { return context.request.ip === ip; })`) -> the list's values
    const valuesOf = (node) => {
      const v = literal(node);
      if (v !== undefined) return [v];
      if (!node || node.type !== 'Identifier') return [];
      const variable = this.variableOf(node);
      const def = variable && variable.defs.length === 1 ? variable.defs[0] : null;
      const fn = def && def.type === 'Parameter' ? def.node : null;
      const call = fn && fn.parent;
      if (!(call && call.type === 'CallExpression' && call.arguments[0] === fn && call.callee.type === 'MemberExpression' &&
          ['some', 'find', 'filter', 'every', 'forEach', 'findIndex'].includes(propName(call.callee)))) return [];
      return listOf(call.callee.object) || [];
    };
    // an email's domain (`user.email.split('@')[1]`, its last part, lower-cased): the path, and how a value
    // becomes an address
    const emailOf = (node) => {
      let n = node;
      while (n && n.type === 'CallExpression' && n.callee.type === 'MemberExpression' &&
             ['toLowerCase', 'toUpperCase', 'trim'].includes(propName(n.callee))) n = n.callee.object;
      if (n && n.type === 'MemberExpression' && n.computed) n = n.object;
      if (n && n.type === 'Identifier') {
        const v = this.variableOf(n);
        const d = v && v.defs.length === 1 && v.defs[0].node.type === 'VariableDeclarator' ? v.defs[0].node.init : null;
        n = d;
      }
      if (n && n.type === 'CallExpression' && n.callee.type === 'MemberExpression' && propName(n.callee) === 'split' &&
          literal(n.arguments[0]) === '@' && pathOf(n.callee.object)) return pathOf(n.callee.object);
      return null;
    };
    walk(this.fn, (node) => {
      if (node.type === 'BinaryExpression' && ['===', '==', '!==', '!='].includes(node.operator)) {
        const [p, v] = pathOf(node.left) ? [pathOf(node.left), literal(node.right)] : [pathOf(node.right), literal(node.left)];
        add(p, v);
        for (const [side, other] of [[node.left, node.right], [node.right, node.left]]) {
          if (pathOf(side)) for (const value of valuesOf(other)) add(pathOf(side), value);
          const email = emailOf(side);
          if (email && valuesOf(other).length) {
            for (const value of valuesOf(other)) if (typeof value === 'string') add(email, 'someone@' + value);
            add(email, 'someone@elsewhere.invalid'); // and a domain none of them is
          }
        }
      } else if (node.type === 'BinaryExpression' && ['<', '>', '<=', '>='].includes(node.operator)) {
        // a number compared with a literal (`context.stats.loginsCount > 1`): the boundary, on each side
        const flip = { '<': '>', '>': '<', '<=': '>=', '>=': '<=' };
        const [p, v, op] = pathOf(node.left) ? [pathOf(node.left), literal(node.right), node.operator]
          : [pathOf(node.right), literal(node.left), flip[node.operator]];
        if (p && typeof v === 'number') {
          add(p, v);
          add(p, op === '>' || op === '<=' ? v + 1 : v - 1);
        }
      } else if (node.type === 'CallExpression' && node.callee.type === 'MemberExpression') {
        const method = propName(node.callee);
        const target = node.callee.object;
        const arg = node.arguments[0];
        if (['indexOf', 'includes'].includes(method) && pathOf(arg)) {
          for (const v of listOf(target) || []) add(pathOf(arg), v);
        } else if (pathOf(target) && literal(arg) !== undefined && typeof literal(arg) === 'string') {
          const text = literal(arg);
          if (method === 'endsWith') add(pathOf(target), 'someone' + text);
          else if (method === 'startsWith') add(pathOf(target), text + '-x');
          else if (method === 'indexOf' || method === 'includes') add(pathOf(target), text);
        } else if (isIdent(target, '_') && ['includes', 'contains', 'indexOf'].includes(method) && pathOf(node.arguments[1])) {
          for (const v of listOf(arg) || []) add(pathOf(node.arguments[1]), v);
        }
        // a path the rule treats as a string (`(context.request.query.scope || '').split(' ')`, a local name
        // set from it): a string value, so a case gets past the call (the defaults may not have the path)
        const text = pathOf(target) || (target.type === 'LogicalExpression' ? pathOf(target.left) : null);
        if (text && text[0] !== 'configuration' && STRING_METHODS.has(method)) { // (configuration: always text)
          const sep = method === 'split' && typeof literal(arg) === 'string' ? literal(arg) : null;
          add(text, sep === null ? 'Some Text' : sep === ' ' ? 'openid profile read:data' : ['one', 'two'].join(sep));
        }
      } else if (node.type === 'SwitchStatement' && pathOf(node.discriminant)) {
        for (const c of node.cases) if (c.test) add(pathOf(node.discriminant), literal(c.test));
      } else if ((node.type === 'MemberExpression' || node.type === 'Identifier') && node.parent &&
          usedForTruth(node) && pathOf(node)) {
        add(pathOf(node), true);
        add(pathOf(node), false);
      }
    });
    return [...found.values()];
  }

  // The rule's code with each place where it acts counted when it runs (`__rulepress_hit(i)` before it):
  // the callback calls, the token, MFA, redirect and SAML assignments on context, the metadata updates and
  // the HTTP calls. The side-by-side run says which were never reached. Same lines as the original.
  instrument() {
    const sites = [];
    walk(this.fn, (n) => {
      let site = false;
      if (n.type === 'CallExpression' && isIdent(n.callee) && ['callback', 'request'].includes(this.roles.get(n.callee))) {
        site = true;
      } else if (n.type === 'CallExpression' && n.callee.type === 'MemberExpression') {
        const root = n.callee.object.type === 'MemberExpression' ? n.callee.object.object : n.callee.object;
        const role = isIdent(root) ? this.roles.get(root) : null;
        site = role === 'request' || (role === 'auth0' && /^update(App|User)Metadata$/.test(propName(n.callee) || ''));
      } else if (n.type === 'AssignmentExpression' && n.left.type === 'MemberExpression') {
        let m = n.left;
        while (m.object && m.object.type === 'MemberExpression') m = m.object;
        site = isIdent(m.object) && this.roles.get(m.object) === 'context' &&
          ['idToken', 'accessToken', 'multifactor', 'redirect', 'samlConfiguration'].includes(propName(m));
      }
      if (site) sites.push(n);
    });
    // insert `(__rulepress_hit(i), ` before and `)` after each site, from the end so offsets hold
    // (at one offset the text inserted last comes first: so starts go in before ends, inner starts before
    // outer ones, outer ends before inner ones, which leaves `inner) outer)` and `(outer (inner`)
    const marks = [];
    sites.forEach((n, i) => {
      const span = n.end - n.start;
      marks.push({ at: n.end, text: ')', kind: 1, key: -span });
      marks.push({ at: n.start, text: '(__rulepress_hit(' + i + '), ', kind: 0, key: span });
    });
    // the rule side loads the version the action pins (`require('x')` -> `require('x@1.2.3')`)
    for (const p of this.newestPins) marks.push({ at: p.arg.end - 1, text: '@' + p.version, kind: 0, key: 0 });
    marks.sort((a, b) => b.at - a.at || a.kind - b.kind || a.key - b.key);
    let code = this.src;
    for (const m of marks) code = code.slice(0, m.at) + m.text + code.slice(m.at);
    return { code: code.slice(this.offset, code.length - 2), sites: sites.map((n) => n.loc.start.line) };
  }

  // The fields the rule reads off an HTTP response body (`body.tier`, `JSON.parse(body).token`, a variable
  // holding that parse, `response.body.x`): the generated cases answer with them.
  httpFields() {
    const fields = new Set();
    const readsOf = (node) => {
      // node is a value holding the parsed body: its property reads, directly or through one variable
      const p = node.parent;
      if (p.type === 'MemberExpression' && p.object === node && propName(p)) fields.add(propName(p));
      else if (p.type === 'VariableDeclarator' && p.init === node && p.id.type === 'Identifier') {
        const v = this.scopes.getDeclaredVariables(p)[0];
        for (const r of v ? v.references : []) {
          const m = r.identifier.parent;
          if (m.type === 'MemberExpression' && m.object === r.identifier && propName(m)) fields.add(propName(m));
        }
      }
    };
    const bodyValue = (id) => {
      readsOf(id);
      const p = id.parent;
      if (p.type === 'CallExpression' && p.arguments[0] === id && p.callee.type === 'MemberExpression' &&
          isIdent(p.callee.object, 'JSON') && propName(p.callee) === 'parse') readsOf(p);
    };
    for (const id of this.refsOf('request')) {
      const call = id.parent.type === 'MemberExpression' ? id.parent.parent : id.parent;
      const cb = call && call.type === 'CallExpression' ? call.arguments[call.arguments.length - 1] : null;
      if (!isFunction(cb)) continue;
      const scope = this.scopes.acquire(cb, true);
      const [, resP, bodyP] = cb.params;
      if (bodyP && bodyP.type === 'Identifier') {
        for (const r of scope.set.get(bodyP.name).references) bodyValue(r.identifier);
      }
      if (resP && resP.type === 'Identifier') {
        for (const r of scope.set.get(resP.name).references) {
          const m = r.identifier.parent;
          if (m.type === 'MemberExpression' && m.object === r.identifier && propName(m) === 'body') bodyValue(m);
        }
      }
    }
    return [...fields].slice(0, 20);
  }

  variableOf(id) {
    // the variable a reference resolves to (block scopes included), or null for a global
    for (const scope of this.scopes.scopes) {
      for (const ref of scope.references) if (ref.identifier === id) return ref.resolved;
    }
    return null;
  }

}

function migrate(item) {
  try {
    const result = new Migration(item.code, item.pins).run();
    // the output must itself be a module that compiles
    try {
      require('vm').compileFunction(result.code, ['exports', 'require', 'module'], { filename: 'action.js' });
    } catch (err) {
      return { id: item.id, error: { line: 1, bug: true,
        message: 'internal: the migrated code does not compile: ' + err.message } };
    }
    return { id: item.id, ...result };
  } catch (err) {
    if (err instanceof SyntaxError && err.loc) {
      return { id: item.id, error: { line: err.loc.line, message: 'JavaScript syntax error: ' + err.message } };
    }
    if (err instanceof Unsupported) return { id: item.id, error: { line: 1, message: err.message } };
    // A bug here must not stop a batch: this rule is reported, the others are migrated.
    return { id: item.id, error: { line: 1, bug: true, message: 'rulepress could not migrate this rule (a bug in '
      + 'rulepress migrate, please report it): ' + (err && err.message) } };
  }
}

module.exports = { migrate };

if (require.main === module) {
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => { input += chunk; });
  process.stdin.on('end', () => {
    const items = JSON.parse(input);
    process.stdout.write(JSON.stringify(items.map(migrate)));
  });
}
