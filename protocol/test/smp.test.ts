import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { smp } from '../src/index.ts';

const { decodeSmp, encodeSmp, Group, ImageCmd, ImgMgmtErr, Op, SmpReassembler } = smp;

/** A running confirmed image in slot 0 and a pending one in slot 1, as after an upload and a test write. */
const TWO_SLOTS: smp.ImageSlot[] = [
  {
    slot: 0,
    version: '1.2.0',
    hash: Buffer.alloc(32, 1),
    bootable: true,
    pending: false,
    confirmed: true,
    active: true,
    permanent: false,
  },
  {
    slot: 1,
    version: '1.3.0',
    hash: Buffer.alloc(32, 2),
    bootable: true,
    pending: true,
    confirmed: false,
    active: false,
    permanent: false,
  },
];

describe('SMP frames', () => {
  it('lays out the 8-byte header big endian with the version bits above the op', () => {
    const frame = encodeSmp({ op: Op.write, group: Group.image, id: ImageCmd.upload, seq: 0x42, body: { off: 0 } });
    expect(frame.subarray(0, 8).toString('hex')).toBe(
      `0a00${(frame.length - 8).toString(16).padStart(4, '0')}00014201`,
    );
    const legacy = encodeSmp({ version: 0, op: Op.read, group: 0x1234, id: 7, seq: 1 });
    expect(legacy.subarray(0, 8).toString('hex')).toBe('0000000112340107');
  });

  it('round-trips header fields and a CBOR body with byte strings', () => {
    const body = { off: 300, data: Buffer.from('0102ff', 'hex'), sha: Buffer.alloc(32, 7), upgrade: true };
    const decoded = decodeSmp(encodeSmp({ op: Op.write, group: Group.image, id: ImageCmd.upload, seq: 255, body }));
    expect(decoded).toMatchObject({
      version: 1,
      op: Op.write,
      flags: 0,
      group: Group.image,
      id: ImageCmd.upload,
      seq: 255,
    });
    expect(decoded.body.off).toBe(300);
    expect(Buffer.from(decoded.body.data as Uint8Array).equals(body.data)).toBe(true);
    expect(decoded.body.upgrade).toBe(true);
  });

  it('answers a request with op + 1 and the same group, id, sequence and version', () => {
    const request = decodeSmp(smp.stateReadFrame(9, 0));
    const response = decodeSmp(smp.encodeResponse(request, { images: [] }));
    expect(response).toMatchObject({ op: Op.readRsp, group: Group.image, id: ImageCmd.state, seq: 9, version: 0 });
  });

  it('names short, truncated, overlong and garbled frames', () => {
    const good = smp.uploadFrame({ off: 0, len: 10, data: Buffer.alloc(10) }, 1);
    const code = (buf: Buffer) => {
      try {
        decodeSmp(buf);
        return 'decoded';
      } catch (err) {
        return (err as smp.SmpError).code;
      }
    };
    expect(code(good.subarray(0, 5))).toBe('SHORT_FRAME');
    expect(code(good.subarray(0, good.length - 1))).toBe('TRUNCATED');
    expect(code(Buffer.concat([good, Buffer.from([0])]))).toBe('TRAILING_DATA');
    const badCbor = Buffer.concat([good.subarray(0, 8), Buffer.alloc(good.length - 8, 0xff)]);
    expect(code(badCbor)).toBe('BAD_CBOR');
    const notMap = Buffer.from('0a0000010001010101', 'hex');
    expect(code(notMap)).toBe('BAD_BODY');
    expect(code(Buffer.from('e000000000000000', 'hex'))).toBe('BAD_HEADER');
  });

  it('refuses header values that do not fit their fields', () => {
    expect(() => encodeSmp({ op: 8, group: 0, id: 0, seq: 0 })).toThrow(expect.objectContaining({ code: 'BAD_FIELD' }));
    expect(() => encodeSmp({ op: 0, group: 0, id: 0, seq: 256 })).toThrow(
      expect.objectContaining({ code: 'BAD_FIELD' }),
    );
    expect(() => encodeSmp({ op: 0, group: 0, id: 0, seq: 0, body: { off: 1.5 } })).toThrow(smp.SmpError);
  });
});

