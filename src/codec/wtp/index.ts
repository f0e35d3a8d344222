/** WTP (WAP-224) codec entry point: the PDU model and the pure encode/decode functions. */
export * from './types';
export * from './codec';
