'use strict';
// rulepress test harness, worker thread: runs one case at a time, each in a fresh vm context, and posts
// its result (platform calls, stub calls, error with its markdown line, problems, logs) to the pool.
// Nothing here touches the network: the network modules and fetch are replaced by functions that refuse
// and report.

const { parentPort, workerData } = require('node:worker_threads');
const path = require('node:path');
const vm = require('node:vm');
const { builtinModules, createRequire } = require('node:module');
const { ALLOWED_BUILTINS, NETWORK_BUILTINS, API_METHODS } = require('./triggers.js');
const { emptyResult, escapeRegExp, describeError, plain, standIns } = require('./values.js');
const transport = require('./transport.js');
const determinism = require('./determinism.js');
const RULES_SANDBOX = require('./rules_sandbox.json');

const hostRequire = require;
// the version the Rules sandbox had of a module a rule requires without one (request, lodash, ...), or null
const sandboxVersion = (name) => {
  const found = Object.values(RULES_SANDBOX.globals).find((g) => g.module === name && g.version);
  return found ? found.version : null;
};
// the real packages a case with HTTP answers runs (name -> installed version), and where they are
const INSTALLED = workerData.installed || {};
// more real packages, at the exact versions rules pinned ("name@version" -> node_modules folder; migrate)
const PINNED = new Map(Object.entries(workerData.rule_dependencies || {}).map(([key, dir]) => [key,
  createRequire(path.join(dir, 'rulepress.js'))]));
const realRequire = workerData.modules_dir ? createRequire(path.join(workerData.modules_dir, 'rulepress.js')) : null;

function worker() {
  const templates = workerData.templates;
  const compiled = new Map();
  let current = null;
  transport.install(); // no connection leaves this worker: every HTTP request is recorded and answered
  determinism.install(); // the clock and randomness a case with HTTP answers fixes (determinism.js)
  // Load the real packages before any case: what a module draws at load time (uuid seeds itself) must not
  // depend on which cases this worker ran before, or two runs of one case could differ.
  // (loaded under the fixed clock and seed, so what they draw then, such as uuid's v1 node id, is the same
  // in every worker)
  if (realRequire) {
    const end = determinism.fix();
    for (const name of Object.keys(INSTALLED)) realRequire(name);
    for (const [key, load] of PINNED) load(key.slice(0, key.lastIndexOf('@')));
    end();
  }

  process.on('uncaughtException', (err) => {
    if (current) current.problem('uncaught error', err);
  });
  process.on('unhandledRejection', (reason) => {
    if (current) current.problem('unhandled promise rejection', reason);
  });

  parentPort.postMessage({ ready: true });
  parentPort.on('message', async ({ index, case: c }) => {
    const tpl = templates[c.template];
    const state = new CaseState(index, tpl);
    current = state;
    const real = Array.isArray(c.http);
    const requests = transport.begin(real ? c.http : null, (message) => state.problemHere(message));
    if (real) state.result.requests = requests;
    const restore = real ? determinism.fix(c.now) : () => {};
    try {
      await runCase(state, tpl, c, compile(tpl));
    } catch (err) {
      state.problem('the test harness failed', err);
    }
    // let late rejections of this case, and work it left for zero-delay timers (a stand-in answering a
    // callback), surface before it is reported, whichever order this loop runs timers and immediates in
    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    state.stopTimers();
    restore();
    transport.end();
    current = null;
    parentPort.postMessage(state.result);
  });

  function compile(tpl) {
    if (compiled.has(tpl.path)) return compiled.get(tpl.path);
    // the wrappers keep the code on its own first line, so the script's lines are the markdown's lines
    const source = tpl.kind === 'rule'
      ? '(' + tpl.code + '\n)'
      : '(function (exports, require, module, __filename, __dirname) {' + tpl.code + '\n})';
    let entry;
    try {
      entry = { script: new vm.Script(source, { filename: tpl.path, lineOffset: tpl.code_line - 1 }) };
    } catch (err) {
      const first = String(err.stack || '').split('\n')[0];
      const m = /:(\d+)$/.exec(first);
      entry = {
        syntaxError: `syntax error: ${err.message}`,
        line: m ? Number(m[1]) : tpl.code_line,
      };
    }
    compiled.set(tpl.path, entry);
    return entry;
  }
}

class CaseState {
  constructor(index, tpl) {
    this.result = emptyResult(index);
    this.fileRe = new RegExp(escapeRegExp(tpl.path) + ':(\\d+):\\d+');
    this.timers = new Set();
  }

  // the first markdown line of the template's code in a stack trace, or null
  lineOf(stack) {
    const m = this.fileRe.exec(String(stack || ''));
    return m ? Number(m[1]) : null;
  }

