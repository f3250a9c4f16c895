/**
 * The device list the owner shaped through the local bridge: friendly names and removed switches.
 * Kept in <dataDir>/devices.json, replaced atomically (write a temporary file, fsync, rename, fsync
 * the directory) so a crash leaves the old list or the new one, never half of one.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';

interface BookFile {
  v: 1;
  names: Record<string, string>;
  removed: string[];
}

export class DeviceBook {
  private names = new Map<string, string>();
  private removed = new Set<string>();
  private writing: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;
  private readonly path: string;

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.path = join(dataDir, 'devices.json');
    mkdirSync(dataDir, { recursive: true });
    try {
      const file = JSON.parse(readFileSync(this.path, 'utf8')) as BookFile;
      this.names = new Map(Object.entries(file.names ?? {}));
      this.removed = new Set(file.removed ?? []);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        log.error({ err, path: this.path }, 'device list unreadable; starting with an empty one');
    }
  }

  nameOf(address: string): string | undefined {
    return this.names.get(address);
  }

  /** Addresses that have a name kept from an earlier run. */
  known(): string[] {
    return [...this.names.keys()];
  }

  isRemoved(address: string): boolean {
    return this.removed.has(address);
  }

  setName(address: string, name: string): Promise<void> {
    this.names.set(address, name);
    return this.save();
  }

  remove(address: string): Promise<void> {
    this.names.delete(address);
    this.removed.add(address);
    return this.save();
  }

  readmit(address: string): Promise<void> {
    this.removed.delete(address);
    return this.save();
  }

  /** Resolves once the current list is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  /** Changes made while a write is queued ride along with it (50 switches heard at start: one write). */
  private save(): Promise<void> {
    if (this.queued) return this.queued;
    this.queued = this.writing
      .then(() => {
        this.queued = undefined;
        const body: BookFile = { v: 1, names: Object.fromEntries(this.names), removed: [...this.removed] };
        return writeAtomically(this.path, JSON.stringify(body, null, 1));
      })
      .catch((err: unknown) => {
        this.log.error({ err, path: this.path }, 'device list not saved');
      });
    this.writing = this.queued;
    return this.queued;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
