/** The benchmarks' only reader of the environment. */
export interface BenchConfig {
  /** Real PostgreSQL when set; otherwise PGlite in memory. */
  databaseUrl: string | undefined;
}

export function benchConfig(env: Readonly<Record<string, string | undefined>> = process.env): BenchConfig {
  return { databaseUrl: env.DATABASE_URL || undefined };
}