  problem(what, err) {
    // an error nothing caught ends a rule or an action that has not finished, as Auth0's runtime would end it
    if (what === 'uncaught error' && this.onUncaught) this.onUncaught(err);
    const message = err === undefined ? what : `${what}: ${describeError(err)}`;
    const stack = err && typeof err === 'object' ? err.stack : undefined;
    this.result.problems.push({ message, line: this.lineOf(stack) });
  }

  problemHere(message) {
    this.result.problems.push({ message, line: this.lineOf(new Error().stack) });
  }

  stopTimers() {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

// Everything a case needs, made in the case's own realm.
class Realm {
  constructor(state) {
    this.state = state;
    this.context = vm.createContext({}, { codeGeneration: { strings: true, wasm: false } });
    const intrinsics = vm.runInContext('({Object, Array, Error, TypeError, Promise, JSON})', this.context);
    Object.assign(this, intrinsics);
  }

  // a deep copy of JSON data owned by the case's realm
  data(value) {
    return value === undefined ? undefined : this.JSON.parse(JSON.stringify(value));
  }

  error(spec) {
    if (spec === null || spec === undefined) return null;
    if (typeof spec !== 'object') return new this.Error(String(spec));
    const err = new this.Error(spec.message === undefined ? '' : String(spec.message));
    for (const key of Object.keys(spec)) {
      if (key !== 'message') err[key] = this.data(spec[key]);
    }
    return err;
  }

  later(fn) {
    const state = this.state;
    const timer = setTimeout(() => {
      state.timers.delete(timer);
      try {
        fn();
      } catch (err) {
        state.problem('uncaught error', err);
      }
    }, 0);
    state.timers.add(timer);
  }

  // Build a stub from its spec. A mapping with a `$` key is a function (see docs/TESTING.md); its other
  // keys become properties. Every call of a stub function is recorded under `path`.
  build(spec, path, record) {
    if (Array.isArray(spec)) return this.Array.from(spec, (item, i) => this.build(item, `${path}[${i}]`, record));
    if (spec === null || typeof spec !== 'object') return spec;
    const keys = Object.keys(spec);
    const isFunction = keys.some((key) => key.startsWith('$'));
    const target = isFunction ? this.stubFunction(spec, path, record) : new this.Object();
    for (const key of keys) {
      if (!key.startsWith('$')) target[key] = this.build(spec[key], `${path}.${key}`, record);
    }
    return target;
  }

  stubFunction(spec, path, record) {
    const realm = this;
    const sequence = Array.isArray(spec.$sequence) ? spec.$sequence : null;
    let calls = 0;
    return function stub(...args) {
      record.push({ call: path, args: plain(args) });
      let behaviour = spec;
      if (sequence) {
        behaviour = sequence[Math.min(calls, sequence.length - 1)] || {};
      }
      calls += 1;
      return realm.behave(behaviour, `${path}()`, record, args);
    };
  }

  behave(spec, path, record, args) {
    if ('$throws' in spec) throw this.error(spec.$throws);
    if ('$rejects' in spec) return this.Promise.reject(this.error(spec.$rejects));
    if ('$resolves' in spec) return this.Promise.resolve(this.build(spec.$resolves, path, record));
    if ('$callback' in spec) {
      const callback = [...args].reverse().find((arg) => typeof arg === 'function');
      if (!callback) throw new this.TypeError(`${path}: the stub expects a callback argument`);
      const values = Array.isArray(spec.$callback) ? spec.$callback : [spec.$callback];
      const built = values.map((value, i) => (i === 0 ? this.error(value) : this.build(value, path, record)));
      this.later(() => callback(...built));
      return spec.$returns === undefined ? undefined : this.build(spec.$returns, path, record);
    }
    if ('$returns' in spec) return this.build(spec.$returns, path, record);
    return undefined;
  }

  blockedNetwork(name) {
    const realm = this;
    const refuse = (what) => {
      realm.state.problemHere(`network access is blocked in tests: ${what}`);
      throw new realm.Error(`network access is blocked in tests: ${what}`);
    };
    return new Proxy(function () {}, {
      get: (_target, key) => (key === 'then' ? undefined : (..._args) => refuse(`${name}.${String(key)}()`)),
      apply: () => refuse(`${name}()`),
      construct: () => refuse(`new ${name}()`),
    });
  }

  // A module a case with HTTP answers runs: the real package when the one installed is the version the code
  // asked for, else a recording stand-in (`autoStub`), the same on both sides of a migration check.
  realModule(name, version, record) {
    if (realRequire && version && INSTALLED[name] === version) return realRequire(name);
    if (PINNED.has(`${name}@${version}`)) {
      // said in the result: a migration check counts a newest-release pin as exercised only when it loaded
      const loaded = (this.state.result.real_modules = this.state.result.real_modules || []);
      if (!loaded.includes(`${name}@${version}`)) loaded.push(`${name}@${version}`);
      return PINNED.get(`${name}@${version}`)(name);
    }
    // every request 2.x writes the same bytes for the options rules used: the sandbox's 2.81.0 stands in
    if (realRequire && name === 'request' && INSTALLED.request && /^2\./.test(version || '')) return realRequire(name);
    return this.autoStub(name, record);
  }

  // A stand-in module: every property is another stand-in, every call is recorded under its path (as
  // `module_calls`) and returns a stand-in; a node-style callback argument is answered with (null, stand-in);
  // as a string it reads `<path>`.
  autoStub(name, record) {
    const realm = this;
    const make = (where) => {
      const proxy = new Proxy(function stub() {}, handler(where));
      standIns.set(proxy, `<${where}>`);
      return proxy;
    };
    const handler = (where) => ({
      get(_target, key) {
        if (key === Symbol.toPrimitive || key === 'toString' || key === 'valueOf' || key === 'toJSON') {
          return () => `<${where}>`;
        }
        if (key === 'then' || typeof key === 'symbol') return undefined;
        return make(`${where}.${key}`);
      },
      apply(_target, _self, args) {
        record.push({ call: where, args: plain(args) });
        const result = make(`${where}()`);
        const callback = args.length && typeof args[args.length - 1] === 'function' ? args[args.length - 1] : null;
        if (callback) realm.later(() => callback(null, result));
        return result;
      },
      construct(_target, args) {
        record.push({ call: `new ${where}`, args: plain(args) });
        return make(`new ${where}()`);
      },
    });
    return make(name);
  }

  makeRequire(stubs, record, dependencies, real) {
    const realm = this;
    const cache = new Map();
    return function require(request) {
      const name = String(request);
      if (cache.has(name)) return cache.get(name);
      const bare = name.startsWith('node:') ? name.slice(5) : name;
      const parts = name.split('/');
      const pkg = name.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      let mod;
      if (Object.prototype.hasOwnProperty.call(stubs, name)) {
        if (dependencies && !Object.prototype.hasOwnProperty.call(dependencies, pkg) && !builtinModules.includes(bare)) {
          realm.state.problemHere(
            `require('${name}'): '${pkg}' is not in the action's dependencies, so Auth0 would not find it`,
          );
        }
        mod = realm.build(stubs[name], name, record);
      } else if (real && !builtinModules.includes(bare)) {
        // a rule pins a version in the name (`lodash@4.17.21`); an action in its dependencies
        const at = name.indexOf('@', name.startsWith('@') ? 1 : 0);
        const base = at > 0 ? name.slice(0, at) : pkg;
        if (dependencies && !Object.prototype.hasOwnProperty.call(dependencies, base)) {
          const message = `require('${name}'): '${base}' is not in the action's dependencies, so Auth0 would not find it`;
          realm.state.problemHere(message);
          throw Object.assign(new realm.Error(message), { code: 'MODULE_NOT_FOUND' });
        }
        mod = realm.realModule(base, dependencies ? dependencies[base] : at > 0 ? name.slice(at + 1) : sandboxVersion(base), record);
      } else if (realRequire && dependencies && dependencies[pkg] && INSTALLED[pkg] === dependencies[pkg] && pkg === name) {
        mod = realRequire(pkg); // an unstubbed dependency rulepress has at that exact version (qs, lodash, ...)
      } else if (NETWORK_BUILTINS.has(bare)) {
        mod = realm.blockedNetwork(bare);
      } else if (ALLOWED_BUILTINS.has(bare)) {
        mod = hostRequire(`node:${bare}`);
      } else {
        const builtin = builtinModules.includes(bare);
        const message = builtin
          ? `require('${name}'): the Node module '${bare}' is not available in tests; stub it under modules`
          : `require('${name}'): module not stubbed in this test case; declare it under modules`;
        realm.state.problemHere(message);
        const err = new realm.Error(message);
        err.code = 'MODULE_NOT_FOUND';
        throw err;
      }
      cache.set(name, mod);
      return mod;
    };
  }

  installGlobals(c, record, tpl) {
    const state = this.state;
    const g = this.context;
    const realm = this;
    const track = (set, clear) => (fn, ms, ...args) => {
      if (typeof fn !== 'function') throw new realm.TypeError('the callback must be a function');
      const timer = set(() => {
        if (set !== setInterval) state.timers.delete(timer);
        try {
          fn(...args);
        } catch (err) {
          state.problem('uncaught error', err);
        }
      }, ms);
      state.timers.add(timer);
      return timer;
    };
    const clear = (timer) => {
      state.timers.delete(timer);
      clearTimeout(timer);
    };
    const log = (level) => (...args) => {
      const text = args.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(plain(arg)))).join(' ');
      state.result.logs.push(level === 'log' ? text : `${level}: ${text}`);
    };
    Object.assign(g, {
      console: { log: log('log'), info: log('info'), warn: log('warn'), error: log('error'), debug: log('debug') },
      setTimeout: track(setTimeout),
      setInterval: track(setInterval),
      setImmediate: (fn, ...args) => track(setTimeout)(fn, 0, ...args),
      clearTimeout: clear,
      clearInterval: clear,
      clearImmediate: clear,
      queueMicrotask: (fn) => realm.Promise.resolve().then(fn),
      Buffer,
      crypto: hostRequire('node:crypto').webcrypto, // Node's global crypto (WebCrypto), as actions have it
      URL,
      URLSearchParams,
      TextEncoder,
      TextDecoder,
      atob,
      btoa,
      structuredClone,
      AbortController,
      AbortSignal,
      Event,
      EventTarget,
      process: { env: {}, version: process.version, versions: { ...process.versions }, nextTick: (fn, ...args) => realm.Promise.resolve().then(() => fn(...args)) },
      fetch: (resource) => {
        const what = `fetch(${JSON.stringify(String(resource && resource.url ? resource.url : resource))})`;
        state.problemHere(`network access is blocked in tests: ${what}`);
        return realm.Promise.reject(new realm.TypeError(`network access is blocked in tests: ${what}`));
      },
    });
    g.global = g;
    const real = Array.isArray(c.http);
    g.require = this.makeRequire(c.modules || {}, record, tpl.kind === 'action' ? tpl.dependencies || {} : null, real);
    if (real) determinism.inContext(vm, g, c.now);
    if (real && tpl.kind === 'rule') {
      this.installRulesSandbox(record);
      // the places where a rule acts, counted when its code was instrumented (rulepress migrate)
      const hits = (this.state.result.hits = []);
      g.__rulepress_hit = (i) => {
        if (!hits.includes(i)) hits.push(i);
      };
    }
    for (const [name, spec] of Object.entries(c.globals || {})) g[name] = this.build(spec, name, record);
  }

