import { firmware } from '@switchfleet/protocol';
import { describe, expect, it } from 'vitest';
import {
  buildSimImage,
  decodeProgram,
  encodeProgram,
  faultOf,
  FaultError,
  formatFault,
  parseFault,
  readSimImage,
  type Fault,
} from '../src/image/index.ts';

const everyFault: { text: string; fault: Fault }[] = [
  { text: 'crash-on-boot', fault: { kind: 'crash-on-boot' } },
  { text: 'self-test-fails', fault: { kind: 'self-test-fails' } },
  { text: 'inverted-relay', fault: { kind: 'inverted-relay' } },
  { text: 'drop-after:30', fault: { kind: 'drop-after', seconds: 30 } },
  { text: 'drop-after:0.5', fault: { kind: 'drop-after', seconds: 0.5 } },
  { text: 'slow-notify', fault: { kind: 'slow-notify', ms: 5000 } },
  { text: 'slow-notify:800', fault: { kind: 'slow-notify', ms: 800 } },
  { text: 'no-notify', fault: { kind: 'no-notify' } },
  { text: 'wrong-battery', fault: { kind: 'wrong-battery', percent: 0 } },
  { text: 'wrong-battery:73', fault: { kind: 'wrong-battery', percent: 73 } },
  { text: 'flaky-relay:20', fault: { kind: 'flaky-relay', percent: 20, after: 8 } },
  { text: 'flaky-relay:2.5:0', fault: { kind: 'flaky-relay', percent: 2.5, after: 0 } },
];

describe('faults', () => {
  for (const { text, fault } of everyFault) {
    it(`parses "${text}" and survives a program round trip`, () => {
      expect(parseFault(text)).toEqual(fault);
      const program = decodeProgram(encodeProgram({ version: '1.2.0', hardwareId: 'sb-bot-r2', faults: [text] }));
      expect(program.faults).toEqual([fault]);
      expect(parseFault(formatFault(fault))).toEqual(fault);
    });
  }

  it('names an unknown fault and lists the known ones', () => {
    const err = (() => {
      try {
        parseFault('explode');
      } catch (e) {
        return e as FaultError;
      }
    })();
    expect(err).toBeInstanceOf(FaultError);
    expect(err?.code).toBe('UNKNOWN_FAULT');
    expect(err?.message).toContain('"explode"');
    expect(err?.message).toContain('drop-after');
  });

  it('refuses missing, malformed and unexpected arguments', () => {
    for (const text of [
      'drop-after',
      'drop-after:',
      'drop-after:-1',
      'slow-notify:fast',
      'wrong-battery:101',
      'no-notify:3',
      'flaky-relay',
      'flaky-relay:0',
      'flaky-relay:101',
      'flaky-relay:20:x',
      'flaky-relay:20:-1',
      'flaky-relay:20:1:2',
    ]) {
      expect(() => parseFault(text), text).toThrow(expect.objectContaining({ code: 'BAD_FAULT_ARGUMENT' }));
    }
  });

  it('refuses the same fault twice in one program', () => {
    expect(() => encodeProgram({ faults: ['slow-notify', 'slow-notify:10'] })).toThrow(
      expect.objectContaining({ code: 'DUPLICATE_FAULT' }),
    );
  });
});

describe('programs', () => {
  it('carries version, hardware and several faults, padded to the requested size', () => {
    const payload = encodeProgram({
      version: '2.0.1',
      hardwareId: 'sb-bot-r2',
      faults: ['inverted-relay', 'drop-after:12'],
      sizeBytes: 256 * 1024,
    });
    expect(payload).toHaveLength(256 * 1024);
    const program = decodeProgram(payload);
    expect(program).toMatchObject({ version: '2.0.1', hardwareId: 'sb-bot-r2', sizeBytes: 256 * 1024 });
    expect(faultOf(program, 'drop-after')?.seconds).toBe(12);
    expect(faultOf(program, 'no-notify')).toBeUndefined();
  });

  it('gives a program without faults an empty list, and the same bytes each time', () => {
    const a = encodeProgram({ version: '1.0.0', sizeBytes: 4096 });
    expect(decodeProgram(a).faults).toEqual([]);
    expect(a.equals(encodeProgram({ version: '1.0.0', sizeBytes: 4096 }))).toBe(true);
  });

  it('refuses a size too small for the descriptor', () => {
    expect(() => encodeProgram({ version: '1.0.0', sizeBytes: 10 })).toThrow(
      expect.objectContaining({ code: 'BAD_SIZE' }),
    );
  });

  it('refuses a payload that is not a program', () => {
    expect(() => decodeProgram(Buffer.from('not a program at all'))).toThrow(
      expect.objectContaining({ code: 'BAD_MAGIC' }),
    );
    const cut = encodeProgram({ version: '1.0.0' });
    expect(() => decodeProgram(cut.subarray(0, cut.length - 1))).toThrow(
      expect.objectContaining({ code: 'TRUNCATED' }),
    );
  });
});

describe('simulated images', () => {
  it('builds a signed 256 KiB image whose program and signature read back', () => {
    const key = firmware.generateSigningKey();
    const buf = buildSimImage({
      version: '1.3.0',
      hardwareId: 'sb-bot-r2',
      privateKeyPem: key.privateKeyPem,
      faults: ['no-notify'],
      sizeBytes: 256 * 1024,
    });
    const verified = firmware.verifyImage(buf, { publicKeyPem: key.publicKeyPem, hardwareId: 'sb-bot-r2' });
    expect(verified.ok).toBe(true);
    const { image, program } = readSimImage(buf);
    expect(image.version).toBe('1.3.0');
    expect(image.payload).toHaveLength(256 * 1024);
    expect(program.faults).toEqual([{ kind: 'no-notify' }]);
  });
});
