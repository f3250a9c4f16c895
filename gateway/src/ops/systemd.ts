/**
 * sd_notify(3) for a Type=notify unit: READY=1 once serving, WATCHDOG=1 at half of WatchdogSec,
 * STOPPING=1 when a stop begins. The protocol is one datagram per message to the unix socket named
 * by $NOTIFY_SOCKET (config.systemd.notifySocket). Node has no unix datagram sockets, so a small
 * native addon with prebuilt binaries for the Pi (node-unix-socket) sends them; where it cannot
 * load, or the socket is in the abstract namespace ("@…"), `systemd-notify` is run instead (that
 * path needs NotifyAccess=all in the unit, since the message then comes from a child process).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import type { Logger } from 'pino';

interface DgramSocketLike {
  sendTo(
    buf: Buffer,
    offset: number,
    length: number,
    destPath: string,
    onWrite?: (err: Error | undefined) => void,
  ): void;
  close(): void;
}

export interface NotifierOptions {
  notifySocket?: string;
  watchdogMs?: number;
  log: Logger;
}

export class SystemdNotifier {
  private socket: DgramSocketLike | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: NotifierOptions) {
    const path = options.notifySocket;
    if (!path || path.startsWith('@')) return;
    try {
      const require = createRequire(import.meta.url);
      const { DgramSocket } = require('node-unix-socket') as { DgramSocket: new () => DgramSocketLike };
      this.socket = new DgramSocket();
    } catch (err) {
      options.log.warn({ err: (err as Error).message }, 'unix datagram sockets unavailable; using systemd-notify');
    }
  }

  /** True when running under systemd with a notify socket. */
  get enabled(): boolean {
    return this.options.notifySocket !== undefined;
  }

  ready(status = 'serving'): Promise<void> {
    return this.send(`READY=1\nSTATUS=${status}\nMAINPID=${process.pid}`);
  }

  stopping(): Promise<void> {
    return this.send('STOPPING=1\nSTATUS=stopping');
  }

  /**
   * Pings the watchdog at half its period while `alive()` says so. A blocked event loop stops the
   * pings by itself; `alive` lets the gateway withhold them when it knows it is stuck.
   */
  startWatchdog(alive: () => boolean = () => true): void {
    const period = this.options.watchdogMs;
    if (!period || !this.enabled) return;
    this.timer = setInterval(
      () => {
        if (alive()) void this.send('WATCHDOG=1');
        else this.options.log.error('watchdog ping withheld: gateway not healthy');
      },
      Math.max(50, Math.floor(period / 2)),
    );
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.socket?.close();
    this.socket = undefined;
  }

  private send(message: string): Promise<void> {
    const path = this.options.notifySocket;
    if (!path) return Promise.resolve();
    const log = this.options.log;
    return new Promise((resolve) => {
      if (this.socket) {
        const buf = Buffer.from(message);
        this.socket.sendTo(buf, 0, buf.length, path, (err) => {
          if (err) log.warn({ err: err.message }, 'sd_notify failed');
          resolve();
        });
        return;
      }
      execFile('systemd-notify', message.split('\n'), (err) => {
        if (err) log.warn({ err: err.message }, 'systemd-notify failed');
        resolve();
      });
    });
  }
}
