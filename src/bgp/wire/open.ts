// OPEN message (RFC 4271 §4.2, §6.2) with its Capabilities optional
// parameter (RFC 5492) and the extended optional parameters length of
// RFC 9072. Capabilities understood: multiprotocol (RFC 4760 §8), route
// refresh (RFC 2918, and the pre-standard code 128), extended message
// (RFC 8654), graceful restart (RFC 4724 §3, N bit of RFC 8538), 4-octet AS
// (RFC 6793), enhanced route refresh (RFC 7313). Others are kept as unknown.
//
// Encoding groups all capabilities into one Capabilities optional parameter
// (as BIRD does; RFC 5492 §4 allows one per parameter or grouped), starting
// a new parameter only when one would exceed 255 octets.

import { AS_TRANS, BGP_VERSION, CapabilityCode, MessageType, OptionalParameterType } from './constants.js';
import { BgpError } from './errors.js';
import { Reader } from './reader.js';
import type { Capability, OpenMessage } from './types.js';
import { Writer, beginMessage, endMessage } from './writer.js';
import { formatAddress, parseAddress } from '../prefix.js';

/** Encodes the value octets of one capability (without code and length). */
function capabilityValue(c: Capability): { code: number; value: Uint8Array } {
  switch (c.code) {
    case CapabilityCode.MULTIPROTOCOL: {
      // RFC 4760 §8: AFI (2), reserved (1), SAFI (1).
      return { code: c.code, value: Uint8Array.of(c.afi >> 8, c.afi & 0xff, 0, c.safi) };
    }
    case CapabilityCode.FOUR_OCTET_AS: {
      const v = new Uint8Array(4);
      new DataView(v.buffer).setUint32(0, c.asn >>> 0);
      return { code: c.code, value: v };
    }
    case CapabilityCode.GRACEFUL_RESTART: {
      // RFC 4724 §3: flags in the top 4 bits (R = 0x8, N = 0x4), 12-bit restart time,
      // then AFI (2), SAFI (1), flags (1, forwarding = 0x80) per family.
      const v = new Uint8Array(2 + 4 * c.families.length);
      const head = (c.restartState ? 0x8000 : 0) | (c.notification ? 0x4000 : 0) | (c.restartTime & 0x0fff);
      v[0] = head >> 8;
      v[1] = head & 0xff;
      c.families.forEach((f, i) => {
        v[2 + i * 4] = f.afi >> 8;
        v[3 + i * 4] = f.afi & 0xff;
        v[4 + i * 4] = f.safi;
        v[5 + i * 4] = f.forwarding ? 0x80 : 0;
      });
      return { code: c.code, value: v };
    }
    case 'unknown':
      return { code: c.type, value: c.value };
    default:
      // Route refresh (2, 128), extended message (6), enhanced route refresh (70): no value.
      return { code: c.code, value: new Uint8Array(0) };
  }
}

/** The whole OPEN message, header included. A myAs above 65535 is written as AS_TRANS (RFC 6793 §4.1). */
export function encodeOpen(m: Omit<OpenMessage, 'type'>): Buffer {
  const params: { type: number; value: Uint8Array }[] = [];
  let group = new Writer(64);
  for (const c of m.capabilities) {
    const { code, value } = capabilityValue(c);
    if (value.length > 255) throw new Error(`capability ${code} value is ${value.length} octets, more than 255`);
    if (group.length + 2 + value.length > 255) {
      params.push({ type: OptionalParameterType.CAPABILITIES, value: group.finish() });
      group = new Writer(64);
    }
    group.u8(code).u8(value.length).bytes(value);
  }
  if (group.length > 0) params.push({ type: OptionalParameterType.CAPABILITIES, value: group.finish() });
  for (const p of m.otherParameters ?? []) params.push(p);

  const w = new Writer(128);
  beginMessage(w, MessageType.OPEN);
  w.u8(m.version ?? BGP_VERSION);
  w.u16(m.myAs > 0xffff ? AS_TRANS : m.myAs);
  w.u16(m.holdTime);
  const id = parseAddress(m.bgpIdentifier);
  if (id.afi !== 1) throw new Error(`BGP Identifier "${m.bgpIdentifier}" is not a dotted quad`);
  w.bytes(id.bytes);
  const plain = params.reduce((n, p) => n + 2 + p.value.length, 0);
  const extended = plain > 255 || params.some((p) => p.value.length > 255);
  if (!extended) {
    w.u8(plain);
    for (const p of params) w.u8(p.type).u8(p.value.length).bytes(p.value);
  } else {
    // RFC 9072 §2: Non-Ext OP Len 255, Non-Ext OP Type 255, 2-octet length, 2-octet parameter lengths.
    w.u8(255).u8(OptionalParameterType.EXTENDED_LENGTH);
    const at = w.reserve16();
    const start = w.length;
    for (const p of params) w.u8(p.type).u16(p.value.length).bytes(p.value);
    w.patch16(at, w.length - start);
  }
  return endMessage(w);
}

