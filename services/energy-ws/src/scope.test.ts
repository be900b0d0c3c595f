import { parseStreamsClaim } from '@homelab/pipeline-contracts';
import { LiveScope } from './scope';

const subscribe = (streams: string[], devices?: string[]) =>
  ({ streams, devices, resume: [] } as any);

describe('live-token scope', () => {
  it('reads the claim, and tells absent from malformed', () => {
    expect(parseStreamsClaim({ streams: ['energy', 'heatpump:hp1'] })).toEqual([
      { stream: 'energy' },
      { stream: 'heatpump', device: 'hp1' },
    ]);
    expect(parseStreamsClaim({ sub: 'x' })).toBeUndefined();
    for (const bad of [
      'energy',
      ['gas'],
      ['energy:'],
      [1],
      Array(1001).fill('energy'),
    ])
      expect(parseStreamsClaim({ streams: bad })).toHaveProperty('error');
    // A device id may itself hold colons (the annotation splits the same way).
    expect(parseStreamsClaim({ streams: ['energy:a:b'] })).toEqual([
      { stream: 'energy', device: 'a:b' },
    ]);
  });

  it('refuses a stream outside the scope, naming it', () => {
    const scope = new LiveScope([{ stream: 'heatpump', device: 'hp1' }]);
    expect(scope.filterFor(subscribe(['energy']))).toEqual({
      ok: false,
      message:
        'Your token does not allow stream "energy"; it allows: heatpump:hp1',
    });
  });

  it('narrows a subscribe without devices to the scoped devices', () => {
    const scope = new LiveScope([
      { stream: 'heatpump', device: 'hp1' },
      { stream: 'energy' },
    ]);
    const result = scope.filterFor(subscribe(['heatpump', 'energy']));
    expect(result).toEqual({
      ok: true,
      filter: new Map([
        ['heatpump', new Set(['hp1'])],
        ['energy', undefined],
      ]),
    });
  });

  it('refuses a device no subscribed stream allows, naming it', () => {
    const scope = new LiveScope([{ stream: 'heatpump', device: 'hp1' }]);
    expect(scope.filterFor(subscribe(['heatpump'], ['hp2']))).toMatchObject({
      ok: false,
      message: expect.stringContaining('device "hp2"'),
    });
    // A device allowed on one subscribed stream is filtered per stream on the others.
    const mixed = new LiveScope([
      { stream: 'heatpump', device: 'hp1' },
      { stream: 'energy' },
    ]);
    expect(
      mixed.filterFor(subscribe(['heatpump', 'energy'], ['meter1', 'hp1'])),
    ).toEqual({
      ok: true,
      filter: new Map([
        ['heatpump', new Set(['hp1'])],
        ['energy', new Set(['meter1', 'hp1'])],
      ]),
    });
  });

  it('a whole-stream entry wins over device entries; no claim allows all', () => {
    const scope = new LiveScope([
      { stream: 'energy', device: 'meter1' },
      { stream: 'energy' },
    ]);
    expect(scope.filterFor(subscribe(['energy']))).toMatchObject({
      ok: true,
      filter: new Map([['energy', undefined]]),
    });
    expect(
      new LiveScope(undefined).filterFor(subscribe(['temperature'], ['t1'])),
    ).toMatchObject({ ok: true });
    expect(new LiveScope([]).filterFor(subscribe(['energy']))).toMatchObject({
      ok: false,
      message: expect.stringContaining('it allows: nothing'),
    });
  });
});
