// Drives the local tenant with the real `auth0` Node SDK (v5+) over TLS.
// Usage: node sdk_conformance.js flow|ratelimit DOMAIN CLIENT_ID CLIENT_SECRET
// (trust the tenant's CA with NODE_EXTRA_CA_CERTS). Prints one JSON object with what it saw.
'use strict';
const { ManagementClient } = require('auth0');

const [mode, domain, clientId, clientSecret] = process.argv.slice(2);
const client = new ManagementClient({ domain, clientId, clientSecret });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const CODE_V1 = 'exports.onExecutePostLogin = async (event, api) => { api.access.deny("v1"); };';
const CODE_V2 = 'exports.onExecutePostLogin = async (event, api) => { /* v2 */ };';

async function until(what, test, get) {
  for (let i = 0; i < 200; i++) {
    const value = await get();
    if (test(value)) return value;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function statusOf(promise) {
  try {
    await promise;
    return 200;
  } catch (err) {
    return err.statusCode;
  }
}

async function flow() {
  const out = {};
  const names = Array.from({ length: 250 }, (_, i) => `rule-${String(i).padStart(3, '0')}`);
  for (let i = 0; i < names.length; i += 25) {
    await Promise.all(names.slice(i, i + 25).map((name, j) =>
      client.rules.create({ name, script: `function (user, context, callback) { callback(null, user, context); } // ${i + j}`, enabled: true })));
  }
  const seen = [];
  const pages = await client.rules.list({ per_page: 50, include_totals: true });
  for await (const rule of pages) seen.push(rule.name);
  out.paged_rules = seen.length;
  out.paged_unique = new Set(seen).size;
  const first = (await client.rules.list({ page: 0, per_page: 1, include_totals: true })).data[0];
  const updated = await client.rules.update(first.id, { enabled: false, script: 'function (u, c, cb) { cb(null, u, c); }' });
  out.updated_enabled = updated.enabled;
  await client.rules.delete(first.id);
  out.get_deleted_status = await statusOf(client.rules.get(first.id));
  out.duplicate_name_status = await statusOf(client.rules.create({ name: 'rule-001', script: 'x' }));

  await client.rulesConfigs.set('API_KEY', { value: 'sekrit' });
  out.rules_configs = await client.rulesConfigs.list();

  const action = await client.actions.create({
    name: 'deny-v1', supported_triggers: [{ id: 'post-login', version: 'v3' }], code: CODE_V1,
    secrets: [{ name: 'TOKEN', value: 'shh' }],
  });
  out.created_status = action.status;
  await until('build', (a) => a.status === 'built', () => client.actions.get(action.id));
  const v1 = await client.actions.deploy(action.id);
  out.v1_number = v1.number;
  await until('deploy', (a) => a.deployed_version && a.deployed_version.deployed, () => client.actions.get(action.id));
  const bound = await client.actions.triggers.bindings.updateMany('post-login', {
    bindings: [{ ref: { type: 'action_name', value: 'deny-v1' }, display_name: 'deny' }],
  });
  out.bound = bound.bindings.map((b) => [b.display_name, b.action.name]);
  const listed = [];
  for await (const b of await client.actions.triggers.bindings.list('post-login')) listed.push(b.display_name);
  out.listed_bindings = listed;

  await client.actions.update(action.id, { code: CODE_V2 });
  out.after_patch_status = (await client.actions.get(action.id)).status;
  await until('rebuild', (a) => a.status === 'built', () => client.actions.get(action.id));
  const v2 = await client.actions.deploy(action.id);
  out.v2_number = v2.number;
  const versions = [];
  for await (const v of await client.actions.versions.list(action.id)) versions.push(v.number);
  out.versions = versions;
  const rolled = await client.actions.versions.deploy(action.id, v1.id, {});
  out.rollback_number = rolled.number;
  out.rollback_code_is_v1 = rolled.code === CODE_V1;
  const final = await until('rollback deployed', (a) => a.deployed_version && a.deployed_version.deployed,
    () => client.actions.get(action.id));
  out.deployed_number = final.deployed_version.number;
  out.secret_values_hidden = final.secrets.every((s) => !('value' in s));
  out.triggers = (await client.actions.triggers.list()).triggers.filter((t) => t.status === 'CURRENT').map((t) => `${t.id}:${t.version}`);
  out.delete_bound_status = await statusOf(client.actions.delete(action.id));
  await client.actions.delete(action.id, { force: true });
  out.get_deleted_action_status = await statusOf(client.actions.get(action.id));
  return out;
}

async function ratelimit() {
  const results = [];
  for (let i = 0; i < 8; i++) {
    results.push(await statusOf(client.rules.create({ name: `limited-${i}`, script: 'x' })));
  }
  return { statuses: results };
}

(mode === 'flow' ? flow() : ratelimit()).then(
  (out) => { process.stdout.write(JSON.stringify(out) + '\n'); },
  (err) => { process.stderr.write(`${err && err.stack || err}\n${JSON.stringify(err && err.body)}\n`); process.exit(1); },
);
