/** GET /health. */
import { Type } from 'typebox';

export const Health = Type.Object(
  {
    status: Type.Enum(['ok', 'degraded']),
    db: Type.Enum(['up', 'down']),
    broker: Type.Enum(['up', 'down']),
    gatewaysOnline: Type.Integer({ minimum: 0 }),
  },
  {
    description: 'The same body answers 200 (all up) and 503 (degraded), so monitors read one shape',
    examples: [{ status: 'ok', db: 'up', broker: 'up', gatewaysOnline: 1 }],
  },
);
