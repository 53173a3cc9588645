import { IsISO8601, IsOptional, IsString, IsUUID, Length, Matches, Validate, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { isIsoCurrency } from '../config/configuration';
import { toCanonicalAmount } from '../invoices/money';

@ValidatorConstraint({ name: 'isMoneyAmount' })
class IsMoneyAmount implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return toCanonicalAmount(value) !== null;
  }

  defaultMessage(): string {
    return 'total must be a decimal string or JSON number >= 0 with at most 2 fraction digits (numbers must be below 1e13)';
  }
}

@ValidatorConstraint({ name: 'isIsoCurrency' })
class IsIsoCurrency implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isIsoCurrency(value);
  }

  defaultMessage(): string {
    return 'currency must be an upper-case ISO 4217 code such as USD';
  }
}

/** The wire format of order.completed (see contract.md); unknown fields are ignored. */
export class OrderCompletedPayload {
  @IsUUID('all')
  event_id!: string;

  @IsString()
  @Length(1, 128)
  order_id!: string;

  @IsString()
  @Matches(/^[A-Za-z0-9._-]{1,64}$/, { message: 'tenant_id must be 1-64 characters of [A-Za-z0-9._-]' })
  tenant_id!: string;

  @Validate(IsMoneyAmount)
  total!: string | number;

  @IsOptional()
  @Validate(IsIsoCurrency)
  currency?: string;

  @IsOptional()
  @IsISO8601({ strict: true, strictSeparator: true })
  occurred_at?: string;
}

export const PAYLOAD_FIELDS: readonly (keyof OrderCompletedPayload)[] = ['event_id', 'order_id', 'tenant_id', 'total', 'currency', 'occurred_at'];
