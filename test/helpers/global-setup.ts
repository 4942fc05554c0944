import { assertServicesReachable } from './services.ts';

export default async function setup(): Promise<void> {
  await assertServicesReachable();
}