function malformed(what: string): BgpError {
  return new BgpError(2, 0, undefined, `malformed capability: ${what}`);
}

/** Parses the TLVs of one Capabilities optional parameter (RFC 5492 §4). */
function decodeCapabilities(r: Reader, out: Capability[]): void {
  while (r.remaining > 0) {
    if (r.remaining < 2) throw malformed('truncated capability header');
    const code = r.u8();
    const len = r.u8();
    if (len > r.remaining) throw malformed(`capability ${code} length ${len} overruns the parameter`);
    const v = r.bytes(len);
    switch (code) {
      case CapabilityCode.MULTIPROTOCOL:
        if (len !== 4) throw malformed(`multiprotocol length ${len}`);
        out.push({ code, afi: (v[0] << 8) | v[1], safi: v[3] });
        break;
      case CapabilityCode.ROUTE_REFRESH:
      case CapabilityCode.ROUTE_REFRESH_CISCO:
      case CapabilityCode.EXTENDED_MESSAGE:
      case CapabilityCode.ENHANCED_ROUTE_REFRESH:
        if (len !== 0) throw malformed(`capability ${code} length ${len}, expected 0`);
        out.push({ code });
        break;
      case CapabilityCode.FOUR_OCTET_AS:
        if (len !== 4) throw malformed(`4-octet AS length ${len}`);
        out.push({ code, asn: v[0] * 0x1000000 + ((v[1] << 16) | (v[2] << 8) | v[3]) });
        break;
      case CapabilityCode.GRACEFUL_RESTART: {
        if (len < 2 || (len - 2) % 4 !== 0) throw malformed(`graceful restart length ${len}`);
        const families: { afi: number; safi: number; forwarding: boolean }[] = [];
        for (let i = 2; i < len; i += 4) {
          families.push({ afi: (v[i] << 8) | v[i + 1], safi: v[i + 2], forwarding: (v[i + 3] & 0x80) !== 0 });
        }
        out.push({
          code,
          restartState: (v[0] & 0x80) !== 0,
          notification: (v[0] & 0x40) !== 0,
          restartTime: ((v[0] & 0x0f) << 8) | v[1],
          families,
        });
        break;
      }
      default:
        out.push({ code: 'unknown', type: code, value: new Uint8Array(v) });
    }
  }
}

/** Decodes an OPEN body (after the 19-octet header); throws the BgpError RFC 4271 §6.2 prescribes. */
export function decodeOpen(body: Uint8Array): OpenMessage {
  const r = new Reader(body, 2, 0);
  r.need(10, 1, 2, 'OPEN');
  const version = r.u8();
  // RFC 4271 §6.2: data is the largest supported version, 2 octets.
  if (version !== BGP_VERSION) throw new BgpError(2, 1, Uint8Array.of(0, BGP_VERSION), `unsupported BGP version ${version}`);
  const myAs = r.u16();
  const holdTime = r.u16();
  if (holdTime === 1 || holdTime === 2) throw new BgpError(2, 6, undefined, `unacceptable hold time ${holdTime}`);
  const idBytes = r.bytes(4);
  if ((idBytes[0] | idBytes[1] | idBytes[2] | idBytes[3]) === 0) {
    throw new BgpError(2, 3, undefined, 'BGP Identifier 0.0.0.0');
  }
  const bgpIdentifier = formatAddress(1, idBytes);
  let optLen = r.u8();
  // RFC 9072 §2: a first parameter type of 255 means the extended format.
  const extended = optLen > 0 && r.remaining > 0 && body[r.pos] === OptionalParameterType.EXTENDED_LENGTH;
  if (extended) {
    r.skip(1);
    optLen = r.u16();
  }
  if (optLen !== r.remaining) {
    throw new BgpError(2, 0, undefined, `optional parameters length ${optLen} does not match the ${r.remaining} octets left`);
  }
  const capabilities: Capability[] = [];
  while (r.remaining > 0) {
    r.need(extended ? 3 : 2);
    const type = r.u8();
    const len = extended ? r.u16() : r.u8();
    if (len > r.remaining) throw new BgpError(2, 0, undefined, `optional parameter ${type} overruns the OPEN`);
    const p = r.sub(len);
    if (type !== OptionalParameterType.CAPABILITIES) {
      throw new BgpError(2, 4, undefined, `unsupported optional parameter type ${type}`);
    }
    decodeCapabilities(p, capabilities);
  }
  return { type: 'open', version, myAs, holdTime, bgpIdentifier, capabilities };
}
