// The protocol's public surface: the controller and the CLI import only this.
export type {
  RouteSpec,
  GracefulRestartSpec,
  SessionSpec,
  SessionState,
  SessionReason,
  SessionError,
  SessionStatus,
  SessionEvent,
  NegotiatedSummary,
} from './types.js';
export type { Clock, TimerHandle } from './clock.js';
export { systemClock, FakeClock } from './clock.js';
export { Speaker, type SpeakerOptions } from './speaker.js';
export type { Dialer, DialRequest, StopMode } from './session.js';
export { describeNotification } from './wire/notification.js';
export { parseAddress, formatAddress } from './prefix.js';
