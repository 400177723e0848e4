// The MCP conformance check with the official TypeScript SDK (@modelcontextprotocol/sdk): its Client and
// StdioClientTransport run a session against `ai mcp` in front of a real paiosd (fake agent brains, a fresh
// PAIOS_HOME): initialize, tools/list page by page, every tool (the SDK checks each structuredContent against
// the tool's outputSchema), progress, a cancellation, each JSON-RPC error code, and paiosd not running.
// Any mismatch fails loudly: the first failed check prints what was expected and what came, and exits 1.
//
//   node sdk_client.mjs --sdk DIR --paiosd PATH --ai PATH --fake-agents DIR
// DIR holds node_modules/@modelcontextprotocol/sdk (tests/mcp/install_sdk.sh puts it there).
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, a, i, all) => (a.startsWith('--') ? [...pairs, [a.slice(2), all[i + 1]]] : pairs), []));
for (const key of ['sdk', 'paiosd', 'ai', 'fake-agents'])
  if (!args[key]) { console.error(`sdk_client: --${key} is required`); process.exit(2); }

const sdkRoot = path.join(args.sdk, 'node_modules', '@modelcontextprotocol', 'sdk', 'dist', 'esm');
const load = (p) => import(pathToFileURL(path.join(sdkRoot, p)).href);
const { Client } = await load('client/index.js');
const { StdioClientTransport } = await load('client/stdio.js');
const { McpError, EmptyResultSchema, LATEST_PROTOCOL_VERSION } = await load('types.js');
const sdkVersion = (await import(pathToFileURL(path.join(args.sdk, 'node_modules', '@modelcontextprotocol', 'sdk', 'package.json')).href,
                                 { with: { type: 'json' } }).catch(() => ({ default: { version: '?' } }))).default.version;

