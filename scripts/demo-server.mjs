// Serves the demo page (build/demo, made by `npm run build:demo`) on
// localhost with the headers that make it cross-origin isolated
// (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy:
// require-corp), so lars-ts can run its WebAssembly kernels on Web Workers.
//
//   node scripts/demo-server.mjs [--port N]     (default 8080, or $PORT; 0 picks a free port)
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../build/demo');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.bin': 'application/octet-stream' };
const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-cache',
};

const flag = process.argv.indexOf('--port');
const port = Number(flag >= 0 ? process.argv[flag + 1] : (process.env.PORT ?? 8080));
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`demo-server: the port must be an integer in 0..65535, got ${flag >= 0 ? process.argv[flag + 1] : process.env.PORT}`);
  process.exit(1);
}
if (!fs.existsSync(path.join(root, 'index.html'))) {
  console.error('demo-server: build/demo is missing; run `npm run build:demo` (or `npm run demo`, which builds first)');
  process.exit(1);
}

const server = http.createServer((req, res) => {
  const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  const file = path.resolve(root, '.' + (pathname === '/' ? '/index.html' : pathname));
  if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, { ...HEADERS, 'Content-Type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(200, { ...HEADERS, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
});

server.on('error', (error) => {
  console.error(`demo-server: ${error.code === 'EADDRINUSE' ? `port ${port} is in use; try --port 0 or --port N` : error.message}`);
  process.exit(1);
});
server.listen(port, '127.0.0.1', () => {
  console.log(`lars-ts demo: http://127.0.0.1:${server.address().port}/  (Ctrl+C to stop)`);
});
