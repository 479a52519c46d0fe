// The IDE's connection to an engine in this page (ui/web/live.ts Connection): requests go to the same
// route table a Flux process serves over HTTP (ui/api.ts), the stream's messages come from the same
// DashboardStream a WebSocket client gets (ui/dashboard-stream.ts). Bodies cross as JSON both ways, as
// over HTTP, so the session never holds the page's objects nor the page the session's.
import type { ApiRoute } from '../ui/api.js';
import type { DashboardStream, StreamSocket } from '../ui/dashboard-stream.js';
import type { Answer, Connection, StreamHandlers } from '../ui/web/live.js';

/** A copy through JSON (what HTTP would carry); undefined stays undefined (no body). */
const wire = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

export interface PageConnection extends Connection {
  /** The engine stopped for good: requests are refused from now on and the stream says it ended. */
  end(): void;
}

export function pageConnection(routes: readonly ApiRoute[], stream: DashboardStream): PageConnection {
  let ended = false;
  const streams = new Set<StreamHandlers>();
  return {
    async request(method, path, body): Promise<Answer> {
      if (ended) return { status: 503, body: { error: 'the run in this page stopped: reload the page to start again' }, retryAfter: null };
      const url = new URL(path, 'http://flux.page');
      const route = routes.find((r) => r.method === method && r.path === url.pathname);
      if (!route) return { status: 404, body: { error: 'no such API' }, retryAfter: null };
      // A query as express's simple parser gives it: own fields only, a repeated key's values as a list.
      const query: Record<string, unknown> = Object.create(null);
      for (const k of new Set(url.searchParams.keys())) {
        const all = url.searchParams.getAll(k);
        query[k] = all.length > 1 ? all : all[0];
      }
      try {
        const a = await route.handle({ query, body: wire(body) });
        return { status: a.status, body: wire(a.body), retryAfter: a.retryAfter ?? null };
      } catch (e) {
        // What the server's error handler answers: the request fails, the page goes on.
        return { status: 500, body: { error: (e as Error).message }, retryAfter: null };
      }
    },
    openStream(h: StreamHandlers) {
      if (ended) return h.close(true);
      streams.add(h);
      stream.attach(streamSocket(h));
      h.open();
    },
    end() {
      ended = true;
      for (const h of streams) h.close(true);
      streams.clear();
    },
  };
}

/**
 * The page's end of the stream. A message is handed over on a later task, as a socket would: the
 * stream's timer never runs the IDE's drawing, and the IDE never sees a message before its handlers.
 */
function streamSocket(h: StreamHandlers): StreamSocket {
  let open = true;
  const closed: (() => void)[] = [];
  return {
    get open() {
      return open;
    },
    bufferedAmount: 0,
    send(data) {
      const copy = typeof data === 'string' ? data : data.slice().buffer;
      setTimeout(() => open && h.message(copy), 0);
    },
    terminate() {
      if (!open) return;
      open = false;
      for (const l of closed) l();
    },
    onClose: (listener) => void closed.push(listener),
  };
}
