// The dashboard's files, served from one folder without a plugin. Safe by construction: the URL
// path is decoded once, must not hold NUL, backslashes or `..` segments, dot-files are never
// served, and the file's real path (symlinks followed) must still be inside the folder's real path.
// Content types come from a fixed table; anything else is application/octet-stream, and nosniff
// stops a browser from guessing otherwise. The libraries the dashboard imports (uPlot) are served
// under /vendor/ from an allow-list of names, so no part of that URL ever reaches the file system.

import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname, join, sep } from 'node:path';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { codedError } from '../../../edge/errors/catalogue.js';
import { route, type ApiRoute } from '../route.js';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  'cache-control': 'no-cache',
};

/** /vendor/<name> → [package, file inside it]: the only library files served. */
const VENDOR_FILES: Readonly<Record<string, readonly [string, string]>> = {
  'uplot.esm.js': ['uplot', 'dist/uPlot.esm.js'],
  'uplot.min.css': ['uplot', 'dist/uPlot.min.css'],
};

const require = createRequire(import.meta.url);

/** The installed file behind a /vendor/ name, or undefined for a name not on the list (or a package not installed). */
function vendorFile(name: string): string | undefined {
  const entry = Object.hasOwn(VENDOR_FILES, name) ? VENDOR_FILES[name] : undefined;
  if (!entry) return undefined;
  try {
    return join(dirname(require.resolve(`${entry[0]}/package.json`)), entry[1]);
  } catch {
    return undefined;
  }
}

const sendFile = (reply: FastifyReply, file: string) =>
  reply
    .headers(SECURITY_HEADERS)
    .type(CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream')
    .send(createReadStream(file));

/** The file under `root` that `urlPath` names, or undefined when it names none (or tries to escape). */
async function resolveStatic(root: string, urlPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  const segments = decoded.split('/').filter((s) => s !== '');
  if (decoded.includes('\0') || decoded.includes('\\') || segments.some((s) => s === '..' || s.startsWith('.'))) return undefined;
  try {
    const realRoot = await realpath(root);
    let file = await realpath(join(realRoot, ...segments));
    if ((await stat(file)).isDirectory()) file = await realpath(join(file, 'index.html'));
    if (!file.startsWith(realRoot + sep) || !(await stat(file)).isFile()) return undefined;
    return file;
  } catch {
    return undefined;
  }
}

/** GET / and GET /* from `root` (public: the login page must load before anyone has logged in). */
export function staticRoutes(root: string): ApiRoute[] {
  const serve = (urlPath: string) =>
    route({
      method: 'GET',
      url: urlPath,
      access: 'public',
      summary: urlPath === '/' ? 'the dashboard (index.html)' : 'the dashboard\'s files; unknown /api/ paths are a JSON 404',
      handler: async ({ request, reply }) => {
        const path = request.url.split('?')[0]!;
        const file = path.startsWith('/api/') ? undefined : await resolveStatic(root, path);
        if (!file) throw codedError('ERR_API_NOT_FOUND', ['file or route', path.slice(0, 200)]);
        return sendFile(reply, file);
      },
    });
  const vendor = route({
    method: 'GET',
    url: '/vendor/:file',
    access: 'public',
    summary: `libraries the dashboard imports, by name: ${Object.keys(VENDOR_FILES).join(', ')}`,
    params: Type.Object({ file: Type.String({ maxLength: 100 }) }, { additionalProperties: false }),
    handler: async ({ params, reply }) => {
      const file = vendorFile(params.file);
      if (!file) throw codedError('ERR_API_NOT_FOUND', ['vendor file', params.file.slice(0, 100)]);
      return sendFile(reply, file);
    },
  });
  return [serve('/'), serve('/*'), vendor];
}
