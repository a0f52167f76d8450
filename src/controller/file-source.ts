// The object source of `bgp-speaker standalone`: a multi-document YAML file
// of BGPPeer, Secret and Node objects (yaml.ts), re-read on SIGHUP (the
// caller calls reload()) and when the file changes. The directory is watched
// rather than the file, because editors and ConfigMap mounts replace the file
// (rename over it, or swap a symlink) and a watch on the old inode would go
// quiet; events are debounced and a reload whose text is unchanged does
// nothing.
//
// What survives a bad edit:
// - A file that cannot be read, or has a YAML syntax error in any document,
//   keeps the previous objects whole: a half-parsed file would silently
//   delete the objects of the broken document (and withdraw their routes).
// - An object with an error (validate.ts) is reported and skipped; if an
//   earlier version of it was good, that version stays in force, so the
//   session it drives keeps running unchanged.
// Each load yields the object set to apply and the problems found.
//
// A load can run an early step (standalone's early start): the documents it
// selects are parsed and validated first and handed to it, before the rest
// of the file is parsed. The whole file is then parsed in slices that yield
// to the event loop, so sessions keep exchanging messages meanwhile. Only the
// digest of the last text is kept (to skip reloads that change nothing),
// not the text.

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type Logger from 'bunyan';
import { isError, type ObjectSet, type Problem } from './resources.js';
import { validateObjects } from './validate.js';
import { parseDocuments, parseDocumentsSliced, splitDocuments, type ParsedObjects } from './yaml.js';

export interface FileSourceOptions {
  readonly path: string;
  readonly log: Logger;
  /** Quiet time after the last file event before reading, ms. Default 250. */
  readonly debounceMs?: number;
}

/** The result of one read of the file. */
export interface LoadResult {
  /** The object set in force after this load. */
  readonly objects: ObjectSet;
  /** Every problem of the new text (parse and validation), errors and warnings. */
  readonly problems: Problem[];
  /** False when the text was not used at all (unreadable, YAML syntax error): the previous objects stay. */
  readonly applied: boolean;
  /** Objects whose new version has an error, kept at their previous version ("Kind name"). */
  readonly keptPrevious: string[];
  /** Objects with an error and no previous good version, left out ("Kind name"). */
  readonly skipped: string[];
}

/** A step run during a load, before the whole file is parsed. */
export interface EarlyStep {
  /** Whether a document (its text) belongs to the early objects: a cheap test, the full parse follows anyway. */
  select(documentText: string): boolean;
  /**
   * Called with the selected documents' objects and their problems (parse
   * and validateObjects of just those objects); awaited before the rest of
   * the file is parsed. Not called when the file cannot be read.
   */
  run(early: ParsedObjects): void | Promise<void>;
}

type Kind = 'BGPPeer' | 'Secret' | 'Node';
type AnyObject = ObjectSet['bgpPeers'][number] | ObjectSet['secrets'][number] | ObjectSet['nodes'][number];

/** The name problems use for an object: Secrets as namespace/name. */
function problemName(kind: Kind, o: AnyObject): string {
  const m = o.metadata ?? {};
  return kind === 'Secret' && m.namespace ? `${m.namespace}/${m.name}` : String(m.name);
}

const LISTS = [
  ['BGPPeer', 'bgpPeers'],
  ['Secret', 'secrets'],
  ['Node', 'nodes'],
] as const;

export interface FileSource {
  on(event: 'load', fn: (r: LoadResult) => void): this;
  emit(event: 'load', r: LoadResult): boolean;
}

export class FileSource extends EventEmitter {
  readonly path: string;
  private current: ObjectSet = { bgpPeers: [], secrets: [], nodes: [] };
  private lastDigest: string | null = null;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: FileSourceOptions) {
    super();
    this.path = resolve(options.path);
  }

  /** The object set in force. */
  get objects(): ObjectSet {
    return this.current;
  }

  /**
   * Reads the file now. `force` applies it even when the text did not change
   * (SIGHUP). `early` runs before the whole file is parsed. Loads never overlap.
   */
  load(force = true, early?: EarlyStep): Promise<LoadResult | null> {
    const next = this.chain.then(() => this.loadNow(force, early));
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** Watches the file's directory; a change triggers a debounced load. */
  watch(): void {
    if (this.watcher) return;
    const dir = dirname(this.path);
    const name = basename(this.path);
    this.watcher = watch(dir, { persistent: false }, (_event, file) => {
      // Some platforms give no file name; ConfigMap mounts change "..data".
      if (file !== null && file !== name && !String(file).startsWith('..')) return;
      this.schedule();
    });
    this.watcher.on('error', (err) => this.options.log.error({ err, dir }, 'cannot watch the configuration directory'));
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.load(false).catch((err: unknown) => this.options.log.error({ err }, 'configuration reload failed'));
    }, this.options.debounceMs ?? 250);
  }

  private async loadNow(force: boolean, early?: EarlyStep): Promise<LoadResult | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const p: Problem = {
        kind: 'File',
        name: this.path,
        field: '',
        message: `cannot read: ${e.code ?? e.message}`,
        reason: 'InvalidSpec',
        line: `${this.options.path}: cannot read: ${e.code === 'ENOENT' ? 'no such file' : (e.code ?? e.message)}`,
      };
      // A missing file mid-rename is normal; the next event reads the new one.
      const r: LoadResult = { objects: this.current, problems: [p], applied: false, keptPrevious: [], skipped: [] };
      this.emit('load', r);
      return r;
    }
    // A forced load does not compare, so its digest waits until after the early step.
    const digest = (): string => createHash('sha256').update(text).digest('base64');
    const known = force ? null : digest();
    if (known !== null && known === this.lastDigest) return null;
    const docs = splitDocuments(text);
    if (early) {
      const first = parseDocuments(docs.filter((d) => early.select(d.text)), this.options.path);
      await early.run({ objects: first.objects, problems: [...first.problems, ...validateObjects(first.objects)] });
    }
    this.lastDigest = known ?? digest();
    const r = this.apply(await parseDocumentsSliced(docs, this.options.path));
    this.emit('load', r);
    return r;
  }

  /** Merges a new parse into the object set by the rules at the top of the file. */
  private apply(parsed: ParsedObjects): LoadResult {
    if (parsed.problems.some((p) => isError(p) && p.message.startsWith('YAML syntax error'))) {
      return { objects: this.current, problems: parsed.problems, applied: false, keptPrevious: [], skipped: [] };
    }
    const problems = [...parsed.problems, ...validateObjects(parsed.objects)];
    const bad = new Set(problems.filter((p) => isError(p) && p.kind !== 'File').map((p) => `${p.kind} ${p.name}`));
    const keptPrevious: string[] = [];
    const skipped: string[] = [];
    const next: ObjectSet = { bgpPeers: [], secrets: [], nodes: [] };
    for (const [kind, list] of LISTS) {
      const before = new Map((this.current[list] as AnyObject[]).map((o) => [problemName(kind, o), o]));
      const out: AnyObject[] = [];
      for (const o of parsed.objects[list] as AnyObject[]) {
        const id = problemName(kind, o);
        if (!bad.has(`${kind} ${id}`)) out.push(o);
        else if (before.has(id)) {
          out.push(before.get(id)!);
          keptPrevious.push(`${kind} ${id}`);
        } else skipped.push(`${kind} ${id}`);
      }
      (next as unknown as Record<string, AnyObject[]>)[list] = out;
    }
    this.current = next;
    return { objects: next, problems, applied: true, keptPrevious, skipped };
  }
}
