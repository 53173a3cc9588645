import { performance } from 'node:perf_hooks';
import { createLocalJWKSet, errors, JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { Logger } from 'pino';
import { IdentityProviderConfig, isAllowedProviderUrl } from '../config/configuration';
import { BillingMetrics } from '../observability/billing-metrics';
import { SigningKeysUnavailableError } from './auth.errors';

/** A discovery document or key set larger than this is refused rather than buffered. */
const MAX_DOCUMENT_BYTES = 1024 * 1024;

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * The identity provider's public keys. Verifying reads the set in memory; the network is touched by a background
 * refresh, and by a token whose kid the set lacks at most once per cooldown (a flood of made-up kids costs one
 * fetch per cooldown, and concurrent requests share the fetch in flight). A failed fetch keeps the last good set.
 * jose's createRemoteJWKSet is not used: once its cache is stale it fetches on the request path, fails verification
 * while the provider is down, and retries a failed fetch on every request.
 */
export class ProviderKeys {
  private keys?: LocalKeySet;
  private jwksUrl?: string;
  private lastFetchStartedAt = Number.NEGATIVE_INFINITY;
  private inFlight?: Promise<void>;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly config: IdentityProviderConfig,
    private readonly logger: Logger,
    private readonly metrics?: BillingMetrics,
  ) {
    this.jwksUrl = config.jwksUrl;
  }

  /** Loads the keys once (a provider that is down does not stop the boot) and refreshes them in the background. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.config.refreshIntervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** jose's key lookup for jwtVerify. */
  readonly resolve: JWTVerifyGetKey = async (header, token) => {
    if (!this.keys) await this.refreshUnlessCoolingDown();
    if (!this.keys) throw new SigningKeysUnavailableError('the identity provider has not served its signing keys yet; try again later');
    try {
      return await this.keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      // A rotated key: the provider publishes it before signing with it, so one fetch finds it.
      if (!(await this.refreshUnlessCoolingDown())) throw error;
      return this.keys(header, token);
    }
  };

  /** True when a fetch ran (or was already running) for this caller. */
  private async refreshUnlessCoolingDown(): Promise<boolean> {
    if (!this.inFlight && performance.now() - this.lastFetchStartedAt < this.config.cooldownMs) return false;
    await this.refresh();
    return true;
  }

  private refresh(): Promise<void> {
    this.inFlight ??= this.fetchKeys().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async fetchKeys(): Promise<void> {
    this.lastFetchStartedAt = performance.now();
    try {
      const jwksUrl = this.jwksUrl ?? (await this.discoverJwksUrl());
      this.jwksUrl = jwksUrl;
      const document = (await this.fetchJson(jwksUrl)) as JSONWebKeySet;
      const keys = createLocalJWKSet(document);
      if (document.keys.length === 0) throw new Error('the key set is empty');
      // A provider that publishes secrets is broken or not the provider: nothing it sends is trusted.
      if (document.keys.some((key) => 'd' in key || 'k' in key)) throw new Error('the key set holds private or symmetric key material');
      this.keys = keys;
      this.metrics?.jwksFetches.inc({ outcome: 'loaded' });
      this.metrics?.jwksLastSuccess.set(Date.now() / 1000);
      this.logger.info({ jwks_url: jwksUrl, kids: document.keys.map((key) => key.kid ?? null) }, 'identity provider keys loaded');
    } catch (error) {
      const keptKeys = this.keys !== undefined;
      this.metrics?.jwksFetches.inc({ outcome: 'failed' });
      this.logger.warn(
        { error: (error as Error).message, jwks_url: this.jwksUrl ?? null, kept_previous_keys: keptKeys },
        'identity provider keys could not be fetched',
      );
    }
  }

  /** OIDC Discovery 1.0: the document must name the configured issuer exactly, and point to a key set we may fetch. */
  private async discoverJwksUrl(): Promise<string> {
    const url = `${this.config.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const document = (await this.fetchJson(url)) as { issuer?: unknown; jwks_uri?: unknown };
    if (document.issuer !== this.config.issuer) throw new Error(`${url} names the issuer ${JSON.stringify(document.issuer)}, not AUTH_ISSUER`);
    const jwksUri = document.jwks_uri;
    if (typeof jwksUri !== 'string' || !isAllowedProviderUrl(jwksUri, this.config.allowPlainHttp))
      throw new Error(`${url} has no usable jwks_uri (an https:// URL): ${JSON.stringify(jwksUri)}`);
    return jwksUri;
  }

  /** One GET, bounded in time (connect, headers and body) and in size; redirects are refused, not followed. */
  private async fetchJson(url: string): Promise<unknown> {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(this.config.timeoutMs),
      redirect: 'error',
      headers: { accept: 'application/json, application/jwk-set+json' },
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`${url} answered HTTP ${response.status}`);
    }
    return JSON.parse(await boundedText(response, url));
  }
}

async function boundedText(response: Response, url: string): Promise<string> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of (response.body ?? []) as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    // Leaving the loop by throwing cancels the stream.
    if (size > MAX_DOCUMENT_BYTES) throw new Error(`${url} sent more than ${MAX_DOCUMENT_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
