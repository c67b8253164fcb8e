// Jest global teardown; plain JavaScript for the reason given in global-setup.js.
export { default } from './global-teardown-impl.ts';
