// The UPDATE packer against the wire codec: large tables come out as few
// messages, each within 4096 octets (RFC 4271 §4.1) or 65535 with extended
// messages (RFC 8654), every prefix exactly once with its next hop; IPv6 in
// MP_REACH_NLRI / MP_UNREACH_NLRI with a 16-octet next hop (RFC 4760, RFC
// 2545); the Extended Length flag set exactly when a length passes 255
// (RFC 4271 §4.3).

import test from 'ava';
import { ipv4Number, parseAddress, prefixFromNlri, type Prefix } from '../../src/bgp/prefix.js';
import type { NextHop } from '../../src/bgp/routes.js';
import { ChunkWriter, packBatch, type PackContext } from '../../src/bgp/update-packer.js';
import {
  AsPathSegmentType,
  encodePathAttributes,
  Origin,
  type CodecContext,
  type UpdateMessage,
} from '../../src/bgp/wire/index.js';
import { decodeChunks, rawAttributes } from './helpers/decode.js';

const CTX: CodecContext = { as4: true, extendedMessage: false };
const CTX_EXT: CodecContext = { as4: true, extendedMessage: true };

function context(maxLength: number, communities = 0): PackContext {
  const cache = new Map<string, Uint8Array>();
  return {
    maxLength,
    attributes(family, nextHop) {
      const key = `${family} ${nextHop}`;
      let a = cache.get(key);
      if (!a) {
        a = encodePathAttributes(
          {
            origin: Origin.IGP,
            asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: [65010] }],
            nextHop: family === 'ipv4' ? nextHop : undefined,
            communities: communities > 0 ? Array.from({ length: communities }, (_, i) => (65010 << 16) | i) : undefined,
          },
          CTX,
        );
        cache.set(key, a);
      }
      return a;
    },
    nextHopBytes: (nh) => parseAddress(nh).bytes,
  };
}

/** Next hops interned as the route table does: one object per next hop. */
const hops = new Map<string, NextHop>();
function hop(text: string): NextHop {
  let h = hops.get(text);
  if (!h) {
    const afi = text.includes(':') ? 2 : 1;
    h = { id: hops.size, afi, text, v4: afi === 1 ? ipv4Number(text) : -1 };
    hops.set(text, h);
  }
  return h;
}

/** A route as the Adj-RIB-Out hands it over: a prefix and its interned next hop. */
interface Route {
  readonly prefix: Prefix;
  readonly hop: NextHop;
}

/** The batch of these announcements and withdrawals. */
const batchOf = (announce: readonly Route[], withdraw: readonly Route[] = []) => ({
  announce: announce.map((r) => r.prefix),
  hops: announce.map((r) => r.hop),
  withdraw: withdraw.map((r) => r.prefix),
});

function v4(i: number, nextHop: string): Route {
  const a = 10 + (i >> 16);
  const b = (i >> 8) & 0xff;
  const c = i & 0xff;
  const prefix: Prefix = { afi: 1, length: 24, bytes: Uint8Array.of(a, b, c), key: `${a}.${b}.${c}.0/24` };
  return { prefix, hop: hop(nextHop) };
}

function v6(i: number, nextHop: string): Route {
  const hi = (i >> 16) & 0xffff;
  const lo = i & 0xffff;
  const bytes = Uint8Array.of(0xfd, 0, 0, 0x10, hi >> 8, hi & 0xff, lo >> 8, lo & 0xff);
  return { prefix: prefixFromNlri(2, 64, bytes), hop: hop(nextHop) };
}

function pack(announce: Route[], withdraw: Route[], ctx: PackContext): Buffer[] {
  const w = new ChunkWriter();
  packBatch(batchOf(announce, withdraw), ctx, w);
  return w.flush();
}

