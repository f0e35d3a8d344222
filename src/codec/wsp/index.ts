/**
 * WSP codec (WAP-230): value tables, Content-type-value with parameters, headers, multipart
 * bodies and PDUs. Pure Buffer <-> object functions; every failure is a DecodeError.
 */
export * from './tables';
export * from './values';
export * from './content-type';
export * from './headers';
export * from './multipart';
export * from './pdu';
