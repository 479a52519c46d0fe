// The dashboard's HTTP side: the guards every request and every write pass (the pure checks of
// ui/security.ts, applied to express requests), the page and its scripts, and the JSON API of
// ui/api.ts (the circuit, status, edits, extension nodes, the component browser, saving) over HTTP.
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { EditBucket, requestRefusal, requestTarget, tokenCookie, writeRefusal, type Bind } from './security.js';
import { CSP, pageHtml } from './page.js';
import { apiRoutes, type ApiContext, type ApiRoute } from './api.js';

/** What the routes serve and how writes are bounded. */
export interface RoutesContext extends ApiContext {
  bind: Bind;
  /** The compiled browser code (dist/ui/web). */
  web: string;
  bodyBytes: number;
  editsPerSecond: number;
}

/** The express app: guards, page, API, and an error handler that answers in JSON. */
export function createApp(ctx: RoutesContext): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestGate(ctx.bind));
  mountPage(app, ctx.web);
  // Writes: same origin only, JSON only, bounded size, bounded rate (then, in ui/api.ts: one edit at a
  // time, in arrival order, and rebuilds spaced).
  const writes = [writeGuard(ctx.bodyBytes, ctx.editsPerSecond), express.json({ limit: ctx.bodyBytes, type: 'application/json' })];
  for (const route of apiRoutes(ctx))
    if (route.method === 'GET') app.get(route.path, answer(route));
    else app.post(route.path, ...writes, answer(route));
  app.use('/api', (_req, res) => void res.status(404).json({ error: 'no such API' }));
  app.use(errorHandler(ctx.bodyBytes));
  return app;
}

/** Every request: a target that is a path, the right Host, the token (see requestRefusal). */
function requestGate(bind: Bind): RequestHandler {
  return (req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const target = requestTarget(req.url);
    const refusal = requestRefusal(bind, target, req.headers);
    if (refusal) return void res.status(refusal.status).json({ error: refusal.error });
    const cookie = target ? tokenCookie(bind.token, target.searchParams) : null;
    if (cookie) res.setHeader('Set-Cookie', cookie);
    next();
  };
}

/** Writes: see writeRefusal (403, 413, 415), then the edit rate (429). */
function writeGuard(bodyBytes: number, editsPerSecond: number): RequestHandler {
  const bucket = new EditBucket(editsPerSecond, performance.now());
  return (req, res, next) => {
    const refusal = writeRefusal(
      {
        origin: req.headers.origin,
        host: req.headers.host,
        contentLength: req.headers['content-length'],
        transferEncoding: req.headers['transfer-encoding'],
        isJson: () => !!req.is('application/json'),
      },
      bodyBytes,
    );
    if (refusal?.status === 413) res.setHeader('Connection', 'close');
    if (refusal) return void res.status(refusal.status).json({ error: refusal.error });
    if (!bucket.take(performance.now())) {
      res.setHeader('Retry-After', '1');
      return void res.status(429).json({ error: `more than ${editsPerSecond} edits per second` });
    }
    next();
  };
}

/** The page, its compiled scripts and the libraries it imports (Preact, htm and yaml, as ES modules). */
function mountPage(app: Express, web: string): void {
  app.get('/', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Content-Security-Policy', CSP);
    res.type('html').send(pageHtml());
  });
  app.use('/app', express.static(web, { index: false, fallthrough: false }));
  app.use('/vendor/preact', express.static(packageDir('preact'), { index: false, fallthrough: false }));
  app.use('/vendor/htm', express.static(packageDir('htm'), { index: false, fallthrough: false }));
  // The yaml package's browser build: the IDE's fields take YAML values (a distribution, a quantity).
  app.use('/vendor/yaml', express.static(join(packageDir('yaml'), 'browser', 'dist'), { index: false, fallthrough: false }));
}

/** A route of ui/api.ts as an express handler: the query and parsed body in, the status and JSON out. */
function answer(route: ApiRoute): RequestHandler {
  return async (req, res) => {
    const a = await route.handle({ query: req.query, body: req.body });
    if (a.retryAfter !== undefined) res.setHeader('Retry-After', String(a.retryAfter));
    res.status(a.status).json(a.body);
  };
}

/** Errors of the body parser and the static files, and anything thrown, as JSON. */
function errorHandler(bodyBytes: number) {
  return (err: Error & { status?: number; type?: string }, _req: Request, res: Response, _next: NextFunction) => {
    const status = err.status ?? 500;
    if (status === 413) res.setHeader('Connection', 'close');
    const error = err.type === 'entity.too.large' ? `request body over ${bodyBytes} bytes` : status === 404 ? 'not found' : err.message;
    res.status(status).json({ error });
  };
}

/** The folder of an installed package (from its resolved entry). */
function packageDir(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json')) || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== name) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`dashboard: cannot find package ${name}`);
    dir = up;
  }
  return dir;
}
