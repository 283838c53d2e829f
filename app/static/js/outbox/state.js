// What the sending and the panel both know about the outbox right now.

export const state = {
  syncing: false,
  running: false, // a pass over the outbox is under way
  done: 0,
  total: 0,
  share: 0,
  retryAt: 0,
  needsLogin: false,
  runStarted: 0,
  toldWaiting: false, // the panel has said something waits: it will also say when all is in
  syncedUntil: 0,
  storageFull: false,
  persisted: null,
  estimate: null,
  waiting: 0, // captures of this user still to send, as the panel last counted them
};

export const QUIET_MS = 800; // a sync quicker than this is not worth a message
