import { WriteQueue } from './writeQueue';

/** A write that finishes when the test says so. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>(resolve => {
    open = resolve;
  });
  return { open, opened };
}

const tick = () => new Promise(resolve => setImmediate(resolve));

describe('WriteQueue', () => {
  it('writes a lane in order, one chunk at a time', async () => {
    const queue = new WriteQueue(8);
    const log: string[] = [];
    const gates = [gate(), gate(), gate()];
    for (const [i, g] of gates.entries()) {
      await queue.push('t:0', async () => {
        log.push(`start ${i}`);
        await g.opened;
        log.push(`end ${i}`);
      });
    }
    await tick();
    expect(log).toEqual(['start 0']);
    gates[2].open();
    gates[1].open();
    await tick();
    expect(log).toEqual(['start 0']);
    gates[0].open();
    await queue.idle();
    expect(log).toEqual([
      'start 0',
      'end 0',
      'start 1',
      'end 1',
      'start 2',
      'end 2',
    ]);
  });

  it('holds a push until there is room: one being written plus `ahead` waiting', async () => {
    const queue = new WriteQueue(1);
    const first = gate();
    await queue.push('t:0', () => first.opened);
    await queue.push('t:0', async () => undefined);
    let third = false;
    const pushing = queue
      .push('t:0', async () => undefined)
      .then(p => {
        third = true;
        return p;
      });
    await tick();
    expect(third).toBe(false);
    expect(queue.size).toBe(2);
    first.open();
    expect(await pushing).toBeDefined();
    await queue.idle();
    expect(queue.size).toBe(0);
  });

  it('lanes do not wait for each other', async () => {
    const queue = new WriteQueue(0);
    const slow = gate();
    await queue.push('t:0', () => slow.opened);
    let otherWritten = false;
    const other = await queue.push('t:1', async () => {
      otherWritten = true;
    });
    await other!.done;
    expect(otherWritten).toBe(true);
    await tick();
    expect(queue.size).toBe(1);
    slow.open();
    await queue.idle();
    expect(queue.size).toBe(0);
  });

  it('drop forgets the waiting chunks, finishes the running one and turns a waiting push away', async () => {
    const queue = new WriteQueue(1);
    const written: number[] = [];
    const first = gate();
    await queue.push('t:0', async () => {
      await first.opened;
      written.push(1);
    });
    await queue.push('t:0', async () => {
      written.push(2);
    });
    const third = queue.push('t:0', async () => {
      written.push(3);
    });
    await tick();
    queue.drop('t:0');
    expect(await third).toBeUndefined();
    first.open();
    await queue.idle();
    expect(written).toEqual([1]);
    // The lane takes chunks again after a drop.
    await (await queue.push('t:0', async () => {
      written.push(4);
    }))!.done;
    expect(written).toEqual([1, 4]);
  });

  it('a failing write does not stop the lane or reject done', async () => {
    const queue = new WriteQueue(2);
    const a = await queue.push('t:0', async () => {
      throw new Error('boom');
    });
    let ran = false;
    const b = await queue.push('t:0', async () => {
      ran = true;
    });
    await a!.done;
    await b!.done;
    expect(ran).toBe(true);
  });
});
