/**
 * The WSP layer's boundary toward its user, the method handler (the HTTP bridge in this
 * gateway): a method invocation as the server indicates it (WAP-230 §7.1.4.1
 * S-MethodInvoke.ind, connection-oriented, and §7.2.2.1 S-Unit-MethodInvoke.ind,
 * connectionless) and the result the user gives back (§7.1.4.2 S-MethodResult.req). Owned here,
 * below its user, so that src/wsp imports nothing from src/bridge (docs/architecture.md,
 * "Layers"); the bridge implements `MethodHandler`.
 */
import type { HeaderList } from '../core/http';

export interface MethodRequest {
  mode: 'co' | 'cl';
  /** WSP method name upper-cased (GET, POST, HEAD, OPTIONS, DELETE, TRACE, PUT) or an extended name. */
  method: string;
  uri: string;
  headers: HeaderList;
  sessionHeaders?: HeaderList;
  contentType?: string;
  body?: Buffer;
  sourceIp: string;
  /** Largest WSP reply body the handset can take (negotiated Client-SDU-Size; 0 = no limit). */
  clientSduSize: number;
  /** Negotiated encoding version as text, for Via. */
  encodingVersion: string;
  sessionId?: number;
  /** Fires when the handset or the gateway gives up on the method (MethodAbort, Disconnect, drain). */
  signal?: CancelSignal;
}

/** An object listener (EventTarget's `handleEvent` form): no closure per registration. */
export interface CancelListener {
  handleEvent(): void;
}

/**
 * What a method handler may listen to for a cancel: the part of an AbortSignal it uses, so an
 * AbortSignal serves (tests, other callers) and so does the server's lighter MethodCancel.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: CancelListener, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: CancelListener): void;
}

/**
 * The WSP server's cancel for one method: a flag and at most a few listeners (the bridge's
 * upstream request registers one). An AbortController per method costs an EventTarget, an
 * AbortSignal and their bookkeeping in Node; this costs one small object.
 */
export class MethodCancel implements CancelSignal {
  aborted = false;
  private listeners: CancelListener[] | undefined;

  addEventListener(_type: 'abort', listener: CancelListener): void {
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: CancelListener): void {
    const l = this.listeners;
    if (l === undefined) return;
    const i = l.indexOf(listener);
    if (i >= 0) l.splice(i, 1);
  }

  /** Cancels: every listener is told once, in the order they registered. */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const l = this.listeners;
    this.listeners = undefined;
    if (l !== undefined) for (const x of l) x.handleEvent();
  }
}

export interface MethodReply {
  /** HTTP status as the handset will see it (already normalised to one WSP can carry). */
  status: number;
  contentType: string;
  headers: HeaderList;
  body: Buffer;
  /** Why we answered ourselves, for the access log. */
  reason?: string;
  /** True when the request was cancelled (MethodAbort): nothing is to be sent. */
  cancelled?: boolean;
}

/** Where a method's result goes (S-MethodResult.req): called exactly once, possibly before `handle` returns (a refusal). */
export type MethodDone = (reply: MethodReply) => void;

/**
 * The user side of the boundary: one method in, one result out through `done`. A callback rather
 * than a promise: the WSP server keeps no promise per method (bench/RESULTS.md, "WSP CPU per
 * cycle: the finished transactions packed, the method path without promises").
 */
export interface MethodHandler {
  handle(req: MethodRequest, done: MethodDone): void;
}

/** A reply the gateway makes itself: short text reason, never an empty body. */
export function textReply(status: number, reason: string): MethodReply {
  return { status, contentType: 'text/plain; charset=utf-8', headers: [], body: Buffer.from(`${reason}\n`, 'utf8'), reason };
}
