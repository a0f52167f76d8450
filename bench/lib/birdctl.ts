// A client for BIRD's control socket (the protocol birdc speaks): one
// command per line; each reply line starts with a 4-digit code followed by
// '-' (more lines follow) or ' ' (last line), or with a space (continuation
// of the previous code). Used to poll a receiver's route count every few
// milliseconds without spawning birdc, and to wake an idle BIRD sender:
// BIRD 2.0 sends its first UPDATEs only when its main loop wakes up, and
// a control-socket command does that.

import { connect, type Socket } from 'node:net';

export class BirdControl {
  private buf = '';
  private waiting: { resolve: (s: string) => void; reject: (e: Error) => void; lines: string[] } | null = null;
  private greeted: Promise<void>;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly sock: Socket) {
    let greet!: () => void;
    this.greeted = new Promise((r) => (greet = r));
    let first = true;
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (first) {
          first = false; // "0001 BIRD x.y ready."
          greet();
          continue;
        }
        const w = this.waiting;
        if (!w) continue;
        w.lines.push(line);
        if (/^\d{4} /.test(line)) {
          this.waiting = null;
          w.resolve(w.lines.map((l) => (/^\d{4}[- ]/.test(l) ? l.slice(5) : l.slice(1))).join('\n'));
        }
      }
    });
    sock.on('error', (e) => this.waiting?.reject(e));
    sock.on('close', () => this.waiting?.reject(new Error('BIRD control socket closed')));
  }

  static async open(path: string): Promise<BirdControl> {
    const sock = connect(path);
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    const c = new BirdControl(sock);
    await c.greeted;
    return c;
  }

  /** Runs one command; replies are serialized. */
  command(cmd: string): Promise<string> {
    const run = (): Promise<string> =>
      new Promise<string>((resolve, reject) => {
        this.waiting = { resolve, reject, lines: [] };
        this.sock.write(`${cmd}\n`);
      });
    const p = this.queue.then(run, run);
    this.queue = p.catch(() => undefined);
    return p;
  }

  /** BGP state and imported route count of one protocol (`show protocols all`). */
  async protocol(name: string): Promise<{ bgpState: string; imported: number }> {
    const out = await this.command(`show protocols all ${name}`);
    const bgpState = /BGP state:\s+(\S+)/.exec(out)?.[1] ?? 'Down';
    const imported = Number(/Routes:\s+(\d+) imported/.exec(out)?.[1] ?? 0);
    return { bgpState, imported };
  }

  close(): void {
    this.sock.destroy();
  }
}
