/**
 * When a message counts as delivered.
 *
 * A QoS 1 message from Mosquitto is delivered once Kafka has acknowledged
 * (acks=all) the record made from it, or the dead letter made from it. Only
 * then does its PUBACK go out, and PUBACKs go out in the order the PUBLISHes
 * arrived (MQTT 3.1.1 §4.6): a message whose record is acknowledged early
 * waits for every earlier message.
 *
 * Nothing else in the bridge sends a PUBACK. When the MQTT connection drops,
 * tickets of that connection are abandoned: their packet ids belong to the old
 * connection, and Mosquitto will redeliver those messages on the next one
 * (duplicates in Kafka, never gaps), so their records are not sent at all if
 * they have not been yet (`isStale`).
 *
 * A QoS 0 message has no PUBACK: it is delivered when Kafka acknowledges it,
 * and it keeps its place in the order. Mosquitto never redelivers it, so it is
 * never stale: its record is sent even after its connection dropped.
 *
 * A message Kafka refuses (a record error, see batch.ts) is delivered when its
 * dead letter is acknowledged.
 */
export interface Ticket {
  /** MQTT packet id; undefined for QoS 0, which needs no PUBACK. */
  readonly messageId: number | undefined;
  readonly receivedAtMs: number;
  /** Payload bytes, counted in `pendingBytes` until delivered. */
  readonly bytes: number;
  settled: boolean;
  readonly connection: number;
}

export type SendPuback = (messageId: number) => void;

export class DeliveryLedger {
  private queue: Ticket[] = [];
  private head = 0;
  private connection = 0;
  private heldBytes = 0;

  constructor(
    private readonly sendPuback: SendPuback,
    private readonly onDelivered: (ticket: Ticket) => void = () => {},
  ) {}

  /** Called for every PUBLISH in arrival order, before anything else is done with it. */
  receive(
    messageId: number | undefined,
    nowMs = Date.now(),
    bytes = 0,
  ): Ticket {
    const ticket: Ticket = {
      messageId,
      receivedAtMs: nowMs,
      bytes,
      settled: false,
      connection: this.connection,
    };
    this.queue.push(ticket);
    this.heldBytes += bytes;
    return ticket;
  }

  /** Kafka acknowledged this message's record or dead letter. */
  delivered(ticket: Ticket): void {
    if (ticket.connection !== this.connection) return;
    ticket.settled = true;
    while (this.head < this.queue.length && this.queue[this.head].settled) {
      const done = this.queue[this.head++];
      this.heldBytes -= done.bytes;
      if (done.messageId !== undefined) this.sendPuback(done.messageId);
      this.onDelivered(done);
    }
    // Compact now and then instead of shifting on every ack.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Mosquitto will redeliver this message on a newer connection: sending its record now only duplicates it. */
  isStale(ticket: Ticket): boolean {
    return (
      ticket.messageId !== undefined && ticket.connection !== this.connection
    );
  }

  /** The MQTT connection is gone: its outstanding PUBACKs must never be sent. */
  abandon(): number {
    const abandoned = this.pending;
    this.connection++;
    this.queue = [];
    this.head = 0;
    this.heldBytes = 0;
    return abandoned;
  }

  /** Messages received on this connection and not yet acknowledged. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  /** Payload bytes of those messages. */
  get pendingBytes(): number {
    return this.heldBytes;
  }
}