/** Every announced prefix with its next hop, counting duplicates. */
function announced(updates: readonly UpdateMessage[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (key: string, nh: string): void => {
    const l = out.get(key);
    if (l) l.push(nh);
    else out.set(key, [nh]);
  };
  for (const u of updates) {
    for (const p of u.nlri) add(p.key, u.attributes.nextHop!);
    if (u.mpReach) for (const p of u.mpReach.nlri) add(p.key, u.mpReach.nextHops[0]!);
  }
  return out;
}

function withdrawn(updates: readonly UpdateMessage[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const u of updates) {
    for (const p of [...u.withdrawn, ...(u.mpUnreach?.withdrawn ?? [])]) out.set(p.key, (out.get(p.key) ?? 0) + 1);
  }
  return out;
}

const updatesOf = (chunks: Buffer[], ctx: CodecContext): { updates: UpdateMessage[]; sizes: number[] } => {
  const decoded = decodeChunks(chunks, ctx);
  const updates = decoded.map((d) => {
    if (d.message.type !== 'update') throw new Error(`unexpected ${d.message.type}`);
    if (d.message.treatAsWithdraw) throw new Error(`treat-as-withdraw: ${d.message.treatAsWithdraw}`);
    return d.message;
  });
  return { updates, sizes: decoded.map((d) => d.raw.length) };
};

test('100,000 IPv4 /24 with one next hop arrive exactly once each, in the fewest 4096-octet UPDATEs', (t) => {
  const routes = Array.from({ length: 100_000 }, (_, i) => v4(i, '172.16.0.11'));
  const ctx = context(4096);
  const { updates, sizes } = updatesOf(pack(routes, [], ctx), CTX);
  t.true(sizes.every((s) => s <= 4096));
  const got = announced(updates);
  t.is(got.size, 100_000);
  for (const r of routes) {
    const nh = got.get(r.prefix.key);
    if (!nh || nh.length !== 1 || nh[0] !== '172.16.0.11') t.fail(`${r.prefix.key}: ${JSON.stringify(nh)}`);
  }
  // header 19 + lengths 4 + the attribute block; each /24 is 4 octets of NLRI.
  const perMessage = Math.floor((4096 - 23 - ctx.attributes('ipv4', '172.16.0.11').length) / 4);
  t.is(updates.length, Math.ceil(100_000 / perMessage));
});

test('100,000 IPv4 /24 with 20,000 distinct next hops keep every prefix with its own next hop', (t) => {
  const nh = (i: number): string => `172.16.${(i % 20_000) >> 8}.${(i % 20_000) & 0xff}`;
  const routes = Array.from({ length: 100_000 }, (_, i) => v4(i, nh(i)));
  const { updates, sizes } = updatesOf(pack(routes, [], context(4096)), CTX);
  t.true(sizes.every((s) => s <= 4096));
  const got = announced(updates);
  t.is(got.size, 100_000);
  let bad = 0;
  routes.forEach((r, i) => {
    const l = got.get(r.prefix.key);
    if (!l || l.length !== 1 || l[0] !== nh(i)) bad++;
  });
  t.is(bad, 0);
  t.is(updates.length, 20_000, 'one UPDATE per next hop: the five prefixes of each share it');
});

test('with extended messages the UPDATEs grow up to 65535 octets and never beyond', (t) => {
  const routes = Array.from({ length: 100_000 }, (_, i) => v4(i, '172.16.0.11'));
  const { updates, sizes } = updatesOf(pack(routes, [], context(65535)), CTX_EXT);
  t.true(sizes.every((s) => s <= 65535));
  t.true(Math.max(...sizes) > 60_000, 'messages are filled');
  t.is(announced(updates).size, 100_000);
  t.true(updates.length <= 7);
});

test('100,000 IPv4 withdrawals arrive exactly once each within 4096 octets, with no attributes', (t) => {
  const routes = Array.from({ length: 100_000 }, (_, i) => v4(i, '172.16.0.11'));
  const { updates, sizes } = updatesOf(pack([], routes, context(4096)), CTX);
  t.true(sizes.every((s) => s <= 4096));
  const got = withdrawn(updates);
  t.is(got.size, 100_000);
  t.true([...got.values()].every((n) => n === 1));
  t.true(updates.every((u) => u.nlri.length === 0 && Object.keys(u.attributes).length === 0));
  t.is(updates.length, Math.ceil(100_000 / Math.floor((4096 - 23) / 4)));
});

test('IPv6 routes go in MP_REACH_NLRI with the 16-octet next hop, and withdrawals in MP_UNREACH_NLRI', (t) => {
  const nh = (i: number): string => `fd00::${(i % 7) + 1}`;
  const routes = Array.from({ length: 20_000 }, (_, i) => v6(i, nh(i)));
  const { updates, sizes } = updatesOf(pack(routes, [], context(4096)), CTX);
  t.true(sizes.every((s) => s <= 4096));
  for (const u of updates) {
    t.is(u.nlri.length, 0, 'no IPv6 in the IPv4 NLRI field');
    t.is(u.attributes.nextHop, undefined, 'no NEXT_HOP attribute for IPv6-only UPDATEs');
    t.is(u.mpReach?.afi, 2);
    t.is(u.mpReach?.safi, 1);
    t.is(u.mpReach?.nextHops.length, 1, 'a single global next hop: length 16');
  }
  const got = announced(updates);
  t.is(got.size, 20_000);
  t.is(routes.filter((r, i) => got.get(r.prefix.key)?.join() !== nh(i)).length, 0);

  const w = updatesOf(pack([], routes, context(4096)), CTX);
  t.true(w.sizes.every((s) => s <= 4096));
  const gone = withdrawn(w.updates);
  t.is(gone.size, 20_000);
  t.true([...gone.values()].every((n) => n === 1));
  t.true(w.updates.every((u) => u.mpUnreach?.afi === 2 && u.mpUnreach.safi === 1 && u.withdrawn.length === 0));
});

test('the MP_REACH_NLRI next hop field is 16 octets on the wire', (t) => {
  const [chunk] = pack([v6(1, 'fd00::11')], [], context(4096));
  const raw = chunk!;
  const attrs = rawAttributes(raw);
  const mp = attrs.find((a) => a.type === 14)!;
  t.truthy(mp);
  // Find the MP_REACH value: AFI(2) SAFI(1) NH length(1).
  let p = 19 + 2 + 2;
  for (const a of attrs) {
    if (a.type === 14) break;
    p += a.headerLength + a.length;
  }
  const v = p + mp.headerLength;
  t.is(raw.readUInt16BE(v), 2);
  t.is(raw[v + 2], 1);
  t.is(raw[v + 3], 16);
  t.deepEqual([...raw.subarray(v + 4, v + 20)], [...parseAddress('fd00::11').bytes]);
  t.is(raw[v + 20], 0, 'reserved octet');
  t.is(mp.flags & 0xf0, 0x80, 'optional, non-transitive');
});

test('the Extended Length flag of MP_REACH_NLRI and MP_UNREACH_NLRI is set exactly when the value passes 255 octets', (t) => {
  const seenReach = new Set<boolean>();
  const seenUnreach = new Set<boolean>();
  for (let n = 1; n <= 40; n++) {
    const routes = Array.from({ length: n }, (_, i) => v6(i, 'fd00::1'));
    for (const [chunks, type, seen] of [
      [pack(routes, [], context(4096)), 14, seenReach],
      [pack([], routes, context(4096)), 15, seenUnreach],
    ] as const) {
      const decoded = decodeChunks(chunks, CTX);
      t.is(decoded.length, 1, `${n} routes fit one message`);
      const attr = rawAttributes(decoded[0]!.raw).find((a) => a.type === type)!;
      const extended = (attr.flags & 0x10) !== 0;
      t.is(extended, attr.length > 255, `n=${n} type ${type}: length ${attr.length}, flags ${attr.flags.toString(16)}`);
      seen.add(extended);
    }
  }
  t.deepEqual([...seenReach].sort(), [false, true], 'both sides of the boundary were exercised');
  t.deepEqual([...seenUnreach].sort(), [false, true]);
});

test('a large attribute block (COMMUNITIES past 255 octets) still packs within 4096 and decodes', (t) => {
  for (const communities of [61, 62, 63, 64, 65, 200]) {
    const ctx = context(4096, communities);
    const attrs = rawAttributes(Buffer.concat([Buffer.alloc(19, 0xff), Buffer.of(0, 0), Buffer.from([ctx.attributes('ipv4', '172.16.0.1').length >> 8, ctx.attributes('ipv4', '172.16.0.1').length & 0xff]), ctx.attributes('ipv4', '172.16.0.1')]));
    const comm = attrs.find((a) => a.type === 8)!;
    t.is((comm.flags & 0x10) !== 0, comm.length > 255, `${communities} communities`);
    const routes = Array.from({ length: 3000 }, (_, i) => v4(i, '172.16.0.1'));
    const { updates, sizes } = updatesOf(pack(routes, [], ctx), CTX);
    t.true(sizes.every((s) => s <= 4096));
    t.is(announced(updates).size, 3000);
    t.true(updates.every((u) => u.attributes.communities?.length === communities));
  }
});

test('a mixed batch sends withdrawals first, then announcements grouped by next hop, both families', (t) => {
  const batch = batchOf(
    [v4(2, '172.16.0.1'), v6(2, 'fd00::2'), v4(3, '172.16.0.2'), v4(4, '172.16.0.1')],
    [v4(1, '172.16.0.1'), v6(1, 'fd00::1')],
  );
  const w = new ChunkWriter();
  packBatch(batch, context(4096), w);
  const { updates } = updatesOf(w.flush(), CTX);
  t.is(updates.length, 5);
  t.deepEqual(updates[0]!.withdrawn.map((p) => p.key), ['10.0.1.0/24']);
  t.deepEqual(updates[1]!.mpUnreach?.withdrawn.map((p) => p.key), ['fd00:10:0:1::/64']);
  const rest = updates.slice(2);
  t.deepEqual(
    rest.map((u) => [u.attributes.nextHop ?? u.mpReach?.nextHops[0], (u.mpReach?.nlri ?? u.nlri).map((p) => p.key)]),
    [
      ['172.16.0.1', ['10.0.2.0/24', '10.0.4.0/24']],
      ['fd00::2', ['fd00:10:0:2::/64']],
      ['172.16.0.2', ['10.0.3.0/24']],
    ],
  );
});

test('the ChunkWriter never splits a message across chunks and reports its length', (t) => {
  const w = new ChunkWriter(1000);
  const routes = Array.from({ length: 5000 }, (_, i) => v4(i, '172.16.0.1'));
  packBatch(batchOf(routes), context(4096), w);
  const total = w.length;
  const chunks = w.flush();
  t.true(chunks.length > 1);
  t.is(chunks.reduce((n, c) => n + c.length, 0), total);
  t.is(announced(updatesOf(chunks, CTX).updates).size, 5000);
  t.is(w.length, 0, 'the writer starts over after flush');
});

test('an empty batch writes nothing', (t) => {
  t.deepEqual(pack([], [], context(4096)), []);
});
