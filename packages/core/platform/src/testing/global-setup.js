// Jest global setup. Plain JavaScript on purpose: jest then imports it natively, and Node (>= 22.18)
// strips the types of the TypeScript modules it imports, whose `./x.ts` specifiers stay as written.
export { default } from './global-setup-impl.ts';
