// Runs build/hookguard.wasm in Node's V8 (the engine Envoy embeds) through
// a minimal proxy-wasm host: the calls the module imports, with Envoy's
// semantics for the ones a signed request touches. It times signed Pipes
// requests of each size and prints one JSON line:
//   {"node":"v20…","results":[{"size":1024,"ns_per_request":…,"mb_per_s":…}]}
//
//   node bench/v8/run.mjs build/hookguard.wasm [seconds per size]
//
// A request the module rejects fails the run: a fast wrong answer is no
// benchmark. The signature is Node's own crypto, not ours.
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import { WASI } from 'node:wasi';

const [wasmPath = 'build/hookguard.wasm', secondsArg = '1'] = process.argv.slice(2);
const seconds = Number(secondsArg);
const secret = 'bench-secret-0123456789';
const config = Buffer.from(JSON.stringify({ secret_env: 'PIPES_WEBHOOK_SECRET' }));

const wasi = new WASI({ version: 'preview1', env: { PIPES_WEBHOOK_SECRET: secret }, args: [], returnOnExit: true });
let inst, mem, view, bytes;
// Views of module memory, renewed only when it grows.
function refresh() {
  if (!view || view.buffer !== mem.buffer) {
    view = new DataView(mem.buffer);
    bytes = new Uint8Array(mem.buffer);
  }
}
const u8 = () => (refresh(), bytes);
const dv = () => (refresh(), view);
const text = (p, n) => Buffer.from(mem.buffer, p, n).toString('utf8');

// State of the stream being served.
let headers = [], encodedHeaders = null, body = Buffer.alloc(0), localReply = null, added = [];
const metrics = [];

// alloc copies b into module memory via the module's allocator and writes
// its address and size at the return pointers, as Envoy does.
function give(b, retPtr, retSize) {
  const p = inst.exports.proxy_on_memory_allocate(Math.max(b.length, 1));
  u8().set(b, p);
  dv().setUint32(retPtr, p, true);
  dv().setUint32(retSize, b.length, true);
  return 0;
}

function encodePairs(pairs) {
  let size = 4;
  for (const [k, v] of pairs) size += 8 + Buffer.byteLength(k) + 1 + Buffer.byteLength(v) + 1;
  const b = Buffer.alloc(size);
  b.writeUInt32LE(pairs.length, 0);
  let off = 4;
  for (const [k, v] of pairs) {
    b.writeUInt32LE(Buffer.byteLength(k), off);
    b.writeUInt32LE(Buffer.byteLength(v), off + 4);
    off += 8;
  }
  for (const [k, v] of pairs) {
    off += b.write(k, off) + 1;
    off += b.write(v, off) + 1;
  }
  return b;
}

const OK = 0, NOT_FOUND = 1, BAD_ARGUMENT = 2;
const env = {
  proxy_log: () => OK, // dropped, as at Envoy's default level
  proxy_get_buffer_bytes: (type, start, max, retPtr, retSize) => {
    const src = type === 7 ? config : type === 0 ? body : null; // plugin configuration, request body
    if (src === null) return NOT_FOUND;
    return give(src.subarray(start, start + max), retPtr, retSize);
  },
  proxy_get_header_map_pairs: (type, retPtr, retSize) => {
    if (type !== 0) return BAD_ARGUMENT;
    return give(encodedHeaders, retPtr, retSize); // encoded once per size: the harness should cost little
  },
  proxy_send_local_response: (status) => { localReply = status; return OK; },
  proxy_define_metric: (_type, p, n, retID) => { metrics.push(text(p, n)); dv().setUint32(retID, metrics.length, true); return OK; },
  proxy_increment_metric: () => OK,
  proxy_get_current_time_nanoseconds: (ret) => { dv().setBigUint64(ret, BigInt(Date.now()) * 1000000n, true); return OK; },
  proxy_add_header_map_value: (_type, kp, kn, vp, vn) => { added.push([text(kp, kn), text(vp, vn)]); return OK; },
  proxy_remove_header_map_value: () => OK,
  proxy_get_property: () => NOT_FOUND, // no route of the bench has source_cidrs
  proxy_http_call: () => 2, // BadArgument: no route of the bench fetches a JWK Set
  proxy_set_tick_period_milliseconds: () => OK,
  proxy_set_effective_context: () => 2, // BadArgument: no route of the bench waits for a provider key
  proxy_continue_stream: () => 2,
  proxy_get_shared_data: () => NOT_FOUND,
  proxy_set_shared_data: () => OK,
};

const module = await WebAssembly.compile(readFileSync(wasmPath));
inst = await WebAssembly.instantiate(module, { wasi_snapshot_preview1: wasi.wasiImport, env });
mem = inst.exports.memory;
wasi.initialize(inst);
const x = inst.exports;
const root = 1;
x.proxy_on_context_create(root, 0);
if (!x.proxy_on_vm_start(root, 0)) throw new Error('proxy_on_vm_start failed');
if (!x.proxy_on_configure(root, config.length)) throw new Error('proxy_on_configure rejected the configuration');

let nextID = 2;
function request(b, sig) {
  const id = nextID++;
  if (headers.sig !== sig) {
    headers = [[':method', 'POST'], [':path', '/'], [':authority', 'example.com'], [':scheme', 'http'],
      ['content-type', 'application/json'], ['content-length', String(b.length)], ['x-pipes-signature', sig]];
    headers.sig = sig;
    encodedHeaders = encodePairs(headers);
  }
  body = b; localReply = null; added.length = 0;
  x.proxy_on_context_create(id, root);
  x.proxy_on_request_headers(id, headers.length, 0);
  if (localReply === null) x.proxy_on_request_body(id, b.length, 1);
  x.proxy_on_log?.(id); // the callbacks a module need not export, Envoy skips
  x.proxy_on_done?.(id);
  x.proxy_on_delete?.(id);
  if (localReply !== null || !added.some(([k]) => k === 'x-hookguard-verified')) {
    throw new Error(`request of ${b.length} bytes was not verified (local reply ${localReply})`);
  }
}

const results = [];
for (const size of [1 << 10, 64 << 10, 1 << 20]) {
  const b = Buffer.alloc(size, 0x61);
  const sig = createHmac('sha256', secret).update(b).digest('hex');
  for (let i = 0; i < 3; i++) request(b, sig); // warm up: tier-up the hot functions
  let n = 0;
  const start = process.hrtime.bigint();
  const until = start + BigInt(Math.round(seconds * 1e9));
  let now = start;
  while (now < until) {
    request(b, sig);
    n++;
    now = process.hrtime.bigint();
  }
  const ns = Number(now - start) / n;
  results.push({ size, ns_per_request: Math.round(ns), mb_per_s: +(size / ns * 1e3).toFixed(1) });
}
console.log(JSON.stringify({ node: process.version, results }));
