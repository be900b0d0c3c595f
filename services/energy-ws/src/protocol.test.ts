import { parseClientFrame } from './protocol';

const parse = (text: string) => parseClientFrame(text, 1024);
const code = (text: string) => {
  const r = parse(text);
  return r.ok ? 'ok' : r.error.code;
};

describe('client frames', () => {
  it('accepts the seed messages unchanged', () => {
    expect(parse('{"type": "ping"}')).toEqual({ ok: true, kind: 'ping' });
    expect(parse('{"type": "subscribe", "streams": ["energy"]}')).toEqual({
      ok: true,
      kind: 'subscribe',
      subscription: { streams: ['energy'], devices: undefined, resume: [] },
    });
  });

  it('accepts the additive device filter and resume positions', () => {
    const r = parse(
      '{"type":"subscribe","streams":["energy","heatpump"],"devices":["meter1"],"resume":["energy:0:41","heatpump:2:7"]}',
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

  it('answers malformed frames with an error code', () => {
    expect(code('not json')).toBe('BAD_REQUEST');
    expect(code('[1,2]')).toBe('BAD_REQUEST');
    expect(code('{"type":"dance"}')).toBe('UNKNOWN_TYPE');
    expect(code('{"streams":["energy"]}')).toBe('UNKNOWN_TYPE');
    expect(code('{"type":"subscribe","streams":["gas"]}')).toBe(
      'UNKNOWN_STREAM',
    );
    expect(code('{"type":"subscribe","streams":[]}')).toBe('BAD_REQUEST');
    expect(code('{"type":"subscribe","streams":"energy"}')).toBe('BAD_REQUEST');
    expect(
      code('{"type":"subscribe","streams":["energy"],"devices":[""]}'),
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
    expect(code(`{"type":"ping","pad":"${'x'.repeat(2000)}"}`)).toBe(
      'FRAME_TOO_LARGE',
    );
  });
});
