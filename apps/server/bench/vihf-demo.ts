/**
 * What the in-process SOAP micro-benchmarks (bench/vihf-verify.ts, bench/iti41-parts.ts) share: the demo structure's
 * certificate registered for `structure` (as a certificate look-up that needs no database), a VIHF of `subject`
 * signed with its key, valid from a minute ago for an hour, and the process's CPU time since a mark.
 */
import { randomUUID } from 'node:crypto';
import { demoVihfKey } from '../src/http/auth/dev-vihf.ts';
import {
  buildAssertion,
  certificateFingerprint,
  certificateSubject,
  signAssertion,
  type RegisteredCertificate,
  type VihfSubject,
} from '../src/xds/vihf.ts';

export function demoVihf(subject: VihfSubject): {
  readonly assertion: string;
  readonly lookup: { byStructure: () => Promise<RegisteredCertificate[]> };
  readonly now: Date;
} {
  const key = demoVihfKey();
  const certificate: RegisteredCertificate = {
    id: randomUUID(),
    structure: subject.structure,
    fingerprint: certificateFingerprint(key.certificatePem),
    pem: key.certificatePem,
    notBefore: new Date(0),
    notAfter: new Date(8.64e15),
    revokedAt: null,
  };
  const now = new Date();
  const assertion = signAssertion(
    buildAssertion(
      subject,
      certificateSubject(key.certificatePem),
      `_${randomUUID()}`,
      new Date(now.getTime() - 60_000),
      new Date(now.getTime() + 3_600_000),
    ),
    key,
  );
  return { assertion, lookup: { byStructure: () => Promise.resolve([certificate]) }, now };
}

/** Process CPU (user + system) in milliseconds since `start`. */
export function cpuMs(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}
