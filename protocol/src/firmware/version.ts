/**
 * Image versions as MCUboot stores them (docs/design.md, struct image_version): iv_major u8,
 * iv_minor u8, iv_revision u16, iv_build_num u32. Written as "major.minor.revision+build", the form
 * imgtool accepts; "+build" is omitted when the build number is 0.
 */
import { ImageError } from './errors.ts';

export interface ImageVersion {
  major: number;
  minor: number;
  revision: number;
  build: number;
}

const VERSION_RE = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\+(\d+))?$/;
const LIMITS = { major: 0xff, minor: 0xff, revision: 0xffff, build: 0xffff_ffff } as const;

/** "1.2.0", "1.2.0+7", and like imgtool "1.2" or "1" with the missing parts 0. */
export function parseVersion(text: string): ImageVersion {
  const m = VERSION_RE.exec(text.trim());
  if (!m) throw new ImageError('BAD_VERSION', `version "${text}" is not major.minor.revision[+build]`);
  const v: ImageVersion = {
    major: Number(m[1]),
    minor: Number(m[2] ?? 0),
    revision: Number(m[3] ?? 0),
    build: Number(m[4] ?? 0),
  };
  for (const field of Object.keys(LIMITS) as (keyof ImageVersion)[]) {
    if (v[field] > LIMITS[field]) {
      throw new ImageError('BAD_VERSION', `version "${text}": ${field} ${v[field]} exceeds ${LIMITS[field]}`);
    }
  }
  return v;
}

export function formatVersion(v: ImageVersion): string {
  const base = `${v.major}.${v.minor}.${v.revision}`;
  return v.build === 0 ? base : `${base}+${v.build}`;
}

/**
 * Orders two versions by major, minor, revision, then build number (MCUboot's comparison with
 * MCUBOOT_VERSION_CMP_USE_BUILD_NUMBER). Returns -1, 0 or 1 like a sort comparator.
 */
export function compareVersions(a: string | ImageVersion, b: string | ImageVersion): -1 | 0 | 1 {
  const x = typeof a === 'string' ? parseVersion(a) : a;
  const y = typeof b === 'string' ? parseVersion(b) : b;
  for (const field of ['major', 'minor', 'revision', 'build'] as const) {
    if (x[field] !== y[field]) return x[field] < y[field] ? -1 : 1;
  }
  return 0;
}

/**
 * The default security counter of a version: major, minor and revision packed into 32 bits
 * (8 + 8 + 16), so it grows with every release that grows the version.
 */
export function securityCounterOf(v: ImageVersion): number {
  return ((v.major << 24) >>> 0) + (v.minor << 16) + v.revision;
}
