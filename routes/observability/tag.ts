export const TAG = "Observability";
