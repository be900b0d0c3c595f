import { MissingTopicsError } from '@homelab/pipeline-contracts';
import { Harness } from './__testUtils__/testHarness';
import { createTopics } from '@homelab/test-kit/kafka';

jest.setTimeout(90_000);

describe('who creates topics: not energy-ws', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('refuses to start while a topic it reads is missing, names each one, and creates none', async () => {
    h = new Harness();
    await h.admin.connect();
    await createTopics(h.admin, [h.topics.energy]);
    const missing = [h.topics.heatpump, h.topics.temperature];

    const start = h.start();
    await expect(start).rejects.toBeInstanceOf(MissingTopicsError);
    await expect(start).rejects.toMatchObject({ topics: missing });
    await expect(start).rejects.toThrow(missing.join(', '));

    const after = new Set(await h.admin.listTopics());
    expect(missing.filter(t => after.has(t))).toEqual([]);
  });
});
