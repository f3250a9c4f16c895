/**
 * Update jobs this gateway took, kept on disk so that a job survives a restart (it runs again, and
 * its upload resumes from the offset the switch holds) and a redelivered job id is answered, not
 * run twice. One small JSON file, replaced atomically (write, then rename); at most `remember`
 * finished jobs are kept.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { UpdateJob, UpdateResult } from '@switchfleet/protocol';

export interface OpenJob {
  address: string;
  job: UpdateJob;
}

export interface DoneJob {
  address: string;
  result: UpdateResult;
}

interface Saved {
  open: Record<string, OpenJob>;
  done: Record<string, DoneJob>;
}

export class JobStore {
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string,
    private readonly saved: Saved,
    private readonly remember: number,
  ) {}

  static async open(file: string, remember: number): Promise<JobStore> {
    await mkdir(dirname(file), { recursive: true });
    let saved: Saved = { open: {}, done: {} };
    try {
      const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Saved>;
      saved = { open: parsed.open ?? {}, done: parsed.done ?? {} };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    return new JobStore(file, saved, remember);
  }

  openJobs(): OpenJob[] {
    return Object.values(this.saved.open);
  }

  isOpen(jobId: string): boolean {
    return jobId in this.saved.open;
  }

  doneJob(jobId: string): DoneJob | undefined {
    return this.saved.done[jobId];
  }

  /** Records a job as taken; resolves once that is on disk (then it may be acknowledged). */
  take(address: string, job: UpdateJob): Promise<void> {
    this.saved.open[job.jobId] = { address, job };
    return this.save();
  }

  finish(address: string, result: UpdateResult): Promise<void> {
    delete this.saved.open[result.jobId];
    this.saved.done[result.jobId] = { address, result };
    const ids = Object.keys(this.saved.done);
    for (const id of ids.slice(0, Math.max(0, ids.length - this.remember))) delete this.saved.done[id];
    return this.save();
  }

  private save(): Promise<void> {
    const body = JSON.stringify(this.saved);
    this.writing = this.writing.then(async () => {
      await writeFile(`${this.file}.tmp`, body);
      await rename(`${this.file}.tmp`, this.file);
    });
    return this.writing;
  }
}
