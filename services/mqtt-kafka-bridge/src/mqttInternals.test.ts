import { assertMqttInternals } from './mqttInternals';

describe('mqtt.js internals check', () => {
  it('accepts the installed mqtt.js', () => {
    expect(() => assertMqttInternals()).not.toThrow();
  });

  it.each([
    [
      { _writePacket: (_p: unknown, _c: unknown) => {} },
      /_sendPacket is undefined/,
    ],
    [
      {
        _sendPacket: (_a: unknown, _b: unknown, _c: unknown, _d: unknown) => {},
        _writePacket: (_p: unknown) => {},
      },
      /_writePacket is a function of 1 parameters, expected a function of 2/,
    ],
  ])('refuses a changed one with what to do', (prototype, message) => {
    expect(() => assertMqttInternals(prototype)).toThrow(message);
    expect(() => assertMqttInternals(prototype)).toThrow(/pinned/);
  });
});
