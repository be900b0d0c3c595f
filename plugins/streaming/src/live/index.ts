export { LiveConnection } from './LiveConnection';
export type {
  LiveConnectionOptions,
  LiveConnectionState,
  LiveStatus,
} from './LiveConnection';
export { LiveStore, UNKNOWN_DEVICE } from './LiveStore';
export type { ChartPoint, DeviceLatest, DeviceSeries } from './LiveStore';
export { RingBuffer } from './RingBuffer';
export { Backoff } from './backoff';
export { frameThrottle } from './frameThrottle';
export { useLiveStream, subscriptionFor } from './useLiveStream';
export type { LiveView, UseLiveStreamOptions } from './useLiveStream';
export { streamingLiveApiRef, StreamingLiveClient } from './StreamingLiveApi';
export type { StreamingLiveApi } from './StreamingLiveApi';
export { isStreamingLiveAvailable } from './conditions';