  // The globals the Rules sandbox gave every rule (rules_sandbox.json): each module, loaded when first read;
  // the database and client globals are stand-ins.
  installRulesSandbox(record) {
    const g = this.context;
    const realm = this;
    const define = (name, load) => {
      let value;
      let loaded = false;
      Object.defineProperty(g, name, {
        configurable: true,
        enumerable: false,
        get() {
          if (!loaded) {
            value = load();
            loaded = true;
          }
          return value;
        },
        set(v) {
          value = v;
          loaded = true;
        },
      });
    };
    for (const [name, spec] of Object.entries(RULES_SANDBOX.globals)) {
      define(name, () => (spec.version ? realm.realModule(spec.module, spec.version, record) : hostRequire(`node:${spec.module}`)));
    }
    for (const name of RULES_SANDBOX.unsupported) define(name, () => realm.autoStub(name, record));
  }

  // The platform object (`api` for actions, `auth0` for rules): every method call is recorded.
  platform(methods, root, c, calls, returns) {
    const obj = root;
    const overrides = c.api_stubs || {};
    for (const [namespace, names] of Object.entries(methods)) {
      const ns = new this.Object();
      for (const method of names) {
        const path = `${c.api_name}.${namespace}.${method}`;
        const realm = this;
        ns[method] = function (...args) {
          calls.push({ call: path, args: plain(args) });
          if (Object.prototype.hasOwnProperty.call(overrides, path)) {
            return realm.behave(overrides[path], `${path}()`, calls, args);
          }
          return returns(path, args);
        };
      }
      obj[namespace] = ns;
    }
    for (const path of Object.keys(overrides)) {
      const [root, namespace, method] = path.split('.');
      const known = root === c.api_name && (methods[namespace] || []).includes(method);
      if (!known) {
        this.state.result.problems.push({
          message: `api_stubs: '${path}' is not a method of ${c.api_name} here`,
          line: null,
        });
      }
    }
    return obj;
  }
}

