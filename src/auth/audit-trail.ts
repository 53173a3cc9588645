import { performance } from 'node:perf_hooks';
import { HttpException, Inject, Injectable } from '@nestjs/common';
import { Logger } from 'pino';
import { BillingError } from '../common/errors';
import { TransactionRunner } from '../database/transaction-runner';
import { BillingMetrics } from '../observability/billing-metrics';
import { ROOT_LOGGER } from '../observability/root-logger';
import { AdminAuditEntry, AuditOutcome } from './admin-audit.entity';
import { AuditRequest, storableText } from './audit-request';

type Entry = Omit<AdminAuditEntry, 'id' | 'occurredAt'>;

/**
 * Every admin action, allowed or refused, leaves one row in admin_audit and one log line. An action that shares its
 * transaction commits with its row or not at all, so no purge or re-announcement happens unrecorded.
 */
@Injectable()
export class AuditTrail {
  private readonly logger: Logger;

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly metrics: BillingMetrics,
    @Inject(ROOT_LOGGER) root: Logger,
  ) {
    this.logger = root.child({ context: 'Audit' });
  }

  /**
   * Runs an allowed action and records how it went. sharesTransaction: the action's writes and the row commit together;
   * otherwise (an action that commits on connections of its own) the row follows the action: once the action has
   * finished, its work stands, so a row that cannot be written is an error line, never a `failed` row or an error to
   * the client.
   */
  async record<T>(request: AuditRequest, sharesTransaction: boolean, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let entry: Entry | undefined;
    let finished: { result: T } | undefined;
    const workThenRow = async () => {
      const result = await work();
      finished = { result };
      entry = this.entry(request, started, 'succeeded', null);
      await this.insert(entry);
      return result;
    };
    try {
      const result = sharesTransaction ? await this.transactions.run(workThenRow) : await workThenRow();
      this.log(entry as Entry);
      return result;
    } catch (error) {
      if (!sharesTransaction && finished) {
        this.logger.error({ error: (error as Error).message, action: request.action }, 'audit row could not be written');
        this.log(entry as Entry);
        return finished.result;
      }
      await this.write(this.entry(request, started, 'failed', errorCodeOf(error)));
      throw error;
    }
  }

  /** A caller without the admin role tried an admin action; the refusal stands even if the row cannot be written. */
  async refused(request: AuditRequest, started: number, errorCode: string): Promise<void> {
    await this.write(this.entry(request, started, 'refused', errorCode));
  }

  private async write(entry: Entry): Promise<void> {
    try {
      await this.insert(entry);
    } catch (error) {
      this.logger.error({ error: (error as Error).message, action: entry.action }, 'audit row could not be written');
    }
    this.log(entry);
  }

  private async insert(entry: Entry): Promise<void> {
    await this.transactions.manager().query(
      `INSERT INTO admin_audit (action, outcome, error_code, subject, issuer, tenant_id, parameters, duration_ms, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)`,
      [
        entry.action,
        entry.outcome,
        entry.errorCode,
        entry.subject,
        entry.issuer,
        entry.tenantId,
        JSON.stringify(entry.parameters),
        entry.durationMs,
        entry.requestId,
      ],
    );
  }

  private entry(request: AuditRequest, started: number, outcome: AuditOutcome, errorCode: string | null): Entry {
    const { principal } = request;
    return {
      action: request.action,
      outcome,
      errorCode,
      subject: principal.subject === null ? null : storableText(principal.subject, 255),
      issuer: principal.issuer === null ? null : storableText(principal.issuer, 255),
      tenantId: principal.tenantId,
      parameters: request.parameters,
      durationMs: Math.round(performance.now() - started),
      requestId: request.requestId,
    };
  }

  private log(entry: Entry): void {
    this.metrics.adminActions.inc({ action: entry.action, outcome: entry.outcome });
    const line = {
      audit: true,
      action: entry.action,
      outcome: entry.outcome,
      error_code: entry.errorCode,
      sub: entry.subject,
      issuer: entry.issuer,
      tenant_id: entry.tenantId,
      parameters: entry.parameters,
      duration_ms: entry.durationMs,
      request_id: entry.requestId,
    };
    if (entry.outcome === 'succeeded') this.logger.info(line, 'admin action');
    else this.logger.warn(line, 'admin action');
  }
}

function errorCodeOf(error: unknown): string {
  if (error instanceof BillingError) return error.code;
  if (error instanceof HttpException) return `http.${error.getStatus()}`;
  return 'internal';
}
