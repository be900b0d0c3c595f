import { eventually } from './eventually';

describe('eventually', () => {
  it('resolves with the first answer that is not undefined, null or false, 0 included', async () => {
    const answers = [undefined, null, false, 0, 5];
    await expect(
      eventually('an answer', () => answers.shift(), { intervalMs: 1 }),
    ).resolves.toBe(0);
    expect(answers).toEqual([5]);
  });

  it('asks again after the probe throws', async () => {
    let calls = 0;
    const value = await eventually(
      'the server to start',
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('ECONNREFUSED');
        return 'up';
      },
      { intervalMs: 1 },
    );
    expect(value).toBe('up');
    expect(calls).toBe(3);
  });

  it('fails at the deadline naming what it waited for and the last error', async () => {
    const failure = eventually(
      'the row',
      () => {
        throw new Error('relation does not exist');
      },
      { timeoutMs: 20, intervalMs: 1 },
    );
    await expect(failure).rejects.toThrow(
      /timed out after 20 ms waiting for the row: relation does not exist/,
    );
  });

  it('names only what it waited for when the probe kept answering "not yet"', async () => {
    await expect(
      eventually('a message', () => false, { timeoutMs: 20, intervalMs: 1 }),
    ).rejects.toThrow(/^timed out after 20 ms waiting for a message$/);
  });

  it('fails at once on a failed expect() in the probe, without asking again', async () => {
    let calls = 0;
    const failure = eventually(
      'the answer',
      () => {
        calls += 1;
        expect(calls).toBe(0);
        return true;
      },
      { timeoutMs: 60_000, intervalMs: 1 },
    );
    await expect(failure).rejects.toHaveProperty('matcherResult');
    expect(calls).toBe(1);
  });
});
