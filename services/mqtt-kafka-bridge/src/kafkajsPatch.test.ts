/*
 * The bridge runs kafkajs 2.2.4 with patches/kafkajs-2.2.4-encoding.patch
 * (see docs/benchmark.md). The patch must not change a byte on the wire:
 * these tests decode what the patched encoder writes with kafkajs' own,
 * unpatched decoder, and compare a record with the layout of the Kafka
 * protocol written out by hand.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const Encoder = require('kafkajs/src/protocol/encoder');
const Decoder = require('kafkajs/src/protocol/decoder');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const groupMessagesPerPartition = require('kafkajs/src/producer/groupMessagesPerPartition');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Zig-zag LEB128, as the Kafka protocol defines varints. */
function varint(value: number): number[] {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  const out: number[] = [];
  while (v >= 0x80) {
    out.push(v % 0x80 | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

const utf8 = (s: string) => [...Buffer.from(s, 'utf8')];

describe('patched kafkajs encoding', () => {
  it('writes varints the decoder reads back, at every length boundary', () => {
    const values = [
      0,
      1,
      -1,
      63,
      -64,
      64,
      8191,
      8192,
      -8193,
      1048575,
      1048576,
      2 ** 27,
      2 ** 31 - 1,
      -(2 ** 31),
    ];
    const encoder = new Encoder();
    for (const v of values) encoder.writeVarInt(v);
    for (const v of values) encoder.writeVarLong(v);
    const decoder = new Decoder(encoder.buffer);
    expect(values.map(() => decoder.readVarInt())).toEqual(values);
    expect(values.map(() => Number(decoder.readVarLong()))).toEqual(values);
    expect([
      ...new Encoder().writeVarInt(-300).writeVarInt(300).buffer,
    ]).toEqual([...varint(-300), ...varint(300)]);
  });

  it('encodes a record with headers byte for byte as the protocol lays it out', () => {
    const key = 'meter-ü';
    const value = '{"v":1}';
    const headers = { 'mqtt.topic': 'homelab/energy/meter-ü', qos: '1' };
    const body = [
      0, // attributes
      ...varint(5), // timestamp delta
      ...varint(3), // offset delta
      ...varint(Buffer.byteLength(key)),
      ...utf8(key),
      ...varint(Buffer.byteLength(value)),
      ...utf8(value),
      ...varint(2),
      ...Object.entries(headers).flatMap(([k, v]) => [
        ...varint(Buffer.byteLength(k)),
        ...utf8(k),
        ...varint(Buffer.byteLength(v)),
        ...utf8(v),
      ]),
    ];
    const encoded = Record({
      offsetDelta: 3,
      timestampDelta: 5,
      key,
      value,
      headers,
    });
    expect([...encoded.buffer]).toEqual([...varint(body.length), ...body]);
  });

  it('groups messages per partition in order', () => {
    const messages = [0, 1, 2, 0, 0, 2].map((partition, i) => ({
      partition,
      value: String(i),
    }));
    const grouped = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata: [{ partitionId: 0 }],
      messages,
      partitioner: ({ message }: { message: { partition: number } }) =>
        message.partition,
    });
    expect(
      Object.fromEntries(
        Object.entries(grouped).map(([p, ms]) => [
          p,
          (ms as { value: string }[]).map(m => m.value),
        ]),
      ),
    ).toEqual({ 0: ['0', '3', '4'], 1: ['1'], 2: ['2', '5'] });
  });
});
