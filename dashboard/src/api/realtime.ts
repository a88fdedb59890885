/**
 * A Socket.IO connection to the realtime server (services/realtime), as the Live and Setup
 * views open it: the token in the auth payload, WebSocket first, quick reconnects.
 */
import { type Socket, io } from 'socket.io-client';
import type { Config } from '../config';

export function connectRealtime(config: Config, token: string): Socket {
  return io(config.realtimeUrl || window.location.origin, {
    auth: { token },
    transports: ['websocket', 'polling'],
    reconnectionDelay: 500,
    reconnectionDelayMax: 5000,
    timeout: 10_000,
  });
}