async function runCase(state, tpl, c, compiled) {
  const result = state.result;
  if (compiled.syntaxError) {
    result.outcome = 'syntax';
    result.problems.push({ message: compiled.syntaxError, line: compiled.line });
    return;
  }
  const realm = new Realm(state);
  realm.installGlobals(c, result.module_calls, tpl);
  if (tpl.kind === 'rule') await runRule(state, realm, c, compiled.script);
  else await runAction(state, realm, tpl, c, compiled.script);
}

function recordError(state, err) {
  state.result.error = plain(err);
  if (state.result.error === null || typeof state.result.error !== 'object') {
    state.result.error = { name: null, message: String(err), not_an_error: true };
  }
  state.result.error.line = state.lineOf(err && typeof err === 'object' ? err.stack : undefined);
}

async function runRule(state, realm, c, script) {
  const result = state.result;
  const g = realm.context;
  g.configuration = realm.data(c.input.configuration || {});
  g.UnauthorizedError = vm.runInContext(
    'class UnauthorizedError extends Error {constructor(message) {super(message); this.name = "UnauthorizedError";}}; UnauthorizedError',
    g,
  );
  const auth0 = new realm.Object();
  Object.assign(auth0, realm.data(c.input.auth0 || {}));
  realm.platform(
    { users: ['updateAppMetadata', 'updateUserMetadata'] },
    auth0,
    { ...c, api_name: 'auth0' },
    result.calls,
    () => realm.Promise.resolve(),
  );
  g.auth0 = auth0;
  const fn = script.runInContext(g);
  if (typeof fn !== 'function') {
    result.outcome = 'threw';
    result.problems.push({ message: 'the rule code is not a function expression', line: null });
    return;
  }
  await new Promise((resolve) => {
    let called = false;
    state.onUncaught = (err) => {
      if (called) return;
      called = true;
      result.outcome = 'threw';
      recordError(state, err);
      resolve();
    };
    const callback = (err, user, context) => {
      if (called) {
        state.problemHere('the callback was called more than once');
        return;
      }
      called = true;
      result.outcome = 'callback';
      if (err !== null && err !== undefined) recordError(state, err);
      result.user = plain(user);
      result.context = plain(context);
      resolve();
    };
    try {
      fn(realm.data(c.input.user), realm.data(c.input.context), callback);
    } catch (err) {
      if (!called) {
        called = true;
        result.outcome = 'threw';
        recordError(state, err);
        resolve();
      } else {
        state.problem('the rule threw after calling back', err);
      }
    }
  });
}