describe('reassembly', () => {
  it('rebuilds a frame split over several notifications, and two frames sharing one', () => {
    const a = smp.encodeResponse(decodeSmp(smp.stateReadFrame(1)), smp.stateResponseBody(TWO_SLOTS));
    const b = smp.encodeResponse(decodeSmp(smp.resetFrame(2)), {});
    const stream = Buffer.concat([a, b]);
    const r = new SmpReassembler();
    const frames: Buffer[] = [];
    // 20-byte notifications, as at the default ATT MTU of 23; the header itself is split too.
    for (let at = 0; at < stream.length; at += 20) frames.push(...r.push(stream.subarray(at, at + 20)));
    expect(frames.map((f) => decodeSmp(f).seq)).toEqual([1, 2]);
    expect(frames[0]!.equals(a)).toBe(true);
    expect(r.pending).toBe(0);
  });

  it('holds a partial frame until the rest arrives, and drops it on reset', () => {
    const frame = smp.resetFrame(3, { force: true });
    const r = new SmpReassembler();
    expect(r.push(frame.subarray(0, 9))).toEqual([]);
    expect(r.pending).toBe(9);
    r.reset();
    expect(r.push(frame)).toHaveLength(1);
  });
});

describe('image group bodies', () => {
  it('round-trips a first upload chunk with len, sha and upgrade', () => {
    const sha = createHash('sha256').update('image').digest();
    const req = { off: 0, len: 4096, sha, data: Buffer.alloc(100, 3), upgrade: true };
    const parsed = smp.parseUploadRequest(decodeSmp(smp.uploadFrame(req, 5)).body);
    expect(parsed).toEqual(req);
  });

  it('requires len on the first chunk only', () => {
    expect(() => smp.parseUploadRequest({ off: 0, data: Buffer.alloc(1) })).toThrow(
      expect.objectContaining({ code: 'BAD_BODY' }),
    );
    expect(smp.parseUploadRequest({ off: 10, data: Buffer.alloc(1) })).toEqual({ off: 10, data: Buffer.alloc(1) });
  });

  it('reads an upload response and a version 2 group error', () => {
    expect(smp.parseUploadResponse({ off: 512 })).toEqual({ ok: true, value: { off: 512 } });
    const refused = smp.parseUploadResponse(
      smp.errorBody({ group: Group.image, rc: ImgMgmtErr.CURRENT_VERSION_IS_NEWER }, 1),
    );
    expect(refused.ok).toBe(false);
    if (!refused.ok) {
      expect(refused.error).toMatchObject({
        group: Group.image,
        rc: 27,
        name: 'IMG_MGMT_ERR_CURRENT_VERSION_IS_NEWER',
      });
      expect(smp.refusalCode(refused.error)).toBe('DOWNGRADE');
    }
  });

  it('translates a group error to a legacy rc for a version 0 client', () => {
    const body = smp.errorBody({ group: Group.image, rc: ImgMgmtErr.INVALID_HASH }, 0);
    expect(smp.readError(body)).toMatchObject({ group: null, rc: smp.MgmtErr.EINVAL, name: 'MGMT_ERR_EINVAL' });
  });

  it('carries the verify code of a refused image in rsn', () => {
    const refusal = smp.imageRefusal('BAD_SIGNATURE', 'signature does not verify');
    const error = smp.readError(smp.errorBody(refusal, 1))!;
    expect(error.name).toBe('IMG_MGMT_ERR_INVALID_TLV');
    expect(smp.refusalCode(error)).toBe('BAD_SIGNATURE');
  });

  it('round-trips image state, reading absent flags as false', () => {
    const slots = TWO_SLOTS;
    const body = smp.stateResponseBody(slots);
    expect(Object.keys((body.images as object[])[1]!)).not.toContain('confirmed');
    const parsed = smp.parseStateResponse(decodeSmp(smp.encodeResponse(decodeSmp(smp.stateReadFrame(1)), body)).body);
    expect(parsed).toEqual({ ok: true, value: slots });
  });

  it('round-trips state writes for test and for confirm', () => {
    const hash = Buffer.alloc(32, 9);
    expect(smp.parseStateWrite(decodeSmp(smp.stateWriteFrame({ hash, confirm: false }, 1)).body)).toEqual({
      hash,
      confirm: false,
    });
    expect(smp.parseStateWrite(decodeSmp(smp.stateWriteFrame({ confirm: true }, 2)).body)).toEqual({ confirm: true });
    expect(() => smp.parseStateWrite({ confirm: false })).toThrow(expect.objectContaining({ code: 'BAD_BODY' }));
  });

  it('encodes a reset request in the OS group', () => {
    const frame = decodeSmp(smp.resetFrame(4, { force: true }));
    expect(frame).toMatchObject({ op: Op.write, group: Group.os, id: smp.OsCmd.reset });
    expect(smp.parseReset(frame.body)).toEqual({ force: true });
  });
});