let checks = 0;
function check(what, ok, detail = '') {
  checks++;
  if (!ok) {
    console.error(`FAIL: ${what}${detail ? `\n  ${typeof detail === 'string' ? detail : JSON.stringify(detail)}` : ''}`);
    cleanup();
    process.exit(1);
  }
  console.log(`ok   ${what}`);
}
async function rejects(what, promise, code) {
  try {
    const r = await promise;
    check(what, false, `expected JSON-RPC error ${code}, got a result: ${JSON.stringify(r)}`);
  } catch (e) {
    check(what, e instanceof McpError && e.code === code, `expected McpError ${code}, got ${e?.constructor?.name} ${e?.code}: ${e?.message}`);
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Calls read() until done(value) holds or `within` ms have passed, pausing `every` ms between calls; returns the
// last value read.
async function pollUntil(read, done, within = 10000, every = 50) {
  const deadline = Date.now() + within;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(every);
    value = await read();
  }
  return value;
}

// ---- a paiosd of our own -----------------------------------------------------------------------------------
const home = mkdtempSync(path.join(tmpdir(), 'paios-sdk-'));
const downHome = mkdtempSync(path.join(tmpdir(), 'paios-sdk-down-'));
const fake = (mode) => ({ kind: 'process', command: [path.join(args['fake-agents'], 'fake-text')], format: 'text',
                          env: { FAKE_MODE: mode, FAKE_DELAY_MS: '300' }, kill_grace_ms: 500 });
writeFileSync(path.join(home, 'config.json'), JSON.stringify({
  brains: { slow: fake('slow'), hang: fake('hang') },
  tasks: { default_brain: 'echo', failover: [] },
  router: { threshold: 1, chains: { chat: ['echo'] } },
  obs: { http: { endpoint: '' } },
}));
const env = { ...process.env, PATH: `${args['fake-agents']}:${process.env.PATH}` };
const daemon = spawn(args.paiosd, ['--home', home], { env, stdio: ['ignore', 'ignore', 'pipe'] });
let daemonLog = '';
daemon.stderr.on('data', (d) => { daemonLog += d; });
const clients = [];
function cleanup() {
  for (const c of clients) try { c.close(); } catch {}
  try { daemon.kill('SIGKILL'); } catch {}
  for (const dir of [home, downHome]) try { rmSync(dir, { recursive: true, force: true }); } catch {}
}
process.on('uncaughtException', (e) => { console.error(`FAIL: ${e.stack ?? e}\npaiosd log:\n${daemonLog}`); cleanup(); process.exit(1); });
process.on('unhandledRejection', (e) => { console.error(`FAIL: ${e?.stack ?? e}\npaiosd log:\n${daemonLog}`); cleanup(); process.exit(1); });

const pings = () => { try { execFileSync(args.ai, ['--home', home, 'ping'], { stdio: 'ignore' }); return true; } catch { return false; } };
if (!await pollUntil(pings, (up) => up, 15000, 100)) check('paiosd starts', false, daemonLog);
console.log(`SDK ${sdkVersion} (latest protocol ${LATEST_PROTOCOL_VERSION}), node ${process.version}; paiosd on ${home}`);

// A client whose transport records every message the server sends.
async function connect(homeDir, extra = []) {
  const transport = new StdioClientTransport({ command: args.ai, args: ['--home', homeDir, 'mcp', ...extra], env, stderr: 'pipe' });
  const seen = [], sent = [];
  const send = transport.send.bind(transport);
  transport.send = (m, options) => { sent.push(m); return send(m, options); };
  const start = transport.start.bind(transport);
  transport.start = async () => {
    const inner = transport.onmessage;
    transport.onmessage = (m, extra2) => { seen.push(m); inner?.(m, extra2); };
    return start();
  };
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const client = new Client({ name: 'paios-sdk-test', version: '1.0.0' }, { capabilities: {} });
  clients.push(client);
  await client.connect(transport);
  return { client, transport, seen, sent, stderr: () => stderr };
}

// ---- initialize and tools/list ---------------------------------------------------------------------------
const { client, seen, sent, stderr } = await connect(home, ['--page-size', '3']);
const init = seen.find((m) => m.id !== undefined && m.result?.protocolVersion);
check('initialize negotiates the current version', init?.result.protocolVersion === LATEST_PROTOCOL_VERSION, init);
check('serverInfo names paios', client.getServerVersion()?.name === 'paios', client.getServerVersion());
check('capabilities offer tools', client.getServerCapabilities()?.tools !== undefined, client.getServerCapabilities());
check('instructions are given', (client.getInstructions() ?? '').length > 0);
await client.ping();
check('ping', true);

const tools = [];
let cursor, pages = 0;
do {
  const page = await client.listTools(cursor ? { cursor } : {});
  tools.push(...page.tools);
  cursor = page.nextCursor;
  pages++;
} while (cursor && pages < 20);
const names = tools.map((t) => t.name).sort();
const expected = ['alert_ack', 'alerts_list', 'approval_decide', 'approvals_list', 'autonomy_check', 'autonomy_show', 'breaker_reset', 'daily_report', 'health', 'jobs_history', 'jobs_list', 'jobs_run', 'kb_add', 'kb_get', 'kb_search', 'learnings_recall',
                  'obs_query', 'obs_score', 'pipeline_cancel', 'pipeline_list', 'pipeline_resume', 'pipeline_run',
                  'pipeline_runs', 'pipeline_status', 'router_classify', 'task_status', 'task_submit', 'watch_list'];
check('tools/list pages with a cursor', pages === Math.ceil(expected.length / 3), `${pages} pages`);
check('tools/list lists the registry\'s tools', JSON.stringify(names) === JSON.stringify(expected), names);
for (const t of tools)
  check(`${t.name} has an input and an output schema`, t.inputSchema?.type === 'object' && t.outputSchema?.type === 'object');
// callTool validates structuredContent with these schemas from here on (listTools cached them).

// ---- every tool -----------------------------------------------------------------------------------------
const called = new Set();
async function ok(name, toolArgs, options) {
  const r = await client.callTool({ name, arguments: toolArgs }, undefined, options);
  called.add(name);
  check(`${name} succeeds with structured content matching its outputSchema`, r.isError === false && r.structuredContent, r);
  check(`${name}'s text content is its JSON`, JSON.stringify(JSON.parse(r.content[0].text)) === JSON.stringify(r.structuredContent));
  return r.structuredContent;
}
const added = await ok('kb_add', { content: 'Rotating the Postgres replica: promote the standby with pg_ctl promote.',
                                   title: 'Replica rotation', source: '/notes/replica.md' });
const found = await ok('kb_search', { query: 'promote the standby replica', k: 3 });
check('kb_search finds the article', found.results[0]?.article_id === added.article_id, found);
const article = await ok('kb_get', { article_id: added.article_id });
check('kb_get returns the content', article.article.content.includes('pg_ctl promote'));
await ok('kb_add', { content: 'CAF 0.17 response handlers passed to then() must return void.', kind: 'learning',
                     brain: 'claude', session: 's-1', topic: 'caf' });
const learned = await ok('learnings_recall', { topic: 'CAF response handlers' });
check('learnings_recall says which brain learned it', learned.results[0]?.brain === 'claude', learned);
const route = await ok('router_classify', { prompt: 'review this function' });
check('router_classify gives a chain', Array.isArray(route.chain) && route.chain.length > 0, route);
const task = await ok('task_submit', { prompt: 'hello mesh', brain: 'echo' });
check('task_submit answers', task.text === 'hello mesh', task);
const status = await ok('task_status', { task_id: task.task_id });
check('task_status has its state', status.task.state === 'succeeded', status);
await ok('obs_score', { task_id: task.task_id, score: 5, note: 'sdk' });
const events = await ok('obs_query', { trace_id: task.trace_id });
check('obs_query finds the task trace', events.events.length > 0);
const health = await ok('health', {});
check('health reports the daemon', health.daemon.pid === daemon.pid, health.daemon);
const reset = await ok('breaker_reset', { brain: 'echo' });
check('breaker_reset closes the breaker', reset.brain === 'echo' && reset.breaker.state === 'closed', reset);
await ok('jobs_list', {});
await ok('jobs_history', { name: 'heartbeat', limit: 5 });
await ok('pipeline_list', {});
await ok('pipeline_runs', {});
await ok('watch_list', {});
await ok('approvals_list', {});
await ok('alerts_list', { all: true });
const report = await ok('daily_report', {});
check('daily_report gives today so far', report.complete === false && typeof report.markdown === 'string', report.date);
const noAlert = await client.callTool({ name: 'alert_ack', arguments: { alert_id: 424242 } });
called.add('alert_ack');
check('alert_ack refuses an unknown alert, naming it', noAlert.isError === true && noAlert.content[0].text.includes('no alert 424242'), noAlert);
const policy = await ok('autonomy_show', {});
check('autonomy_show lists the built-in rules', policy.rules.some((r) => r.source === 'builtin' && r.level === 'never'), policy.rules.length);
const never = await ok('autonomy_check', { command: 'sudo rm -rf /', cwd: '/tmp' });
check('autonomy_check names the never rule', never.level === 'never' && never.rule !== '' && never.reason.includes(never.rule), never);
const safe = await ok('autonomy_check', { command: 'git status && ls -la', cwd: '/tmp' });
check('autonomy_check: read-only commands are safe', safe.level === 'safe', safe);
const written = await ok('autonomy_check', { tool: 'Write', path: '/etc/passwd', cwd: '/tmp' });
check('autonomy_check judges a file tool', written.level === 'never', written);
const relative = await client.callTool({ name: 'autonomy_check', arguments: { command: 'ls', cwd: 'tmp' } });
check('autonomy_check refuses a relative cwd, naming it', relative.isError === true && relative.content[0].text.includes('cwd'), relative);
// Those that start or stop a job or a pipeline run need one configured, and deciding an approval needs a waiting
// tool call: tests/integration/mcp_stdio_test.cpp.
const needConfig = new Set(['jobs_run', 'pipeline_run', 'pipeline_status', 'pipeline_resume', 'pipeline_cancel',
                            'approval_decide']);
check('every tool was called', tools.every((t) => called.has(t.name) || needConfig.has(t.name)), [...called]);

// ---- progress -----------------------------------------------------------------------------------------
const prompt = 'stream these words slowly to the client please';
const progress = [];
const slow = await client.callTool({ name: 'task_submit', arguments: { prompt, brain: 'slow' } }, undefined,
                                   { onprogress: (p) => progress.push(p), resetTimeoutOnProgress: true });
check('a streamed task ends with its answer', slow.isError === false && slow.structuredContent.text === prompt, slow);
const chunks = progress.filter((p) => !/^(accepted as task|routed to) /.test(p.message ?? ''));
check('progress notifications carry the chunks', chunks.length >= 3 && chunks.map((p) => p.message).join('') === prompt, progress);
check('progress increases', progress.every((p, i) => i === 0 || p.progress > progress[i - 1].progress), progress);

// ---- cancellation -------------------------------------------------------------------------------------
const abort = new AbortController();
let taskId;
const hanging = client.callTool({ name: 'task_submit', arguments: { prompt: 'never ends', brain: 'hang' } }, undefined, {
  signal: abort.signal,
  onprogress: (p) => { const m = /^accepted as task (\S+)/.exec(p.message ?? ''); if (m) taskId = m[1]; },
});
await pollUntil(() => taskId, Boolean, 5000);
check('the long task was accepted', Boolean(taskId));
// Cancelled once it runs, so that the cancel reaches a running agent (not a task still queued).
const taskState = async () => (await client.callTool({ name: 'task_status', arguments: { task_id: taskId } })).structuredContent.task.state;
const running = await pollUntil(taskState, (s) => s !== 'queued', 10000, 50);
check('the long task runs', running === 'running', running);
abort.abort('the user changed their mind');
try {
  await hanging;
  check('a cancelled call does not resolve', false);
} catch (e) {
  check('a cancelled call ends on the client', true, String(e));
}
const state = await pollUntil(taskState, (s) => s === 'cancelled', 10000, 100);
check('notifications/cancelled cancelled the task on the bus', state === 'cancelled', state);
// The server reads its input in order and, once it has read notifications/cancelled, never answers that call:
// an answer sent before would be on stdout ahead of this ping's, so after the pong its absence is final.
const pong = await client.ping();
check('the session goes on after a cancel', JSON.stringify(pong) === '{}', pong);
const cancelledId = sent.find((m) => m.method === 'tools/call' && m.params?.arguments?.brain === 'hang')?.id;
const cancelNote = sent.find((m) => m.method === 'notifications/cancelled');
check('the SDK sent notifications/cancelled for it', cancelledId !== undefined && cancelNote?.params?.requestId === cancelledId, cancelNote);
check('the cancelled request got no response', !seen.some((m) => m.id === cancelledId && m.method === undefined),
      seen.filter((m) => m.id === cancelledId));

// ---- error codes --------------------------------------------------------------------------------------
await rejects('an unknown method is -32601', client.request({ method: 'server/discover', params: {} }, EmptyResultSchema), -32601);
await rejects('an unknown tool is -32602', client.callTool({ name: 'kb_drop_everything', arguments: {} }), -32602);
await rejects('an unknown cursor is -32602', client.listTools({ cursor: 'forged' }), -32602);
const bad = await client.callTool({ name: 'kb_search', arguments: { query: 'x', k: 1000 } });
check('invalid arguments are a tool error naming the argument (2025-11-25)', bad.isError === true && bad.content[0].text.includes("'k'"), bad);
const failing = await client.callTool({ name: 'kb_get', arguments: { article_id: 'kb-none' } });
check('a bus error is a tool error with its code', failing.isError === true && failing.content[0].text.startsWith('not_found: '), failing);

// The SDK cannot send malformed JSON: a raw process for -32700 and -32600.
const raw = spawn(args.ai, ['--home', home, 'mcp'], { env, stdio: ['pipe', 'pipe', 'ignore'] });
const lines = createInterface({ input: raw.stdout });
const rawReplies = [];
lines.on('line', (l) => rawReplies.push(JSON.parse(l)));
raw.stdin.write('{"jsonrpc":"2.0","id":1,"method":\n');
raw.stdin.write('[{"jsonrpc":"2.0","id":2,"method":"ping"}]\n');
raw.stdin.write('{"jsonrpc":"2.0","id":3,"method":"ping","params":"x"}\n');
raw.stdin.write('{"jsonrpc":"2.0","id":4,"method":"ping"}\n');
raw.stdin.end();
const rawExit = await new Promise((r) => raw.on('close', r));
check('a raw session exits 0 at the end of its input', rawExit === 0, rawExit);
check('not JSON is -32700 with a null id', rawReplies[0]?.error?.code === -32700 && rawReplies[0].id === null, rawReplies[0]);
check('a batch is -32600', rawReplies[1]?.error?.code === -32600, rawReplies[1]);
check('an invalid request is -32600 with its id', rawReplies[2]?.error?.code === -32600 && rawReplies[2].id === 3, rawReplies[2]);
check('and the session goes on', rawReplies[3]?.id === 4 && JSON.stringify(rawReplies[3].result) === '{}', rawReplies[3]);

// ---- paiosd not running -------------------------------------------------------------------------------
const down = await connect(downHome);
const downTools = await down.client.listTools();
check('without paiosd, tools/list still answers', downTools.tools.length === expected.length, downTools.tools.length);
const downCall = await down.client.callTool({ name: 'health', arguments: {} });
check('without paiosd, a call is a tool error naming the command that starts it',
      downCall.isError === true && downCall.content[0].text.includes(`paiosd --home ${downHome}`), downCall);
await down.client.close();

await client.close();
check('stderr carried the logs', stderr().includes('speaking 2025-11-25'), stderr());
cleanup();
console.log(`${checks} passed, 0 failed`);
