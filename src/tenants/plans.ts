import type { PlanCode } from "../../db/schema/index.ts";

export type { PlanCode };

export interface PlanLimits {
  users: number;
  whatsapp_numbers: number;
  messages_per_month: number;
  flows: number;
  campaigns: number;
  api_requests_per_minute: number;
}

/** Each plan fixes its limits; the order of this list is the upgrade order. */
export const plans: Record<PlanCode, { name: string; rank: number; limits: PlanLimits }> = {
  starter: {
    name: "Starter",
    rank: 1,
    limits: {
      users: 10,
      whatsapp_numbers: 3,
      messages_per_month: 10_000,
      flows: 50,
      campaigns: 20,
      api_requests_per_minute: 120,
    },
  },
  growth: {
    name: "Growth",
    rank: 2,
    limits: {
      users: 50,
      whatsapp_numbers: 10,
      messages_per_month: 100_000,
      flows: 200,
      campaigns: 100,
      api_requests_per_minute: 600,
    },
  },
  enterprise: {
    name: "Enterprise",
    rank: 3,
    limits: {
      users: 500,
      whatsapp_numbers: 50,
      messages_per_month: 1_000_000,
      flows: 1000,
      campaigns: 1000,
      api_requests_per_minute: 3000,
    },
  },
};

export const limitsOf = (plan: PlanCode): PlanLimits => plans[plan].limits;

/** Requests per minute for callers without a tenant (the platform admin). */
export const PLATFORM_REQUESTS_PER_MINUTE = 600;
