import { WebSocket } from 'ws';
import { assertWsInternals } from './wsInternals';

type Internals = {
  setSocket(socket: unknown, head: Buffer, options: object): void;
  _socket: unknown;
};
const setSocket = (WebSocket.prototype as unknown as Internals).setSocket;

/** A WebSocket as a later ws might build it, to show the check catches it. */
class KeepsSocketElsewhere extends WebSocket {
  setSocket(socket: unknown, head: Buffer, options: object) {
    setSocket.call(this, socket, head, options);
    (this as unknown as Internals)._socket = undefined;
  }
}

class QueuesSends extends WebSocket {
  send() {}
}

class NoSetSocket extends WebSocket {}
Object.defineProperty(NoSetSocket.prototype, 'setSocket', { value: undefined });

describe('ws internals check', () => {
  it('accepts the installed ws', () => {
    expect(() => assertWsInternals()).not.toThrow();
  });

  it.each([
    [NoSetSocket, /setSocket is not a function/],
    [KeepsSocketElsewhere, /_socket is not the socket it was set up with/],
    [QueuesSends, /send did not write one unmasked text frame/],
  ])('refuses a changed one with what to do (%p)', (changed, message) => {
    expect(() => assertWsInternals(changed)).toThrow(message);
    expect(() => assertWsInternals(changed)).toThrow(/pinned/);
  });
});
