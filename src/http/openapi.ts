import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AUTH_ALGORITHMS, AuthConfig } from '../config/configuration';
import { BEARER_SCHEME } from '../auth/auth.decorators';

export const DOCS_PATH = 'docs';

/** OpenAPI document and UI from the controllers' DTOs; served outside the guard, so public by construction. */
export function setupOpenApi(app: INestApplication, auth: AuthConfig): void {
  const config = new DocumentBuilder()
    .setTitle('billing-service')
    .setDescription('Invoices created from order.completed events. Every route but /health, /metrics and /docs needs a bearer JWT.')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: bearerDescription(auth) }, BEARER_SCHEME)
    .build();
  SwaggerModule.setup(DOCS_PATH, app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: `${DOCS_PATH}/json` });
}

/** What this deployment verifies, so a client reads the mode, the claims and the admin role it must present. */
function bearerDescription(auth: AuthConfig): string {
  const provider = auth.identityProvider;
  const signature = provider
    ? `signed by the identity provider ${provider.issuer} (${AUTH_ALGORITHMS.identityProvider.join(', ')}, keys from its JWKS), iss = ${provider.issuer}, aud containing ${provider.audience}`
    : `${AUTH_ALGORITHMS.local.join(', ')} signed with the shared secret (AUTH_JWT_SECRET)`;
  const { tenantClaim, rolesClaim, adminRole } = auth.claims;
  return [
    `A JWT ${signature}.`,
    `exp is required; exp and nbf are checked with ${auth.clockSkewSeconds} s of clock skew.`,
    `The tenant is read from the claim "${tenantClaim}", the roles from "${rolesClaim}"; admin routes need the role "${adminRole}".`,
    'Missing, malformed, wrongly signed or expired token: 401; a token without the admin role on an admin route: 403 (audited).',
  ].join(' ');
}
