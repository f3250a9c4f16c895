/** What the health gate compares: one group of switches' telemetry over an interval. */
export interface HealthSample {
  commandsOk: number;
  commandsFailed: number;
  disconnects: number;
  reboots: number;
  deviceHours: number;
}
