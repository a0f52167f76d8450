// The codec's public surface: framing, message encoders and decoders, the
// attribute table, and the shared constants, types and error of the wire layer.

export * from './constants.js';
export * from './types.js';
export * from './errors.js';
export { Reader } from './reader.js';
export { Writer, beginMessage, endMessage } from './writer.js';
export { Framer, type Frame } from './framer.js';
export { encodeOpen, decodeOpen } from './open.js';
export {
  ATTRIBUTES,
  attributeHeaderLength,
  decodePathAttributes,
  encodeMpReachAttribute,
  encodeMpUnreachAttribute,
  encodePathAttributes,
  type AttributeDescriptor,
  type DecodedAttributes,
  type ErrorAction,
} from './attributes.js';
export { decodeUpdate, encodeUpdate, encodeEndOfRib, endOfRibFamily } from './update.js';
export {
  encodeNotification,
  decodeNotification,
  describeNotification,
  encodeShutdownCommunication,
  decodeShutdownCommunication,
} from './notification.js';
export { encodeKeepalive, encodeRouteRefresh, decodeMessage, encodeMessage } from './messages.js';
export { decodeNlri, nlriFieldLength, writeNlriField } from './nlri.js';
export {
  parsePrefix,
  prefixFromNlri,
  nlriLength,
  writeNlri,
  parseAddress,
  formatAddress,
  addressFamily,
  type Prefix,
} from '../prefix.js';
