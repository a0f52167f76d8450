// Watch streams of the test API server: chunked JSON lines of
// {type, object}. From resourceVersion "0" or none, the current objects come
// first as ADDED; from a later resourceVersion, the retained changes after it
// are replayed; an older one than the retained history gets an ERROR event
// with a 410 Expired Status and the stream ends, as in the API server.
// Selectors see transitions: an object that stops matching is DELETED, one
// that starts matching is ADDED. Bookmarks and timeoutSeconds are honoured.

import type { ServerResponse } from 'node:http';
import type { Matcher } from './selectors.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import { gone } from './status.js';
import { GoneError, type Change, type Obj, type Store } from './store.js';

export interface WatchOptions {
  def: ResourceDef;
  /** Namespace to watch; undefined for all. */
  namespace?: string;
  /** A single object's name (watch of /resource/name). */
  name?: string;
  resourceVersion?: string;
  labels: Matcher;
  fields: Matcher;
  timeoutSeconds?: number;
  bookmarks: boolean;
  bookmarkIntervalMs: number;
}

export class WatchStream {
  private ended = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private unsubscribe: () => void = () => undefined;

  constructor(
    private readonly store: Store,
    private readonly res: ServerResponse,
    private readonly o: WatchOptions,
    private readonly onEnd: (w: WatchStream) => void,
  ) {}

  private matches(obj: Obj): boolean {
    if (this.o.namespace !== undefined && this.o.def.namespaced && obj.metadata.namespace !== this.o.namespace) return false;
    if (this.o.name !== undefined && obj.metadata.name !== this.o.name) return false;
    return this.o.labels(obj) && this.o.fields(obj);
  }

  private send(type: string, object: Obj): void {
    if (!this.ended) this.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  private deliver(c: Change): void {
    if (c.plural !== this.o.def.plural) return;
    const now = c.type !== 'DELETED' && this.matches(c.object);
    const before = c.old !== undefined && this.matches(c.old);
    if (c.type === 'DELETED') {
      if (before || this.matches(c.object)) this.send('DELETED', c.object);
    } else if (now && before) this.send('MODIFIED', c.object);
    else if (now) this.send('ADDED', c.object);
    else if (before) this.send('DELETED', c.object);
  }

  start(): void {
    this.res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache' });
    // Clients wait for the headers before reading events; send them now, not with the first event.
    this.res.flushHeaders();
    const rv = this.o.resourceVersion;
    if (rv === undefined || rv === '' || rv === '0') {
      for (const obj of this.store.scan(this.o.def.plural, this.o.namespace)) if (this.matches(obj)) this.send('ADDED', obj);
    } else {
      const n = Number(rv);
      let changes: Change[];
      try {
        if (!Number.isInteger(n) || n < 0) throw new Error(`invalid resource version: ${rv}`);
        changes = this.store.changesSince(n);
      } catch (e) {
        const err = e instanceof GoneError ? gone(e.message) : gone(String((e as Error).message));
        this.send('ERROR', err.toStatus());
        this.end();
        return;
      }
      for (const c of changes) this.deliver(c);
    }
    this.unsubscribe = this.store.subscribe((c) => this.deliver(c));
    if (this.o.timeoutSeconds !== undefined && this.o.timeoutSeconds > 0) {
      this.timers.push(setTimeout(() => this.end(), this.o.timeoutSeconds * 1000));
    }
    if (this.o.bookmarks) {
      this.timers.push(
        setInterval(() => {
          this.send('BOOKMARK', {
            kind: this.o.def.kind,
            apiVersion: apiVersionOf(this.o.def),
            metadata: { resourceVersion: String(this.store.resourceVersion) },
          });
        }, this.o.bookmarkIntervalMs),
      );
    }
    this.res.on('close', () => this.end());
  }

  /** Ends the stream cleanly (the client sees the watch close, as on a server-side timeout). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.stop();
    this.res.end();
  }

  /** Cuts the connection without ending the chunked body. */
  abort(): void {
    if (this.ended) return;
    this.ended = true;
    this.stop();
    this.res.destroy();
  }

  private stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.unsubscribe();
    this.onEnd(this);
  }
}
