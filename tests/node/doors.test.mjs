// The official OpenAI and Anthropic TypeScript clients, unmodified, against a running exchange.
// Run by Entrepot.EndToEnd.Tests.NodeClientsTests, which starts the demo market and a seller whose
// model calls tools (ENTREPOT_TOOLS_MODEL), and passes the addresses in the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const root = process.env.ENTREPOT_URL;          // http://127.0.0.1:port
const key = process.env.ENTREPOT_KEY;
const model = process.env.ENTREPOT_MODEL_NAME;  // the embedded engine's model
const tools = process.env.ENTREPOT_TOOLS_MODEL; // the scripted seller's model
const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const openai = new OpenAI({ apiKey: key, baseURL: `${root}/v1`, maxRetries: 0 });
const anthropic = new Anthropic({ apiKey: key, baseURL: root, maxRetries: 0 });

const noteTool = { type: 'function', name: 'send_note', description: 'Sends a note', parameters: { type: 'object', properties: { note: { type: 'string' } }, required: ['note'] }, strict: false };

test('openai: responses, plain', async () => {
  const r = await openai.responses.create({ model, input: 'Once upon a time', max_output_tokens: 16, temperature: 0 });
  assert.match(r.id, /^resp_/);
  assert.ok(r.output_text.length > 0);
  assert.equal(r.usage.output_tokens, 16);
});

test('openai: responses, streamed', async () => {
  const stream = await openai.responses.create({ model, input: 'Once upon a time', max_output_tokens: 8, temperature: 0, stream: true });
  let text = '', final = null, seq = -1;
  for await (const event of stream) {
    assert.equal(event.sequence_number, seq + 1);
    seq = event.sequence_number;
    if (event.type === 'response.output_text.delta') text += event.delta;
    if (event.type === 'response.completed' || event.type === 'response.incomplete') final = event.response;
  }
  assert.ok(final);
  assert.equal(final.output[0].content[0].text, text);
  assert.equal(final.usage.output_tokens, 8);
});

test('openai: responses, a tool call round trip', async () => {
  const input = [{ role: 'user', content: 'Remind Lena about Tuesday.' }];
  const first = await openai.responses.create({ model: tools, input, tools: [noteTool] });
  const call = first.output.find(i => i.type === 'function_call');
  assert.equal(call.name, 'send_note');
  assert.deepEqual(JSON.parse(call.arguments), { note: 'Remind Lena about Tuesday.' });
  const second = await openai.responses.create({
    model: tools, tools: [noteTool],
    input: [...input, call, { type: 'function_call_output', call_id: call.call_id, output: 'sent' }],
  });
  assert.equal(second.output_text, 'Tool said: sent');
});

test('openai: responses, an image part', async () => {
  const r = await openai.responses.create({
    model: tools, input: [{ role: 'user', content: [{ type: 'input_text', text: 'What is this?' }, { type: 'input_image', image_url: `data:image/png;base64,${png}`, detail: 'auto' }] }],
  });
  assert.equal(r.output_text, 'You said: What is this?');
});

test('openai: responses, an error', async () => {
  await assert.rejects(openai.responses.create({ model, input: 'x', store: true }), e => e.status === 400 && e.param === 'store');
  await assert.rejects(openai.responses.create({ model: 'no-such-model', input: 'x' }), e => e.status === 404);
});

test('openai: embeddings', async () => {
  const r = await openai.embeddings.create({ model, input: ['Once upon a time', 'a cat'] });
  assert.equal(r.data.length, 2);
  const v = r.data[0].embedding;
  assert.ok(v.length >= 8);
  assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-3);
});

test('anthropic: messages, plain', async () => {
  const m = await anthropic.messages.create({ model, max_tokens: 12, system: 'Tell a story.', messages: [{ role: 'user', content: 'Once upon a time' }] });
  assert.match(m.id, /^msg_/);
  assert.equal(m.type, 'message');
  assert.equal(m.content[0].type, 'text');
  assert.ok(m.content[0].text.length > 0);
  assert.equal(m.stop_reason, 'max_tokens');
  assert.equal(m.usage.output_tokens, 12);
});

test('anthropic: messages, streamed', async () => {
  const stream = anthropic.messages.stream({ model, max_tokens: 8, messages: [{ role: 'user', content: 'Once upon a time' }] });
  let text = '';
  stream.on('text', t => { text += t; });
  const final = await stream.finalMessage();
  assert.equal(final.content[0].text, text);
  assert.equal(final.stop_reason, 'max_tokens');
  assert.equal(final.usage.output_tokens, 8);
  assert.ok(final.usage.input_tokens > 0);
});

test('anthropic: messages, a tool call round trip (streamed)', async () => {
  const toolDef = { name: 'send_note', description: 'Sends a note', input_schema: { type: 'object', properties: { note: { type: 'string' } } } };
  const messages = [{ role: 'user', content: 'Remind Lena about Tuesday.' }];
  const first = await anthropic.messages.stream({ model: tools, max_tokens: 64, tools: [toolDef], messages }).finalMessage();
  assert.equal(first.stop_reason, 'tool_use');
  const use = first.content.find(b => b.type === 'tool_use');
  assert.equal(use.name, 'send_note');
  assert.deepEqual(use.input, { note: 'Remind Lena about Tuesday.' });
  const second = await anthropic.messages.create({
    model: tools, max_tokens: 64, tools: [toolDef],
    messages: [...messages, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'sent' }] }],
  });
  assert.equal(second.content[0].text, 'Tool said: sent');
});

test('anthropic: messages, an image block', async () => {
  const m = await anthropic.messages.create({
    model: tools, max_tokens: 16,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: png } }] }],
  });
  assert.equal(m.content[0].text, 'You said: What is this?');
});

test('anthropic: messages, an error in Anthropic\'s shape', async () => {
  await assert.rejects(anthropic.messages.create({ model, max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }),
    e => e.status === 400 && e.error?.type === 'error' && e.error?.error?.type === 'invalid_request_error');
  const bad = new Anthropic({ apiKey: 'ent-wrong-key-0123456789', baseURL: root, maxRetries: 0 });
  await assert.rejects(bad.messages.create({ model, max_tokens: 4, messages: [{ role: 'user', content: 'x' }] }),
    e => e.status === 401 && e.error?.error?.type === 'authentication_error');
});

test('anthropic: count_tokens, answered by the exchange', async () => {
  const r = await anthropic.messages.countTokens({ model, messages: [{ role: 'user', content: 'Once upon a time' }] });
  assert.ok(r.input_tokens > 0);
});
