/**
 * Entity tags and If-Match (RFC 9110 §8.8.3, §13.1.1). The shadow's version is its strong entity tag,
 * `"<version>"`. If-Match is `*` (any current representation) or a list of entity tags compared with
 * the strong comparison (§8.8.3.2): a weak tag never matches, nor does a tag of another form.
 */

/** etagc: %x21 / %x23-7E / obs-text (%x80-FF; Node reads header bytes as Latin-1). */
const OPAQUE = '"[\\x21\\x23-\\x7E\\x80-\\xFF]*"';
const TAG = `(?:W/)?${OPAQUE}`;
/** The If-Match field's syntax, `"*" / #entity-tag` with optional whitespace around list commas. */
export const IF_MATCH_PATTERN = `^[ \\t]*(?:\\*|${TAG}(?:[ \\t]*,[ \\t]*${TAG})*)[ \\t]*$`;

export function versionTag(version: number): string {
  return `"${version}"`;
}

/**
 * The versions an If-Match field accepts: undefined when any will do (no field, or `*` on a resource
 * that exists), else the versions of its strong tags, possibly none (then nothing matches: 412).
 */
export function ifMatchVersions(field: string | undefined): number[] | undefined {
  if (field === undefined || field.trim() === '*') return undefined;
  const versions: number[] = [];
  for (const m of field.matchAll(/(W\/)?"([^"]*)"/g)) {
    if (m[1] === undefined && /^(0|[1-9][0-9]{0,9})$/.test(m[2] ?? '')) versions.push(Number(m[2]));
  }
  return versions.filter((v) => v <= 2_147_483_647);
}
