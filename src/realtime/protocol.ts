/**
 * Close codes and error codes of the Pusher Channels protocol
 * (https://pusher.com/docs/channels/library_auth_reference/pusher-websockets-protocol/#error-codes):
 * 4000-4099 the client must not reconnect as is, 4100-4199 reconnect after a back-off,
 * 4200-4299 reconnect at once, 4300-4399 other errors.
 */
export const CLOSE = {
  unknownApp: { code: 4001, message: 'Application does not exist' },
  overQuota: { code: 4004, message: 'Application is over connection quota' },
  pathNotFound: { code: 4005, message: 'Path not found (connect to /app/{key})' },
  badProtocol: { code: 4006, message: 'Invalid version string format' },
  unsupportedProtocol: { code: 4007, message: 'Unsupported protocol version (5 to 7)' },
  noProtocol: { code: 4008, message: 'No protocol version supplied' },
  origin: { code: 4009, message: 'Origin not allowed' },
  overCapacity: { code: 4100, message: 'Over capacity: the socket does not read its messages' },
  shuttingDown: { code: 4200, message: 'Server shutting down: reconnect' },
  pongNotReceived: { code: 4201, message: 'Pong reply not received' },
  tooManyErrors: { code: 4300, message: 'Too many invalid messages' },
} as const;

/** `pusher:error` events on an open connection. */
export const ERROR = {
  unauthorized: { code: 4009, message: 'Connection is unauthorized' },
  badMessage: { code: 4300, message: 'Invalid message' },
  clientEventRate: { code: 4301, message: 'Client event rejected due to rate limit' },
  clientEventRefused: { code: 4300, message: 'Client events are accepted only on private and presence channels of apps that allow them' },
  tooManySubscriptions: { code: 4300, message: 'Too many subscriptions on one connection' },
  unavailable: { code: 4300, message: 'The broadcast store is unavailable; try again' },
} as const;
