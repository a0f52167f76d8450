// SIGTERM and SIGINT, heard from the very start of a long-running command.
// Until a command has installed its graceful stop, Node's default for these
// signals is to exit at once: sessions that an early start (standalone) or
// the agent already opened would be dropped without a NOTIFICATION, and a
// rolling update can send SIGTERM to a pod that is still loading a large
// configuration. A signal that comes during start-up is held and acted on
// as soon as the stop is ready.

export interface StopSignals {
  /** From now on SIGTERM and SIGINT call `stop`; a signal held during start-up calls it now. */
  ready(stop: (signal: NodeJS.Signals) => void): void;
}

export function holdStopSignals(): StopSignals {
  let held: NodeJS.Signals | null = null;
  let stop: ((signal: NodeJS.Signals) => void) | null = null;
  const on = (signal: NodeJS.Signals): void => {
    if (stop) stop(signal);
    else held ??= signal;
  };
  // Signal listeners do not keep the process alive: a start-up that fails still exits.
  process.once('SIGTERM', on);
  process.once('SIGINT', on);
  return {
    ready(fn) {
      stop = fn;
      if (held) fn(held);
    },
  };
}
