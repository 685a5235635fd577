// Serves this folder on SPA_PORT (default 3102): the second origin of the
// CORS test (tests/cors-spa.spec.ts). Static files only, nothing else.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL(".", import.meta.url));
const port = Number(process.env.SPA_PORT ?? 3102);
const files = { "/": "index.html", "/index.html": "index.html", "/app.js": "app.js" };
const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8" };

createServer(async (request, response) => {
  const name = files[new URL(request.url, "http://spa").pathname];
  if (!name) {
    response.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    return;
  }
  const body = await readFile(join(root, name));
  response.writeHead(200, { "Content-Type": types[extname(name)], "Cache-Control": "no-store" }).end(body);
}).listen(port, "127.0.0.1");
