/**
 * Firmware releases: upload (checked, then stored content-addressed), reading, the state changes an
 * operator may make, and the gate. No method here can make a release `passed`: only a suite run's
 * own result does (tester.ts, through the queue).
 */
import { firmware } from '@switchfleet/protocol';
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../db/database.ts';
import { violatedUniqueKey } from '../db/constraint-errors.ts';
import { releaseImages, releaseReports, releases, type ReleaseState } from '../db/schema.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';
import { isUuid } from '../ids.ts';
import {
  DuplicateReleaseError,
  ImageDefectError,
  RangeNotSatisfiableError,
  ReleaseNotPassedError,
  ReleaseRevokedError,
  ReleaseStateError,
} from './errors.ts';
import type { SigningKeyService } from './keys.ts';
import type { SuiteCaseResult } from './suite-port.ts';
import { checkImage } from './validate.ts';

export interface Release {
  id: string;
  version: string;
  hardwareId: string;
  sha256: string;
  size: number;
  state: ReleaseState;
  /** Why the last test run failed; null unless failed. */
  reason: string | null;
  keyId: string;
  notes: string | null;
  createdAt: Date;
  createdBy: string | null;
}

export interface ReleaseReport {
  releaseId: string;
  /** The image the suite ran on. */
  sha256: string;
  suiteVersion: string;
  outcome: 'passed' | 'failed';
  cases: SuiteCaseResult[];
  createdAt: Date;
}

export interface ReleaseSettings {
  hardwareModels: readonly string[];
  maxImageBytes: number;
}

const MAX_NOTES = 4000;
const SHA256_HEX = /^[0-9a-f]{64}$/;

const columns = {
  id: releases.id,
  version: releases.version,
  hardwareId: releases.hardwareId,
  sha256: releases.sha256,
  size: releases.size,
  state: releases.state,
  reason: releases.reason,
  keyId: releases.keyId,
  notes: releases.notes,
  createdAt: releases.createdAt,
  createdBy: releases.createdBy,
};

export class ReleaseService {
  constructor(
    private readonly db: Db,
    private readonly keys: SigningKeyService,
    private readonly settings: ReleaseSettings,
    /** Called once a release waits for its tests (upload, retest), so this instance starts at once. */
    private readonly onQueued: () => void = () => {},
  ) {}

  /**
   * Checks the image and stores it as a release in `testing`. Typed errors: TOO_LARGE, an
   * ImageDefectError (MALFORMED, BAD_HASH, BAD_SIGNATURE, UNKNOWN_KEY, UNKNOWN_HARDWARE, DOWNGRADE),
   * DUPLICATE naming the release the image already is. On any error nothing is stored.
   */
  async upload(bytes: Buffer, options: { notes?: string; actor?: string } = {}): Promise<Release> {
    const notes = options.notes?.trim() || null;
    if (notes !== null && notes.length > MAX_NOTES) {
      throw new InvalidInputError('notes', `notes have at most ${MAX_NOTES} characters`);
    }
    const trusted = await this.keys.trusted();
    const image = checkImage(bytes, {
      trustedKeys: trusted.map((k) => k.publicKeyPem),
      hardwareModels: this.settings.hardwareModels,
      maxBytes: this.settings.maxImageBytes,
    });
    let created: Release;
    try {
      created = await this.db.transaction(async (tx) => {
        // Two uploads for one model at once must not both pass the newer-version check.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`sf-release:${image.hardwareId}`}))`);
        const [same] = await tx.select({ id: releases.id }).from(releases).where(eq(releases.sha256, image.sha256));
        if (same) throw new DuplicateReleaseError(same.id);
        const older = await tx
          .select({ version: releases.version })
          .from(releases)
          .where(eq(releases.hardwareId, image.hardwareId));
        const newest = older
          .map((r) => r.version)
          .sort(firmware.compareVersions)
          .at(-1);
        if (newest !== undefined && firmware.compareVersions(image.version, newest) <= 0) {
          throw new ImageDefectError(
            'DOWNGRADE',
            `version ${image.version} is not newer than ${newest}, already a release for ${image.hardwareId}`,
          );
        }
        await tx.insert(releaseImages).values({ sha256: image.sha256, bytes, size: image.size }).onConflictDoNothing();
        const [row] = await tx
          .insert(releases)
          .values({ ...image, notes, createdBy: options.actor ?? null })
          .returning(columns);
        return row!;
      });
    } catch (e) {
      if (violatedUniqueKey(e) !== undefined) {
        const [same] = await this.db
          .select({ id: releases.id })
          .from(releases)
          .where(eq(releases.sha256, image.sha256));
        if (same) throw new DuplicateReleaseError(same.id);
      }
      throw e;
    }
    this.onQueued();
    return created;
  }

  async get(id: string): Promise<Release> {
    if (!isUuid(id)) throw new NotFoundError('release');
    const [row] = await this.db.select(columns).from(releases).where(eq(releases.id, id));
    if (!row) throw new NotFoundError('release');
    return row;
  }

