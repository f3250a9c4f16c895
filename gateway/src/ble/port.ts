/**
 * The BLE radio port. Feature modules speak only to these interfaces; the adapter over noble
 * (real HCI on a Pi, or the simulator's bindings) is chosen at the edge.
 */
export interface Advertisement {
  /** Compact lower-case address, 12 hex digits: the id used in topics and by the cloud. */
  address: string;
  rssi: number;
  localName?: string;
  /** Service data keyed by 16-bit or 128-bit UUID in noble form. */
  serviceData: Map<string, Buffer>;
  connectable: boolean;
}

export interface BleCentral {
  /** Resolves once the adapter is powered on. */
  start(): Promise<void>;
  startScanning(): Promise<void>;
  stopScanning(): Promise<void>;
  /** True while scanning is wanted (even if paused for a connection). */
  readonly scanning: boolean;
  /**
   * Pauses scanning while a connection is made: many controllers refuse to scan and initiate at
   * once. Pauses nest; scanning resumes when the last one ends and scanning is still wanted.
   */
  pauseScanning(): Promise<void>;
  resumeScanning(): Promise<void>;
  onAdvertisement(listener: (ad: Advertisement) => void): () => void;
  /** Connects and discovers the GATT table; rejects with BleError on timeout or refusal. */
  connect(address: string): Promise<BleLink>;
  stop(): Promise<void>;
}

export interface BleLink {
  readonly address: string;
  readonly connected: boolean;
  /** ATT MTU negotiated for this link (23 when no exchange happened; BLE Core Vol 3 Part F 3.2.8). */
  readonly mtu: number;
  read(service: string, characteristic: string): Promise<Buffer>;
  write(service: string, characteristic: string, data: Buffer, withoutResponse?: boolean): Promise<void>;
  /** Enables notifications (writes the CCCD) and delivers every notification to the listener. */
  subscribe(service: string, characteristic: string, listener: (data: Buffer) => void): Promise<void>;
  hasCharacteristic(service: string, characteristic: string): boolean;
  onDisconnect(listener: (reason: string) => void): () => void;
  disconnect(): Promise<void>;
}

export interface BleTimeouts {
  connectMs: number;
  discoverMs: number;
  readMs: number;
  writeMs: number;
  responseMs: number;
}
