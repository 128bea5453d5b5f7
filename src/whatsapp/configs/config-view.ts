import { mask } from "../../core/secret-box.ts";
import type { ConfigRow, Credentials } from "../providers/provider.ts";

/** A number as the API shows it: secrets masked, the webhook address to give the provider. */
export function configView(c: ConfigRow, creds: Credentials, webhookUrl: string) {
  return {
    id: c.id,
    name: c.name,
    phone_number: c.phoneNumber,
    api_type: c.apiType,
    is_active: c.isActive,
    is_default: c.isDefault,
    phone_number_id: c.apiType === "official" ? c.phoneNumberId : null,
    business_account_id: c.businessAccountId,
    instance_name: c.instanceName,
    base_url: c.baseUrl,
    credentials: {
      access_token: mask(creds.access_token),
      app_secret: mask(creds.app_secret),
      verify_token: mask(creds.verify_token),
      api_key: mask(creds.api_key),
    },
    webhook_url: webhookUrl,
    connection_state: c.connectionState,
    quality_rating: c.qualityRating,
    messaging_tier: c.messagingTier,
    display_name: c.displayName,
    last_error: c.lastError,
    last_checked_at: c.lastCheckedAt?.toISOString() ?? null,
    throughput_per_second: c.throughputPerSecond,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
  };
}

export type ConfigView = ReturnType<typeof configView>;
