import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { errors, jwtVerify, JWTVerifyOptions } from 'jose';
import { Logger } from 'pino';
import { AUTH_ALGORITHMS, AuthConfig } from '../config/configuration';
import { BillingError } from '../common/errors';
import { BillingMetrics } from '../observability/billing-metrics';
import { ROOT_LOGGER } from '../observability/root-logger';
import { ExpiredTokenError, InvalidTokenError } from './auth.errors';
import { principalFromClaims } from './claim-mapping';
import { Principal } from './principal';
import { ProviderKeys } from './provider-keys';

/**
 * Verifies a bearer token in the configured mode: HS256 with the shared secret, or the identity provider's keys.
 * The allowed algorithms are pinned per mode, which is what refuses "alg: none", HMAC in identity-provider mode and
 * the public key used as an HMAC secret (algorithm confusion).
 */
@Injectable()
export class TokenVerifier implements OnModuleInit, OnModuleDestroy {
  private readonly providerKeys?: ProviderKeys;
  private readonly secret: Uint8Array;
  private readonly options: JWTVerifyOptions;

  constructor(
    private readonly config: AuthConfig,
    @Inject(ROOT_LOGGER) root: Logger,
    metrics: BillingMetrics,
  ) {
    const provider = config.identityProvider;
    this.secret = new TextEncoder().encode(config.jwtSecret);
    this.providerKeys = provider && new ProviderKeys(provider, root.child({ context: 'IdentityProviderKeys' }), metrics);
    this.options = {
      algorithms: [...(provider ? AUTH_ALGORITHMS.identityProvider : AUTH_ALGORITHMS.local)],
      clockTolerance: config.clockSkewSeconds,
      requiredClaims: ['exp'],
      ...(provider && { issuer: provider.issuer, audience: provider.audience }),
    };
  }

  async onModuleInit(): Promise<void> {
    await this.providerKeys?.start();
  }

  onModuleDestroy(): void {
    this.providerKeys?.stop();
  }

  async verify(token: string): Promise<Principal> {
    try {
      const { payload } = this.providerKeys
        ? await jwtVerify(token, this.providerKeys.resolve, this.options)
        : await jwtVerify(token, this.secret, this.options);
      return principalFromClaims(payload, this.config.claims);
    } catch (error) {
      throw asAuthError(error);
    }
  }
}

function asAuthError(error: unknown): BillingError {
  if (error instanceof BillingError) return error;
  if (error instanceof errors.JWTExpired) return new ExpiredTokenError('token expired');
  if (error instanceof errors.JWKSNoMatchingKey) return new InvalidTokenError('invalid token: no signing key of the identity provider matches its kid and alg');
  // Whatever else a hostile token makes jose throw, it is the token's fault, never a 5xx.
  return new InvalidTokenError(`invalid token: ${(error as Error).message}`);
}
