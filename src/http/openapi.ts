import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export const DOCS_PATH = 'docs';

/** OpenAPI document and UI from the controllers' DTOs; served outside the guard, so public by construction. */
export function setupOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('billing-service')
    .setDescription('Invoices created from order.completed events. Bearer JWT (HS256) with tenant_id and roles claims.')
    .addBearerAuth()
    .build();
  SwaggerModule.setup(DOCS_PATH, app, () => SwaggerModule.createDocument(app, config), { jsonDocumentUrl: `${DOCS_PATH}/json` });
}
