// Run by scripts/models/measure.py (WasmRun), one node process per job: onnxruntime-web, wasm backend, 1 thread.
// job.json: {ort, mode: "outputs" | "latency", models: {name: path}, inputs, count, shape, input_name,
//            bench_index, runs, out}
const fs = require('fs');
const path = require('path');
const job = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const ort = require(path.join(job.ort, 'dist', 'ort.wasm.min.js'));  // the build the page loads
ort.env.wasm.numThreads = 1;
ort.env.wasm.proxy = false;
ort.env.logLevel = 'error';
(async () => {
  const buf = fs.readFileSync(job.inputs);
  const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
  const size = job.shape.reduce((a, b) => a * b, 1);
  const input = (i) => ({
    [job.input_name]: new ort.Tensor('float32', all.slice(i * size, (i + 1) * size), job.shape),
  });
  const open = (file) => ort.InferenceSession.create(new Uint8Array(fs.readFileSync(file)),
    { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  if (job.mode === 'outputs') {
    for (const [name, file] of Object.entries(job.models)) {
      const s = await open(file);
      const chunks = {};
      for (let i = 0; i < job.count; i++) {
        const out = await s.run(input(i));
        for (const [k, v] of Object.entries(out)) {
          (chunks[k] = chunks[k] || []).push(Buffer.from(v.data.buffer, v.data.byteOffset, v.data.byteLength));
        }
      }
      for (const [k, v] of Object.entries(chunks)) {
        fs.writeFileSync(path.join(job.out, `${name}.${k}.f32`), Buffer.concat(v));
      }
      await s.release();
    }
    return;
  }
  const sessions = {};
  for (const [name, file] of Object.entries(job.models)) sessions[name] = await open(file);
  const feeds = input(job.bench_index);
  const times = {};
  for (const [name, s] of Object.entries(sessions)) {
    times[name] = [];
    for (let i = 0; i < 5; i++) await s.run(feeds);  // warm-up
  }
  let seed = 20240513;  // a fixed shuffle of the models for every round (mulberry32), as in Python
  const random = () => {
    seed = (seed + 0x6D2B79F5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const names = Object.keys(sessions);
  for (let r = 0; r < job.runs; r++) {
    const order = names.slice();
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    for (const name of order) {
      const t0 = performance.now();
      await sessions[name].run(feeds);
      times[name].push(performance.now() - t0);
    }
  }
  fs.writeFileSync(path.join(job.out, 'latency.json'), JSON.stringify({ versions: ort.env.versions, times }));
})().catch((e) => { console.error(e); process.exit(1); });
