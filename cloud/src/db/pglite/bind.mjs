// Bind, Describe (portal), Execute and Sync of a prepared statement, written straight into one buffer
// (PostgreSQL docs, 55.7 "Message Formats"). PGlite's serializer writes each value through a DataView
// that it copies whenever it grows and once more to finish, and the four messages were then joined
// into a fifth copy. For an ingest batch of 700 reports (about 50 kB of array literals) that was about
// 1 ms of the statement's 11 to 18 ms, measured side by side. Parameters go as PGlite's serializer
// sends them: text (format 0), or binary (format 1) for a byte view; null as length -1.

/** Describe the unnamed portal ('D', length 6, 'P', ""), Execute it for all rows ('E', length 9, "", 0), Sync ('S', length 4). */
const TAIL = Uint8Array.of(0x44, 0, 0, 0, 6, 0x50, 0, 0x45, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0x53, 0, 0, 0, 4);

/**
 * @param {string} statement the prepared statement's name
 * @param {(string | Uint8Array | null)[]} values
 * @returns {Buffer}
 */
export function bindExecuteSync(statement, values) {
  const n = values.length;
  const lengths = new Array(n);
  let size = 1 + 4 + 1 + Buffer.byteLength(statement) + 1 + 2 + 2 * n + 2 + 2;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const length = v === null ? -1 : typeof v === 'string' ? Buffer.byteLength(v) : v.byteLength;
    lengths[i] = length;
    size += 4 + Math.max(length, 0);
  }
  // Not from Buffer's shared pool: PGlite is handed a view, and a pooled one shares its memory.
  const out = Buffer.allocUnsafeSlow(size + TAIL.length);
  let at = 0;
  out[at++] = 0x42; // 'B'
  at = out.writeInt32BE(size - 1, at);
  out[at++] = 0; // the unnamed portal
  at += out.write(statement, at, 'utf8');
  out[at++] = 0;
  at = out.writeInt16BE(n, at);
  for (let i = 0; i < n; i++) at = out.writeInt16BE(typeof values[i] === 'string' || values[i] === null ? 0 : 1, at);
  at = out.writeInt16BE(n, at);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    at = out.writeInt32BE(lengths[i], at);
    if (v === null) continue;
    if (typeof v === 'string') at += out.write(v, at, 'utf8');
    else {
      out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), at);
      at += v.byteLength;
    }
  }
  at = out.writeInt16BE(0, at); // results in text
  out.set(TAIL, at);
  return out;
}
