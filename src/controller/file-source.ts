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
// to the event loop, so sessions keep exchanging messages meanwhile.
//
// Cost of a reload: the file is read and compared with the previous text;
// only the documents in the stretch that changed are split and parsed
// (DocumentStore, yaml.ts), the checks of validateObjects are kept per Node
// and patched with the Nodes that left and joined (NodeChecks), and the
// object set handed on keeps every unchanged object, so the reconciler
// re-derives only the changed Nodes. What remains per reload in proportion
// to the file is native (reading, comparing texts) or a pass that copies
// references.

import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { isAscii } from 'node:buffer';
import { open, readFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type Logger from 'bunyan';
import { duplicateCIDRProblem, type CheckedNode } from './validate-node.js';
import { ClaimIndex } from './claim-index.js';
import { isError, type Node, type ObjectSet, type Problem } from './resources.js';
import { checkNode, checkNodeLabels, checkPeer, sortProblems, validateObjects } from './validate.js';
import { DocumentStore, type ParsedObjects, type StoreRead } from './yaml.js';

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
  private readonly store: DocumentStore;
  private readonly checks = new NodeChecks();
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  /** What the file is read into from the second read on (see readText). */
  private buffer: Buffer | null = null;

  constructor(private readonly options: FileSourceOptions) {
    super();
    this.path = resolve(options.path);
    this.store = new DocumentStore(options.path);
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
      text = await this.readText();
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
    if (!force && text === this.store.lastText) return null;
    const read = this.store.split(text, early !== undefined);
    if (early) {
      const first = this.store.parse(read, read.docs.filter((d) => early.select(d.text)));
      await early.run({ objects: first.objects, problems: [...first.problems, ...validateObjects(first.objects)] });
    }
    const parsed = await this.store.commit(read);
    this.checks.track(parsed.objects.nodes, parsed.nodeChange);
    const r = this.apply(parsed);
    this.emit('load', r);
    return r;
  }

  /**
   * The file's text. Each reload makes a new text of the file's size, which
   * the store keeps until the next one; read the plain way (a new buffer,
   * decoded onto the heap), a 4.8 MB file of 20,000 Nodes left two such
   * blocks behind per edit, and old texts piled up in old space until the
   * next full collection: peak RSS 304–318 MB over 50 edits, against ~120
   * MB after the first load. The first read is still the plain one (a text
   * read once, as at start, needs nothing more, and a buffer beside it would
   * add to the peak). From the second on, the file is read into a buffer
   * kept from then on (its size and a quarter), and an ASCII file (what
   * configuration files are) becomes a latin1 string, which Node makes
   * external (its characters outside the JavaScript heap) above about 1 MB:
   * an old text is then external memory, which makes V8 collect sooner
   * (~190 MB over the same edits).
   */
  private async readText(): Promise<string> {
    if (this.buffer === null) {
      this.buffer = Buffer.alloc(0);
      return readFile(this.path, 'utf8');
    }
    const file = await open(this.path, 'r');
    try {
      // Room for the file, a quarter more for the next edits, and the read that finds the end.
      const { size } = await file.stat();
      if (this.buffer.length <= size) this.buffer = Buffer.allocUnsafeSlow(Math.ceil(size * 1.25) + 1024);
      let n = 0;
      for (;;) {
        // A file that grows while it is read.
        if (n === this.buffer.length) {
          const bigger = Buffer.allocUnsafeSlow(n * 2);
          this.buffer.copy(bigger, 0, 0, n);
          this.buffer = bigger;
        }
        const { bytesRead } = await file.read(this.buffer, n, this.buffer.length - n, n);
        if (bytesRead === 0) break;
        n += bytesRead;
      }
      const bytes = this.buffer.subarray(0, n);
      return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
    } finally {
      await file.close();
    }
  }

  /** Merges a new parse into the object set by the rules at the top of the file. */
  private apply(parsed: StoreRead): LoadResult {
    if (parsed.problems.some((p) => isError(p) && p.message.startsWith('YAML syntax error'))) {
      return { objects: this.current, problems: parsed.problems, applied: false, keptPrevious: [], skipped: [] };
    }
    const problems = [...parsed.problems, ...this.checks.problems(parsed.objects)];
    const bad = new Set(problems.filter((p) => isError(p) && p.kind !== 'File').map((p) => `${p.kind} ${p.name}`));
    const keptPrevious: string[] = [];
    const skipped: string[] = [];
    if (bad.size === 0) {
      // The common case: the new objects as they are, without a pass over them.
      this.current = parsed.objects;
      return { objects: parsed.objects, problems, applied: true, keptPrevious, skipped };
    }
    const next: ObjectSet = { bgpPeers: [], secrets: [], nodes: [] };
    for (const [kind, list] of LISTS) {
      const objects = parsed.objects[list] as AnyObject[];
      if (!objects.some((o) => bad.has(`${kind} ${problemName(kind, o)}`))) {
        (next as unknown as Record<string, AnyObject[]>)[list] = objects;
        continue;
      }
      const before = new Map((this.current[list] as AnyObject[]).map((o) => [problemName(kind, o), o]));
      const out: AnyObject[] = [];
      for (const o of objects) {
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

/**
 * validateObjects (validate.ts) for an object set whose Nodes change a few at
 * a time: the checks of each Node (checkNode, checkNodeLabels) are kept for
 * the Nodes that have problems, and the pod CIDRs claimed by more than one
 * Node are found in an index of claims patched with the Nodes that left and
 * joined. BGPPeers and Secrets are few and checked whole on every call. Two
 * BGPPeers with one peer address may conflict on a node that they elect
 * among all Nodes; when that can happen, validateObjects runs whole. Names
 * are unique among the Nodes (the YAML source keeps one object per name),
 * so a Node is keyed by its name.
 */
class NodeChecks {
  /** Problems of Nodes that have some, by name. */
  private readonly troubled = new Map<string, { node: Node; problems: Problem[] }>();
  /** Which Nodes' routes claim each pod CIDR. */
  private readonly claims = new ClaimIndex<CheckedNode>();
  private ready = false;

  /** Follows the Node set: `change` is how `nodes` differs from the previous call's; null means start again. */
  track(nodes: readonly Node[], change: StoreRead['nodeChange']): void {
    if (change === null || !this.ready) {
      this.troubled.clear();
      this.claims.clear();
      for (const n of nodes) this.add(n);
      this.ready = true;
      return;
    }
    for (const n of change.removed) this.remove(n);
    for (const n of change.added) this.add(n);
  }

  /** validateObjects(objects), where objects.nodes is the set last tracked. */
  problems(objects: ObjectSet): Problem[] {
    const addresses = new Set<string>();
    for (let i = 0; i < objects.bgpPeers.length; i++) {
      const peer = checkPeer(objects.bgpPeers[i]!, i).peer;
      if (!peer) continue;
      const key = `${peer.peerAddress}|${peer.peerPort}`;
      if (addresses.has(key)) return validateObjects(objects);
      addresses.add(key);
    }
    const out = validateObjects({ bgpPeers: objects.bgpPeers, secrets: objects.secrets, nodes: [] });
    for (const t of this.troubled.values()) out.push(...t.problems);
    // As selectRoutes: the first name keeps the prefix, the others are
    // reported. Each losing Node's CIDRs are walked once, for all its
    // contested prefixes (a Node copied under another name loses them all).
    const lost = new Map<CheckedNode, Map<string, string>>();
    for (const [prefix, claimants] of this.claims.contested) {
      const winner = claimants.reduce((a, b) => (b.name < a.name ? b : a)).name;
      for (const n of claimants) {
        if (n.name === winner) continue;
        let prefixes = lost.get(n);
        if (!prefixes) lost.set(n, (prefixes = new Map()));
        prefixes.set(prefix, winner);
      }
    }
    for (const [n, prefixes] of lost) {
      n.cidrs.forEach((cidr, i) => {
        const winner = prefixes.get(cidr.text);
        if (winner !== undefined) out.push(duplicateCIDRProblem({ node: n.name, owner: n, index: i, cidr }, winner));
      });
    }
    return sortProblems(out);
  }

  private add(node: Node): void {
    const checked = checkNode(node, 0);
    const labels = checkNodeLabels(node, 0);
    if (checked.problems.length > 0 || labels.length > 0) {
      this.troubled.set(checked.name, { node, problems: [...checked.problems, ...labels] });
    }
    // Indexed: a Node may hold 100,000 pod CIDRs, and an unoptimised for-of makes an object per step.
    const cidrs = checked.cidrs;
    this.claims.reserve(cidrs.length);
    for (let i = 0; i < cidrs.length; i++) this.claims.claim(cidrs[i]!, checked);
  }

  private remove(node: Node): void {
    const checked = checkNode(node, 0);
    if (this.troubled.get(checked.name)?.node === node) this.troubled.delete(checked.name);
    const cidrs = checked.cidrs;
    for (let i = 0; i < cidrs.length; i++) this.claims.release(cidrs[i]!, checked);
    this.claims.forget(checked);
  }
}
