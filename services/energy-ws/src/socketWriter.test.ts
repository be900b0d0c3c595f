import type { EventEmitter } from 'node:events';
import { wireTextFrame } from './socketWriter';

// ws's own frame parser (exported at runtime, not in @types/ws) is the referee.
const { Receiver } = require('ws') as {
  Receiver: new (options: { isServer: boolean }) => EventEmitter & {
    write(chunk: Buffer): void;
  };
};

describe('wire text frames', () => {
  it.each([5, 125, 126, 65535, 65536, 200_000])(
    'decode as one text message of %i bytes',
    async size => {
      const payload = Buffer.alloc(size, 'a');
      const receiver = new Receiver({ isServer: false });
      const message = new Promise<{ data: Buffer; isBinary: boolean }>(
        resolve =>
          receiver.on('message', (data: Buffer, isBinary: boolean) =>
            resolve({ data, isBinary }),
          ),
      );
      receiver.write(wireTextFrame(payload));
      const { data, isBinary } = await message;
      expect(isBinary).toBe(false);
      expect(data.equals(payload)).toBe(true);
    },
  );
});
