// Reads traces.jsonl files (one OTLP/JSON ExportTraceServiceRequest per line) with the OTLP protobuf
// definitions OpenTelemetry's JavaScript exporter ships, and checks that one chat send is one trace:
// gateway -> Router -> Channel, each span the child of the one before.
// usage: node validate.cjs FILE...
'use strict';
const fs = require('fs');
const Long = require('long');
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root');

const Request = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
const fail = (message) => { console.error('FAIL: ' + message); process.exit(1); };

// OTLP/JSON differs from proto3's JSON mapping in one way: ids are hex, not base64. Turned into bytes (and
// nanosecond strings into 64-bit integers), a line must verify against the schema and survive a protobuf
// round trip unchanged: a misnamed field, a wrong type or a bad enum shows as a difference.
function asProtobufObject(request) {
  const copy = JSON.parse(JSON.stringify(request));
  for (const resourceSpans of copy.resourceSpans || []) {
    for (const scopeSpans of resourceSpans.scopeSpans || []) {
      for (const span of scopeSpans.spans || []) {
        for (const id of ['traceId', 'spanId', 'parentSpanId']) {
          if (span[id] !== undefined) span[id] = Buffer.from(span[id], 'hex');
        }
        for (const time of ['startTimeUnixNano', 'endTimeUnixNano']) {
          span[time] = Long.fromString(span[time], true);
        }
        for (const attribute of span.attributes || []) {
          if (attribute.value.intValue !== undefined) attribute.value.intValue = Long.fromString(attribute.value.intValue);
        }
      }
    }
  }
  return copy;
}

function readSpans(file) {
  const spans = [];
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((line) => line.length > 0);
  lines.forEach((line, index) => {
    const where = `${file}:${index + 1}`;
    const request = JSON.parse(line);
    const object = asProtobufObject(request);
    const problem = Request.verify(object);
    if (problem) fail(`${where}: ${problem}`);
    const decoded = idsToHex(Request.toObject(Request.decode(Request.encode(Request.fromObject(object)).finish()), {
      longs: String, enums: Number, bytes: String, defaults: false,
    }));
    const expected = JSON.parse(JSON.stringify(request));
    if (JSON.stringify(normalise(decoded)) !== JSON.stringify(normalise(expected))) {
      fail(`${where}: changed by a protobuf round trip:\n  ${JSON.stringify(expected)}\n  ${JSON.stringify(decoded)}`);
    }
    for (const resourceSpans of request.resourceSpans) {
      const service = resourceSpans.resource.attributes.find((a) => a.key === 'service.name').value.stringValue;
      for (const scopeSpans of resourceSpans.scopeSpans) {
        for (const span of scopeSpans.spans) spans.push({ ...span, service });
      }
    }
  });
  return spans;
}

// protobufjs writes bytes in base64; OTLP/JSON has ids in hex.
function idsToHex(value) {
  if (Array.isArray(value)) return value.map(idsToHex);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = ['traceId', 'spanId', 'parentSpanId'].includes(key) ? Buffer.from(inner, 'base64').toString('hex')
                                                                   : idsToHex(inner);
  }
  return out;
}

// Sorted keys, and an empty status (OK) dropped: protobuf does not keep empty messages' presence in JSON.
function normalise(value) {
  if (Array.isArray(value)) return value.map(normalise);
  if (value === null || typeof value !== 'object') return value;
  const out = {};
  for (const key of Object.keys(value).sort()) {
    const inner = normalise(value[key]);
    if (key === 'status' && Object.keys(inner).length === 0) continue;
    out[key] = inner;
  }
  return out;
}

const files = process.argv.slice(2);
if (files.length === 0) fail('usage: node validate.cjs FILE...');
const spans = files.flatMap(readSpans);
const append = spans.find((s) => s.kind === 2 && s.name === 'lanchat.channel.v1.Channel/Append');
if (!append) fail(`no Channel Append server span among ${spans.length} spans`);
const trace = spans.filter((s) => s.traceId === append.traceId);
const parentOf = (span) => trace.find((s) => s.spanId === span.parentSpanId);
const chain = [];
for (let span = append; span; span = parentOf(span)) chain.unshift(`${span.service}:${span.kind === 2 ? 'server' : 'client'}:${span.name}`);
const expected = [
  'gateway:client:lanchat.router.v1.Router/Send',
  'router:server:lanchat.router.v1.Router/Send',
  'router:client:lanchat.channel.v1.Channel/Append',
  'channel:server:lanchat.channel.v1.Channel/Append',
];
if (JSON.stringify(chain) !== JSON.stringify(expected)) {
  fail(`the send's trace is not gateway -> Router -> Channel:\n  ${chain.join('\n  ')}`);
}
console.log(`${spans.length} spans in OTLP/JSON read back by OpenTelemetry's definitions; the send's trace: ${chain.join(' -> ')}`);
