import {
  formatLiveStreamScope,
  LiveStreamRef,
  StreamName,
  Subscription,
} from '@homelab/pipeline-contracts';

/** What one subscribe may receive: per stream, the allowed devices (undefined: every device). */
export type DeliveryFilter = Map<StreamName, Set<string> | undefined>;

/** What a token allows: per stream, its devices, or undefined for every device. */
export class LiveScope {
  private readonly allowed: DeliveryFilter = new Map();

  /** `refs` undefined: a token without the claim (non-strict mode), which allows everything. */
  constructor(private readonly refs: LiveStreamRef[] | undefined) {
    for (const ref of refs ?? []) {
      // A whole-stream entry wins over device entries of the same stream.
      if (!ref.device) this.allowed.set(ref.stream, undefined);
      else if (!this.allowed.has(ref.stream))
        this.allowed.set(ref.stream, new Set([ref.device]));
      else this.allowed.get(ref.stream)?.add(ref.device);
    }
  }

  /**
   * The filter for a subscribe, or the reason it is refused. A subscribe
   * without a device filter is narrowed to the token's devices, so a token
   * for `heatpump:hp1` never receives `hp2`.
   */
  filterFor(
    subscription: Subscription,
  ): { ok: true; filter: DeliveryFilter } | { ok: false; message: string } {
    const wanted = subscription.devices && new Set(subscription.devices);
    const filter: DeliveryFilter = new Map();
    for (const stream of subscription.streams) {
      if (this.refs && !this.allowed.has(stream))
        return { ok: false, message: this.refusal(`stream "${stream}"`) };
      const scoped = this.refs ? this.allowed.get(stream) : undefined;
      const devices =
        scoped && wanted
          ? new Set([...wanted].filter(d => scoped.has(d)))
          : wanted ?? scoped;
      filter.set(stream, devices);
    }
    // A device the token allows on none of the subscribed streams is named, not silently dropped.
    for (const device of wanted ?? []) {
      if (
        ![...filter.values()].some(devices => !devices || devices.has(device))
      )
        return { ok: false, message: this.refusal(`device "${device}"`) };
    }
    return { ok: true, filter };
  }

  private refusal(what: string): string {
    return `Your token does not allow ${what}; it allows: ${
      (this.refs ?? []).map(formatLiveStreamScope).join(', ') || 'nothing'
    }`;
  }
}
