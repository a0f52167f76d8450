// A scripted BGP peer over an in-memory stream: it decodes everything the
// speaker sends with the wire codec (src/bgp/wire) and lets a test send
// OPEN, KEEPALIVE, UPDATE, NOTIFICATION, ROUTE-REFRESH or raw bytes.
// Tests await messages in order, so every byte the session sends is checked.

import type { Duplex } from 'node:stream';
import {
  AS_TRANS,
  Afi,
  BGP_VERSION,
  CapabilityCode,
  Framer,
  MAX_EXTENDED_MESSAGE_LENGTH,
  Safi,
  decodeMessage,
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  encodeRouteRefresh,
  encodeUpdate,
  type BgpMessage,
  type Capability,
  type CodecContext,
  type OpenMessage,
  type UpdateMessage,
} from '../../../src/bgp/wire/index.js';
import { waitFor } from './streams.js';

export interface Received {
  readonly message: BgpMessage;
  /** The whole message, header included (a copy). */
  readonly raw: Buffer;
}

export interface PeerOpenOptions {
  readonly as?: number;
  readonly holdTime?: number;
  readonly id?: string;
  /** Families to offer; [] sends no multiprotocol capability (RFC 4760: IPv4 implied). */
  readonly families?: readonly ('ipv4' | 'ipv6')[];
  readonly as4?: boolean;
  readonly routeRefresh?: boolean;
  readonly extendedMessage?: boolean;
  /** Graceful restart capability; absent: none. */
  readonly gr?: { readonly restartTime?: number; readonly notification?: boolean; readonly restarting?: boolean };
  readonly version?: number;
}

/** The OPEN a switch would send, built from options. */
export function peerOpen(o: PeerOpenOptions = {}): Omit<OpenMessage, 'type'> {
  const as = o.as ?? 65001;
  const families = o.families ?? ['ipv4', 'ipv6'];
  const caps: Capability[] = [];
  for (const f of families) caps.push({ code: 1, afi: f === 'ipv4' ? Afi.IPV4 : Afi.IPV6, safi: Safi.UNICAST });
  if (o.routeRefresh ?? true) caps.push({ code: 2 });
  if (o.as4 ?? true) caps.push({ code: 65, asn: as });
  if (o.extendedMessage) caps.push({ code: 6 });
  if (o.gr) {
    caps.push({
      code: 64,
      restartState: o.gr.restarting ?? false,
      notification: o.gr.notification ?? false,
      restartTime: o.gr.restartTime ?? 120,
      families: families.map((f) => ({ afi: f === 'ipv4' ? Afi.IPV4 : Afi.IPV6, safi: Safi.UNICAST, forwarding: false })),
    });
  }
  return {
    version: o.version ?? BGP_VERSION,
    myAs: as > 0xffff ? AS_TRANS : as,
    holdTime: o.holdTime ?? 90,
    bgpIdentifier: o.id ?? '10.0.0.1',
    capabilities: caps,
  };
}

function hasCap(open: Omit<OpenMessage, 'type'>, code: number): boolean {
  return open.capabilities.some((c) => c.code === code);
}

export class ScriptedPeer {
  readonly received: Received[] = [];
  /** Bytes that did not frame or decode, with the error. */
  readonly errors: Error[] = [];
  ended = false;
  ctx: CodecContext = { as4: true, extendedMessage: false };
  private readonly framer = new Framer(MAX_EXTENDED_MESSAGE_LENGTH);
  private cursor = 0;

  constructor(readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => (this.ended = true));
    stream.on('close', () => (this.ended = true));
    stream.on('error', () => (this.ended = true));
  }

  private onData(chunk: Buffer): void {
    try {
      this.framer.push(chunk);
      for (let f = this.framer.next(); f !== null; f = this.framer.next()) {
        const raw = Buffer.from(f.raw);
        this.received.push({ message: decodeMessage(f.type, raw.subarray(19), this.ctx), raw });
      }
    } catch (err) {
      this.errors.push(err as Error);
    }
  }

  /** Messages not yet taken by next()/until(). */
  get unread(): Received[] {
    return this.received.slice(this.cursor);
  }

  /** The next message, which must be of `type`. */
  async next<T extends BgpMessage['type']>(type: T, ms = 5000): Promise<Extract<BgpMessage, { type: T }>> {
    await waitFor(() => this.received.length > this.cursor || this.errors.length > 0, `a ${type} message`, ms);
    if (this.errors.length > 0) throw this.errors[0]!;
    const r = this.received[this.cursor++]!;
    if (r.message.type !== type) {
      throw new Error(`expected ${type}, got ${r.message.type}: ${JSON.stringify(r.message, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))}`);
    }
    return r.message as Extract<BgpMessage, { type: T }>;
  }

  /** Takes messages up to and including the first that satisfies `pred`; returns the skipped ones and the match. */
  async until(pred: (m: BgpMessage) => boolean, what: string, ms = 5000): Promise<{ skipped: BgpMessage[]; match: BgpMessage }> {
    let found = -1;
    await waitFor(() => {
      for (let i = this.cursor; i < this.received.length; i++) {
        if (pred(this.received[i]!.message)) {
          found = i;
          return true;
        }
      }
      return false;
    }, what, ms);
    const skipped = this.received.slice(this.cursor, found).map((r) => r.message);
    this.cursor = found + 1;
    return { skipped, match: this.received[found]!.message };
  }

  /** Resolves when the stream has ended (FIN or destroy). */
  async closed(ms = 5000): Promise<void> {
    await waitFor(() => this.ended, 'the connection to close', ms);
  }

  send(bytes: Uint8Array): void {
    this.stream.write(bytes);
  }

  sendOpen(open: Omit<OpenMessage, 'type'>): void {
    this.send(encodeOpen(open));
  }

  sendKeepalive(): void {
    this.send(encodeKeepalive());
  }

  sendUpdate(m: Omit<UpdateMessage, 'type'>): void {
    this.send(encodeUpdate(m, this.ctx));
  }

  sendNotification(code: number, subcode: number, data?: Uint8Array): void {
    this.send(encodeNotification(code, subcode, data));
  }

  sendRouteRefresh(afi: number, safi = 1): void {
    this.send(encodeRouteRefresh(afi, safi));
  }

  /**
   * Plays the peer's side up to Established: reads the speaker's OPEN,
   * answers with `open` and a KEEPALIVE, and reads the speaker's KEEPALIVE.
   * Returns the speaker's OPEN.
   */
  async establish(open: Omit<OpenMessage, 'type'> = peerOpen()): Promise<OpenMessage> {
    const ours = await this.next('open');
    this.ctx = {
      as4: hasCap(ours, CapabilityCode.FOUR_OCTET_AS) && hasCap(open, CapabilityCode.FOUR_OCTET_AS),
      extendedMessage: hasCap(ours, CapabilityCode.EXTENDED_MESSAGE) && hasCap(open, CapabilityCode.EXTENDED_MESSAGE),
    };
    this.sendOpen(open);
    this.sendKeepalive();
    await this.next('keepalive');
    return ours;
  }

  end(): void {
    this.stream.end();
  }

  destroy(): void {
    this.stream.destroy();
  }
}
