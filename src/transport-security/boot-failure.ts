import { BillingError } from '../common/errors';
/** A setting that cannot work (wrong credentials, an untrusted certificate): the boot stops with one line naming it. */
export class BootFailure extends BillingError {
  readonly code = 'boot.transport_security';

  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
    this.name = 'BootFailure';
  }
}

/** Node's codes for a certificate that does not verify (tls.TLSSocket#authorizationError and the errors it raises). */
const UNTRUSTED_CERTIFICATE = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
]);
export const HOST_MISMATCH = 'ERR_TLS_CERT_ALTNAME_INVALID';

export type CertificateProblem = 'untrusted' | 'host_mismatch';

type ErrorChain = { name?: unknown; code?: unknown; cause?: unknown; originalError?: unknown } | undefined;

/** An error and what it wraps (kafkajs keeps the wrapped error in `cause` or `originalError`). */
function* chainOf(error: unknown): Generator<NonNullable<ErrorChain>> {
  for (let link = error as ErrorChain, depth = 0; link && depth < 10; link = (link.cause ?? link.originalError) as ErrorChain, depth++) yield link;
}

/** Walks an error and its causes for a certificate verification failure. */
export function certificateProblem(error: unknown): { kind: CertificateProblem; code: string } | undefined {
  for (const { code } of chainOf(error)) {
    if (typeof code !== 'string') continue;
    if (code === HOST_MISMATCH) return { kind: 'host_mismatch', code };
    if (UNTRUSTED_CERTIFICATE.has(code)) return { kind: 'untrusted', code };
  }
  return undefined;
}

/** A refused SASL login or a certificate that does not verify, however deep kafkajs wrapped it. */
export function isTransportSecurityFailure(error: unknown): boolean {
  return [...chainOf(error)].some((link) => link.name === 'KafkaJSSASLAuthenticationError') || certificateProblem(error) !== undefined;
}
