/** Ids and instants shared by the OpenAPI examples, so the examples of one resource refer to each other. */
export const EX = {
  userId: '2b7f2a4e-3c1d-4f5e-9a8b-7c6d5e4f3a2b',
  otherUserId: '3c8e3b5f-4d2e-4a6f-8b9c-8d7e6f5a4b3c',
  homeId: '1b7f2a4e-3c1d-4f5e-9a8b-7c6d5e4f3a2b',
  roomId: '4d9f4c6a-5e3f-4b7a-9cad-9e8f7a6b5c4d',
  deviceId: '6f1c1e9e-1111-4000-8000-000000000001',
  commandId: '0b7f2a4e-3c1d-4f5e-9a8b-7c6d5e4f3a2b',
  scheduleId: '5e0a5d7b-6f4a-4c8b-8dbe-af9a8b7c6d5e',
  invitationId: '7a1b6e8c-7a5b-4d9c-9ecf-ba0b9c8d7e6f',
  gatewayId: 'gw-0001',
  at: '2025-01-01T12:00:00.000Z',
} as const;
