/**
 * The parts of the npm `smpp` package (0.5.x, farhadi/node-smpp) that wapgw uses: a Session per
 * TCP connection (client: connect(); server: createServer()), PDUs as plain objects whose keys are
 * the SMPP 3.4 field and TLV names. The package ships no types.
 */
declare module 'smpp' {
  import type { EventEmitter } from 'node:events';
  import type { Server as NetServer, Socket } from 'node:net';

  export interface Pdu {
    command: string;
    command_id: number;
    command_status: number;
    sequence_number: number;
    [field: string]: unknown;
    isResponse(): boolean;
    response(options?: Record<string, unknown>): Pdu;
    toBuffer(): Buffer;
  }

  export class Session extends EventEmitter {
    constructor(options: { socket?: Socket; host?: string; port?: number; [k: string]: unknown });
    socket: Socket;
    send(pdu: Pdu, responseCallback?: (pdu: Pdu) => void, sendCallback?: (pdu: Pdu) => void): boolean;
    close(callback?: () => void): void;
    destroy(callback?: () => void): void;
    pause(): void;
    resume(): void;
    [command: string]: unknown;
  }

  export class Server extends NetServer {
    sessions: Session[];
  }

  export const PDU: {
    new (command: string, options?: Record<string, unknown>): Pdu;
    new (buffer: Buffer): Pdu;
    maxLength: number;
  };

  export function connect(options: { host: string; port: number; [k: string]: unknown }, listener?: () => void): Session;
  export function createServer(options: Record<string, unknown>, listener?: (session: Session) => void): Server;
  export function createServer(listener?: (session: Session) => void): Server;

  export const errors: Record<string, number>;
}
