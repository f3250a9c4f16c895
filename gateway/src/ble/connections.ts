/**
 * Owns the adapter's connections. A Pi's controller holds about 7 links; we keep at most
 * `maxConnections`, hand them out by priority (user commands before reads before OTA), run one
 * operation per switch at a time, stop scanning while a connection is being made (many controllers
 * refuse to scan and initiate at once), and close links that sat idle.
 */
import type { Logger } from 'pino';
import { BleError } from '../errors.ts';
import type { BleCentral } from './port.ts';
import { SwitchbotSession } from './switchbot-session.ts';

export type Priority = 'command' | 'read' | 'ota';
const rank: Record<Priority, number> = { command: 0, read: 1, ota: 2 };

export interface Connection {
  address: string;
  session: SwitchbotSession;
}

interface Entry {
  address: string;
  connection?: Connection;
  connecting?: Promise<Connection>;
  users: number;
  idleTimer?: NodeJS.Timeout;
  /** Serializes operations on one switch. */
  tail: Promise<unknown>;
}

interface Waiter {
  address: string;
  priority: number;
  order: number;
  /** Receives its entry already created, so no other caller can take the freed slot first. */
  grant: (entry: Entry) => void;
  reject: (err: Error) => void;
}

export interface ConnectionPoolOptions {
  central: BleCentral;
  maxConnections: number;
  idleMs: number;
  responseMs: number;
  log: Logger;
}

export class ConnectionPool {
  private readonly entries = new Map<string, Entry>();
  private readonly waiters: Waiter[] = [];
  private order = 0;
  /** Links whose disconnect is under way: the controller still holds their slot until it completes. */
  private closing = 0;
  private closed = false;
  /** Highest number of links held at once, for health reports and tests. */
  peak = 0;

  constructor(private readonly options: ConnectionPoolOptions) {}

  get inUse(): number {
    return this.entries.size + this.closing;
  }

  get queued(): number {
    return this.waiters.length;
  }

  /** Runs `fn` with a live connection to `address`, connecting (and waiting for a slot) if needed. */
  async withConnection<T>(address: string, priority: Priority, fn: (c: Connection) => Promise<T>): Promise<T> {
    const entry = await this.reserve(address, priority);
    entry.users += 1;
    clearTimeout(entry.idleTimer);
    const run = async () => fn(await this.ensureConnected(entry));
    const result = entry.tail.then(run, run);
    entry.tail = result.catch(() => undefined);
    try {
      return await result;
    } catch (err) {
      // A broken link is dropped so the next operation reconnects instead of reusing it.
      if (err instanceof BleError && (err.code === 'BLE_DISCONNECTED' || err.code === 'BLE_TIMEOUT')) this.drop(entry);
      throw err;
    } finally {
      entry.users -= 1;
      if (entry.users === 0 && this.entries.get(address) === entry) this.armIdle(entry);
    }
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) w.reject(new BleError('BLE_NOT_READY', 'gateway is stopping'));
    // A connect under way completes (or times out) first; connect() then closes what it made.
    const connecting = [...this.entries.values()].map((e) => e.connecting).filter((c) => c !== undefined);
    await Promise.allSettled(connecting);
    await Promise.all([...this.entries.values()].map((e) => this.close(e)));
  }

  private async reserve(address: string, priority: Priority): Promise<Entry> {
    if (this.closed) throw new BleError('BLE_NOT_READY', 'gateway is stopping');
    const existing = this.entries.get(address);
    if (existing) return existing;
    if (this.inUse < this.options.maxConnections) return this.createEntry(address);
    const granted = new Promise<Entry>((grant, reject) => {
      this.waiters.push({ address, priority: rank[priority], order: this.order++, grant, reject });
      this.waiters.sort((a, b) => a.priority - b.priority || a.order - b.order);
    });
    this.evictIdle();
    return granted;
  }

  private createEntry(address: string): Entry {
    const entry: Entry = { address, users: 0, tail: Promise.resolve() };
    this.entries.set(address, entry);
    this.peak = Math.max(this.peak, this.inUse);
    return entry;
  }

  private async ensureConnected(entry: Entry): Promise<Connection> {
    if (entry.connection) return entry.connection;
    if (!entry.connecting) {
      entry.connecting = this.connect(entry).finally(() => {
        entry.connecting = undefined;
      });
    }
    return entry.connecting;
  }

  private async connect(entry: Entry): Promise<Connection> {
    const { central, responseMs, log } = this.options;
    await central.pauseScanning().catch((err: unknown) => log.warn({ err }, 'could not pause scanning'));
    try {
      const link = await central.connect(entry.address);
      link.onDisconnect((reason) => {
        log.debug({ address: entry.address, reason }, 'link closed');
        if (entry.connection?.session.link === link) this.drop(entry);
      });
      const session = await SwitchbotSession.open(link, responseMs).catch(async (err: unknown) => {
        await link.disconnect();
        throw err;
      });
      if (this.closed || this.entries.get(entry.address) !== entry) {
        // Nobody holds this slot any more (the pool closed meanwhile): an orphan link would keep
        // the switch from advertising, so it is closed at once.
        await link.disconnect();
        throw new BleError('BLE_NOT_READY', 'connection pool closed while connecting');
      }
      entry.connection = { address: entry.address, session };
      return entry.connection;
    } finally {
      await central.resumeScanning().catch((err: unknown) => log.warn({ err }, 'could not resume scanning'));
    }
  }

  private armIdle(entry: Entry): void {
    clearTimeout(entry.idleTimer);
    if (this.waiters.length > 0 || !entry.connection) {
      // Someone waits for a slot, or the link never came up: free it now.
      void this.close(entry);
      return;
    }
    entry.idleTimer = setTimeout(() => void this.close(entry), this.options.idleMs);
    entry.idleTimer.unref();
  }

  /** Closes one idle link so that its slot passes to the first waiter once the link is down. */
  private evictIdle(): void {
    for (const entry of this.entries.values()) {
      if (entry.users === 0 && !entry.connecting) {
        void this.close(entry);
        return;
      }
    }
  }

  /** Forgets a broken link; the entry (and its slot) stays while operations still wait on it. */
  private drop(entry: Entry): void {
    const link = entry.connection?.session.link;
    entry.connection = undefined;
    void link?.disconnect().catch(() => undefined);
    if (entry.users === 0) void this.close(entry);
  }

  private async close(entry: Entry): Promise<void> {
    clearTimeout(entry.idleTimer);
    const link = entry.connection?.session.link;
    entry.connection = undefined;
    if (this.entries.get(entry.address) !== entry) return;
    this.entries.delete(entry.address);
    if (link?.connected) {
      // The slot stays taken until the controller reports the link down (HCI Disconnection Complete).
      this.closing += 1;
      await link.disconnect().catch(() => undefined);
      this.closing -= 1;
    }
    this.grantNext();
  }

  private grantNext(): void {
    while (this.waiters.length > 0) {
      const next = this.waiters[0]!;
      const existing = this.entries.get(next.address);
      if (!existing && this.inUse >= this.options.maxConnections) return;
      this.waiters.shift();
      next.grant(existing ?? this.createEntry(next.address));
    }
  }
}