describe('upload chunk sizing', () => {
  const cases = [
    { packet: 30, off: 100 },
    { packet: 100, off: 0 },
    { packet: 384, off: 0 },
    { packet: 384, off: 70_000 },
    { packet: 2040, off: 300 },
    { packet: 2048, off: 1 << 24 },
  ];
  for (const { packet, off } of cases) {
    it(`fills but never overflows a packet of ${packet} bytes at offset ${off}`, () => {
      const fields = off === 0 ? { off, len: 262_144, sha: Buffer.alloc(32), upgrade: true } : { off };
      const n = smp.maxUploadChunk(packet, fields);
      const frame = smp.uploadFrame({ ...fields, data: Buffer.alloc(n) }, 0);
      expect(frame.length).toBeLessThanOrEqual(packet);
      const oneMore = smp.uploadFrame({ ...fields, data: Buffer.alloc(n + 1) }, 0);
      expect(oneMore.length).toBeGreaterThan(packet);
    });
  }

  it('says so when a packet leaves no room for data', () => {
    expect(() => smp.maxUploadChunk(20, { off: 100 })).toThrow(expect.objectContaining({ code: 'PACKET_TOO_SMALL' }));
  });

  it.each([
    [23, 2048, 2040],
    [23, undefined, 380],
    [247, 2048, 1952],
    [517, 2048, 1542],
    [517, 384, 384],
    [185, 182, 182],
  ])('packs whole writes of an ATT MTU of %i into a buffer of %s bytes: %i', (mtu, buffer, packet) => {
    expect(smp.uploadPacketSize(mtu, buffer)).toBe(packet);
  });

  it('refuses an ATT MTU that carries no data', () => {
    expect(() => smp.uploadPacketSize(3, 2048)).toThrow(expect.objectContaining({ code: 'MTU_TOO_SMALL' }));
  });

  it('reads the MCUmgr parameters a device states', () => {
    const frame = smp.decodeSmp(smp.paramsReadFrame(9));
    expect(frame).toMatchObject({ op: smp.Op.read, group: smp.Group.os, id: smp.OsCmd.mcumgrParams, seq: 9 });
    expect(smp.parseParamsResponse({ buf_size: 2475, buf_count: 4 })).toEqual({
      ok: true,
      value: { bufSize: 2475, bufCount: 4 },
    });
    expect(smp.parseParamsResponse({ rc: smp.MgmtErr.ENOTSUP })).toMatchObject({
      ok: false,
      error: { rc: smp.MgmtErr.ENOTSUP },
    });
    expect(() => smp.parseParamsResponse({ buf_size: 'big', buf_count: 4 })).toThrow(
      expect.objectContaining({ code: 'BAD_BODY' }),
    );
  });
});