async function runAction(state, realm, tpl, c, script) {
  const result = state.result;
  const g = realm.context;
  const mod = { exports: new realm.Object() };
  try {
    script.runInContext(g)(mod.exports, g.require, mod, `/${tpl.path}`, '/');
  } catch (err) {
    result.outcome = 'threw';
    recordError(state, err);
    return;
  }
  const handlerName = c.handler;
  const handler = mod.exports && mod.exports[handlerName];
  if (typeof handler !== 'function') {
    result.outcome = 'threw';
    result.problems.push({
      message: `the code does not export ${handlerName} (trigger ${tpl.trigger})`,
      line: null,
    });
    return;
  }
  const cache = new Map(Object.entries(c.input.cache || {}));
  const api = new realm.Object();
  const returns = (path, args) => {
    switch (path) {
      case 'api.cache.get':
        return cache.has(String(args[0])) ? realm.data({ value: cache.get(String(args[0])) }) : undefined;
      case 'api.cache.set':
        cache.set(String(args[0]), args[1]);
        return realm.data({ type: 'success' });
      case 'api.cache.delete':
        cache.delete(String(args[0]));
        return realm.data({ type: 'success' });
      case 'api.redirect.encodeToken':
        return `encoded-token.${Buffer.from(JSON.stringify(plain(args[0] && args[0].payload))).toString('base64url')}`;
      case 'api.rules.wasExecuted':
        return false;
      case 'api.redirect.canRedirect':
        return true;
      case 'api.redirect.validateToken':
        throw new realm.Error('no token in the request (stub api.redirect.validateToken under api_stubs)');
      default:
        return api;
    }
  };
  realm.platform(API_METHODS[tpl.trigger] || {}, api, { ...c, api_name: 'api' }, result.calls, returns);
  let ended = false;
  const uncaught = new Promise((resolve) => {
    state.onUncaught = (err) => {
      if (!ended) resolve({ err });
    };
  });
  try {
    const outcome = await Promise.race([handler(realm.data(c.input.event), api).then(() => null), uncaught]);
    if (outcome) throw outcome.err;
    result.outcome = 'returned';
  } catch (err) {
    result.outcome = 'threw';
    recordError(state, err);
  } finally {
    ended = true;
  }
}

worker();
