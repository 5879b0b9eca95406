// MCP tasks through the TypeScript SDK's client (@modelcontextprotocol/sdk,
// client.experimental.tasks), an implementation independent of the
// server's: TestTasksTypeScriptSDK runs it against the binary and judges
// what it prints (one JSON object on stdout).
//
//   node tasks-client.mjs NODE_MODULES ENDPOINT complete|cancel
//
// NODE_MODULES holds @modelcontextprotocol/sdk (.ci/run installs the
// pinned one); ENDPOINT is the server's MCP URL. complete: create_report
// as a task to its end, and the plain call; cancel: a task cancelled once
// it polls Qualys.
import { pathToFileURL } from 'node:url';

const [modules, endpoint, mode] = process.argv.slice(2);
const sdk = (path) => import(pathToFileURL(`${modules}/@modelcontextprotocol/sdk/dist/esm/${path}`).href);
const { Client } = await sdk('client/index.js');
const { StreamableHTTPClientTransport } = await sdk('client/streamableHttp.js');
const { CreateTaskResultSchema, CallToolResultSchema } = await sdk('types.js');

const client = new Client({ name: 'qcs-ts-tasks', version: '1' }, { capabilities: {} });
await client.connect(new StreamableHTTPClientTransport(new URL(endpoint)));
const out = { protocol: client.transport.protocolVersion, capabilities: client.getServerCapabilities().tasks ?? null };

const { tools } = await client.listTools(); // the SDK learns which tools take tasks
out.taskTools = tools.filter((t) => t.execution?.taskSupport === 'optional').map((t) => t.name).sort();
const report = { name: 'TS nightly', templateName: 'CS_IMAGE_VULNERABILITY' };

if (mode === 'complete') {
  // create_report as a task, to its end: the stream polls tasks/get,
  // then reads tasks/result
  out.stream = [];
  for await (const m of client.experimental.tasks.callToolStream({ name: 'create_report', arguments: report }, undefined, { task: { ttl: 600000 } })) {
    out.stream.push(
      m.type === 'result' ? { type: m.type, result: m.result.structuredContent ?? null, isError: m.result.isError ?? false }
        : m.type === 'error' ? { type: m.type, error: String(m.error) }
          : { type: m.type, status: m.task.status, statusMessage: m.task.statusMessage ?? '' },
    );
  }
  // the plain call, for clients without tasks
  out.plain = (await client.callTool({ name: 'create_report', arguments: report })).structuredContent ?? null;
} else {
  // a task that polls a report not ready yet, cancelled once it polls
  const slow = await client.request({ method: 'tools/call', params: { name: 'create_report', arguments: report, task: { ttl: 600000 } } }, CreateTaskResultSchema);
  const id = slow.task.taskId;
  for (let i = 0; i < 400 && !(await client.experimental.tasks.getTask(id)).statusMessage?.includes(' is '); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  out.cancelled = (await client.experimental.tasks.cancelTask(id)).status;
  out.afterCancel = await client.experimental.tasks.getTask(id);
  try {
    await client.experimental.tasks.getTaskResult(id, CallToolResultSchema);
    out.cancelledResult = 'a result';
  } catch (e) {
    out.cancelledResult = { code: e.code, message: e.message };
  }
}

await client.close();
process.stdout.write(JSON.stringify(out) + '\n');