  /** The largest image an upload may have (the setting), for a transport to refuse more before reading it. */
  get maxImageBytes(): number {
    return this.settings.maxImageBytes;
  }

  /** Newest first, at most `limit` (default all); optionally one hardware model's, or one state's. */
  async list(filter: { hardwareId?: string; state?: ReleaseState; limit?: number } = {}): Promise<Release[]> {
    const where: SQL[] = [];
    if (filter.hardwareId !== undefined) where.push(eq(releases.hardwareId, filter.hardwareId));
    if (filter.state !== undefined) where.push(eq(releases.state, filter.state));
    const query = this.db
      .select(columns)
      .from(releases)
      .where(and(...where))
      .orderBy(desc(releases.createdAt), desc(releases.id));
    return filter.limit === undefined ? query : query.limit(filter.limit);
  }

  /** The latest suite report of a release; NotFoundError while none has finished. */
  async report(releaseId: string): Promise<ReleaseReport> {
    const release = await this.get(releaseId);
    const [row] = await this.db
      .select()
      .from(releaseReports)
      .where(eq(releaseReports.releaseId, release.id))
      .orderBy(desc(releaseReports.createdAt))
      .limit(1);
    if (!row) throw new NotFoundError('report');
    return {
      releaseId: row.releaseId,
      sha256: row.sha256,
      suiteVersion: row.suiteVersion,
      outcome: row.outcome,
      cases: row.cases as SuiteCaseResult[],
      createdAt: row.createdAt,
    };
  }

  /** Only a passed release can be revoked (a failed or untested one cannot ship anyway). */
  async revoke(releaseId: string): Promise<Release> {
    const release = await this.get(releaseId);
    const [row] = await this.db
      .update(releases)
      .set({ state: 'revoked', revokedAt: new Date() })
      .where(and(eq(releases.id, release.id), eq(releases.state, 'passed')))
      .returning(columns);
    if (!row) throw new ReleaseStateError(release.id, release.state, 'only a passed release can be revoked');
    return row;
  }

  /** Queues a failed release to be tested again. */
  async retest(releaseId: string): Promise<Release> {
    const release = await this.get(releaseId);
    const [row] = await this.db
      .update(releases)
      .set({ state: 'testing', reason: null, leaseOwner: null, leaseUntil: null })
      .where(and(eq(releases.id, release.id), eq(releases.state, 'failed')))
      .returning(columns);
    if (!row) throw new ReleaseStateError(release.id, release.state, 'only a failed release can be tested again');
    this.onQueued();
    return row;
  }

  /**
   * The image's bytes from `offset` (default 0), at most `length` of them (default to the end).
   * NotFoundError for an unknown sha256; RANGE_NOT_SATISFIABLE when offset is at or past the end.
   */
  async readImage(sha256: string, range: { offset?: number; length?: number } = {}) {
    if (!SHA256_HEX.test(sha256)) throw new NotFoundError('image');
    const offset = range.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0) throw new InvalidInputError('range', 'offset must be ≥ 0');
    const [meta] = await this.db
      .select({ size: releaseImages.size })
      .from(releaseImages)
      .where(eq(releaseImages.sha256, sha256));
    if (!meta) throw new NotFoundError('image');
    if (offset >= meta.size) throw new RangeNotSatisfiableError(meta.size);
    const length = Math.min(range.length ?? meta.size - offset, meta.size - offset);
    if (!Number.isSafeInteger(length) || length <= 0) throw new InvalidInputError('range', 'length must be > 0');
    // substring on bytea counts from 1; only the asked part leaves the database.
    const [row] = await this.db
      .select({
        part: sql`substring(${releaseImages.bytes} from ${offset + 1} for ${length})`.mapWith(releaseImages.bytes),
      })
      .from(releaseImages)
      .where(eq(releaseImages.sha256, sha256));
    return { size: meta.size, offset, bytes: row!.part as Buffer };
  }

  /**
   * The gate, before any byte of an image goes towards a switch: a release (by id or by its image's
   * sha256) passes only when it is `passed`, not revoked, and a passing report exists for exactly
   * its image. RELEASE_REVOKED or RELEASE_NOT_PASSED otherwise.
   */
  async assertShippable(ref: string): Promise<Release> {
    const byHash = SHA256_HEX.test(ref);
    if (!byHash && !isUuid(ref)) throw new NotFoundError('release');
    const [release] = await this.db
      .select(columns)
      .from(releases)
      .where(byHash ? eq(releases.sha256, ref) : eq(releases.id, ref));
    if (!release) throw new NotFoundError('release');
    if (release.state === 'revoked') throw new ReleaseRevokedError(release.id);
    if (release.state !== 'passed') throw new ReleaseNotPassedError(release.id, release.state);
    const [passing] = await this.db
      .select({ id: releaseReports.id })
      .from(releaseReports)
      .where(
        and(
          eq(releaseReports.releaseId, release.id),
          eq(releaseReports.sha256, release.sha256),
          eq(releaseReports.outcome, 'passed'),
        ),
      )
      .limit(1);
    if (!passing) throw new ReleaseNotPassedError(release.id, 'without a passing report for its image');
    return release;
  }
}
