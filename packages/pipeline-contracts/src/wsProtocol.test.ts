import {
  dataFrame,
  errorFrame,
  formatPosition,
  parseClientFrame,
  parsePosition,
  parseServerFrame,
  pingFrame,
  pongFrame,
  subscribedFrame,
  subscribeFrame,
} from './wsProtocol';

const parse = (text: string | Uint8Array) => parseClientFrame(text, 1024);
const code = (text: string) => {
  const r = parse(text);
  return r.ok ? 'ok' : r.error.code;
};

describe('client frames, as the server parses them', () => {
  it('accepts the seed messages unchanged', () => {
    expect(parse('{"type": "ping"}')).toEqual({ ok: true, kind: 'ping' });
    expect(parse('{"type": "subscribe", "streams": ["energy"]}')).toEqual({
      ok: true,
      kind: 'subscribe',
      subscription: { streams: ['energy'], devices: undefined, resume: [] },
    });
  });

  it('accepts the additive device filter and resume positions, deduplicated', () => {
    const r = parse(
      '{"type":"subscribe","streams":["energy","heatpump","energy"],"devices":["meter1","meter1"],"resume":["energy:0:41","heatpump:2:7"]}',
    );
    expect(r).toEqual({
      ok: true,
      kind: 'subscribe',
      subscription: {
        streams: ['energy', 'heatpump'],
        devices: ['meter1'],
        resume: [
          { stream: 'energy', partition: 0, offset: '41' },
          { stream: 'heatpump', partition: 2, offset: '7' },
        ],
      },
    });
  });

  it('reads bytes as the server receives them', () => {
    const bytes = new TextEncoder().encode(
      '{"type":"subscribe","streams":["temperature"],"devices":["küche"]}',
    );
    expect(parse(bytes)).toMatchObject({
      ok: true,
      subscription: { streams: ['temperature'], devices: ['küche'] },
    });
  });

  it('answers malformed frames with an error code', () => {
    expect(code('not json')).toBe('BAD_REQUEST');
    expect(code('[1,2]')).toBe('BAD_REQUEST');
    expect(code('null')).toBe('BAD_REQUEST');
    expect(code('{"type":"dance"}')).toBe('UNKNOWN_TYPE');
    expect(code('{"streams":["energy"]}')).toBe('UNKNOWN_TYPE');
    expect(code('{"type":"subscribe","streams":["gas"]}')).toBe(
      'UNKNOWN_STREAM',
    );
    expect(code('{"type":"subscribe","streams":[]}')).toBe('BAD_REQUEST');
    expect(code('{"type":"subscribe","streams":"energy"}')).toBe('BAD_REQUEST');
    expect(code('{"type":"subscribe","streams":["__proto__"]}')).toBe(
      'UNKNOWN_STREAM',
    );
    expect(
      code('{"type":"subscribe","streams":["energy"],"devices":[""]}'),
    ).toBe('BAD_REQUEST');
    expect(
      code('{"type":"subscribe","streams":["energy"],"devices":[1]}'),
    ).toBe('BAD_REQUEST');
    expect(
      code('{"type":"subscribe","streams":["energy"],"resume":["energy:x:1"]}'),
    ).toBe('BAD_REQUEST');
    expect(
      code(
        '{"type":"subscribe","streams":["energy"],"resume":["heatpump:0:1"]}',
      ),
    ).toBe('BAD_REQUEST');
    expect(
      code(
        '{"type":"subscribe","streams":["energy"],"resume":["energy:0:99999999999999999"]}',
      ),
    ).toBe('BAD_REQUEST');
  });

  it('bounds what a stranger can make it do', () => {
    expect(code(`{"type":"ping","pad":"${'x'.repeat(2000)}"}`)).toBe(
      'FRAME_TOO_LARGE',
    );
    // The limit counts bytes, so multi-byte text cannot slip past it.
    expect(code(`{"type":"ping","pad":"${'€'.repeat(400)}"}`)).toBe(
      'FRAME_TOO_LARGE',
    );
    const devices = Array.from({ length: 1001 }, (_, i) => `d${i}`);
    expect(
      parseClientFrame(
        JSON.stringify({ type: 'subscribe', streams: ['energy'], devices }),
        64 * 1024,
      ),
    ).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    // An unknown type is echoed at most 64 characters long.
    const r = parse(JSON.stringify({ type: 'y'.repeat(500) }));
    expect(!r.ok && r.error.message.length).toBeLessThan(200);
  });

  it('accepts what the client formats', () => {
    expect(parse(pingFrame())).toEqual({ ok: true, kind: 'ping' });
    expect(
      parse(
        subscribeFrame({
          streams: ['heatpump'],
          devices: ['hp1'],
          resume: ['heatpump:0:3'],
        }),
      ),
    ).toEqual({
      ok: true,
      kind: 'subscribe',
      subscription: {
        streams: ['heatpump'],
        devices: ['hp1'],
        resume: [{ stream: 'heatpump', partition: 0, offset: '3' }],
      },
    });
  });
});

describe('server frames, as the client parses them', () => {
  const now = new Date('2026-01-02T03:04:05.000Z');

  it('reads what the server formats', () => {
    expect(
      parseServerFrame(
        dataFrame(
          {
            stream: 'energy',
            partition: 2,
            offset: 17,
            deviceId: 'meter1',
            ts: '2026-01-02T03:04:00.000Z',
            fields: { power_kw: 1.5 },
          },
          now,
        ),
      ),
    ).toEqual({
      type: 'data',
      stream: 'energy',
      timestamp: now.toISOString(),
      data: { ts: '2026-01-02T03:04:00.000Z', fields: { power_kw: 1.5 } },
      device_id: 'meter1',
      position: 'energy:2:17',
    });
    expect(parseServerFrame(pongFrame(now))).toEqual({
      type: 'pong',
      timestamp: now.toISOString(),
    });
    expect(
      parseServerFrame(
        errorFrame('POSITION_EXPIRED', 'gone', ['energy:0:100']),
      ),
    ).toEqual({
      type: 'error',
      code: 'POSITION_EXPIRED',
      message: 'gone',
      oldest: ['energy:0:100'],
    });
    expect(JSON.parse(errorFrame('UNAUTHORIZED', 'Invalid token'))).toEqual({
      type: 'error',
      code: 'UNAUTHORIZED',
      message: 'Invalid token',
    });
    expect(
      parseServerFrame(
        subscribedFrame({ streams: ['energy'], replayFrom: ['energy:0:1'] }),
      ),
    ).toEqual({
      type: 'subscribed',
      streams: ['energy'],
      replayFrom: ['energy:0:1'],
    });
  });

  it('ignores what is not a server frame', () => {
    for (const text of ['', 'nope', '[]', 'null', '{"type":"later"}', '{}'])
      expect(parseServerFrame(text)).toBeUndefined();
  });
});

describe('positions', () => {
  it('round-trip and refuse anything else', () => {
    const p = { stream: 'temperature' as const, partition: 3, offset: '42' };
    expect(parsePosition(formatPosition(p))).toEqual(p);
    for (const text of [
      'gas:0:1',
      'energy:0',
      'energy:-1:1',
      'energy:0:1:2',
      `energy:0:${'9'.repeat(20)}`,
      'energy:1234567:1',
    ])
      expect(parsePosition(text)).toBeUndefined();
  });
});
