/**
 * The one configuration schema (docs/architecture.md, rule 6): types, defaults and descriptions all come
 * from here. Every object is strict, so an unknown key is an error that names the key.
 * conf/wapgw.yaml documents every leaf; test/config keeps the two in step.
 */
import { z } from 'zod';
import { parseCidr } from '../core/net';
import { TOKEN } from '../core/http';

const port = z.number().int().min(0).max(65535);
const ms = (d: number, desc: string) => z.number().int().positive().default(d).describe(desc);
const count = (d: number, desc: string) => z.number().int().positive().default(d).describe(desc);
const host = (d: string, desc: string) => z.string().min(1).default(d).describe(desc);

const cidr = z.string().superRefine((s, ctx) => {
  const r = parseCidr(s);
  if (typeof r === 'string') ctx.addIssue({ code: 'custom', message: r });
});

const origin = z.string().superRefine((s, ctx) => {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a URL origin (scheme://host:port)` });
    return;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `"${s}" must be http: or https:` });
  } else if (u.pathname !== '/' || u.search || u.hash || u.username || s.endsWith('/')) {
    ctx.addIssue({ code: 'custom', message: `"${s}" must be an origin only, like http://mmsc.example:8080` });
  }
});

const httpUrl = z.string().superRefine((s, ctx) => {
  try {
    const u = new URL(s);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: `"${s}" must be an http: or https: URL` });
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a URL` });
  }
});

const redisUrl = z.string().superRefine((s, ctx) => {
  try {
    const u = new URL(s);
    if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') ctx.addIssue({ code: 'custom', message: `"${s}" must be a redis: or rediss: URL` });
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a URL (redis://host:port)` });
  }
});

const headerName = z.string().regex(TOKEN, 'not a valid HTTP header name');

const rate = (perSecond: number, burst: number, what: string) =>
  z
    .object({
      perSourcePerSecond: z.number().nonnegative().default(perSecond).describe(`${what}: requests per second allowed from one source IP (0 = no limit)`),
      burst: count(burst, `${what}: bucket size, requests one source may send at once`),
    })
    .strict()
    .prefault({});

export const configSchema = z
  .object({
    mmsc: z
      .object({
        url: httpUrl.default('http://127.0.0.1:8942/mms').describe("the MMSC's MM1 URL; its origin is always allowed"),
        allowedOrigins: z.array(origin).default([]).describe('further upstream origins a handset may reach (exact scheme://host:port)'),
        timeoutMs: ms(30000, 'upstream request timeout; on expiry the handset gets 504'),
        connections: count(64, 'keep-alive connections per upstream origin'),
      })
      .strict()
      .prefault({}),
    wsp: z
      .object({
        bind: host('0.0.0.0', 'UDP bind address; "::" for IPv6 with IPv4 (dual stack)'),
        connectionlessPort: port.default(9200).describe('WSP over WDP/UDP (connectionless)'),
        connectionOrientedPort: port.default(9201).describe('WSP over WTP/UDP (connection-oriented)'),
        maxSessions: count(100000, 'WSP sessions kept at once (least recently used go first)'),
        maxSessionsPerSource: count(16, 'WSP sessions one source address (IPv6: one /64) may hold; a Connect past it ends that source\'s least recently active session, never another phone\'s'),
        sessionIdleTimeoutMs: ms(600000, 'a session with no traffic for this long is dropped'),
        maxMessageSize: count(1048576, 'largest request (reassembled SAR Invoke, e.g. m-send-req) accepted'),
        maxResponseSize: count(2097152, 'largest upstream reply passed to a handset; larger gets 413 with a reason'),
        connectionlessMaxAmplification: z
          .number()
          .nonnegative()
          .default(1)
          .describe('largest ratio of reply to request octets on the connectionless port, which cannot verify a source (0 = no limit: only on an anti-spoofed APN); a larger reply becomes a bare 413, or nothing when even that does not fit'),
        maxMethodMor: count(8, 'most outstanding methods per session we accept in negotiation'),
        encodingVersion: z.enum(['1.1', '1.2', '1.3', '1.4', '1.5']).default('1.5').describe('highest WSP encoding version we speak; replies use the lower of this and the peer\'s'),
      })
      .strict()
      .prefault({}),
    wtp: z
      .object({
        ackIntervalMs: ms(1000, 'timer A: delay before an Ack (or hold-on Ack while the MMSC is slow)'),
        retryIntervalMs: ms(2000, 'timer R: Result retransmission interval'),
        waitTimeoutMs: ms(30000, 'timer W: how long a finished transaction is remembered for duplicates'),
        maxRetransmissions: count(8, 'MAX_RCR: Result retransmissions before Abort NORESPONSE'),
        ackExpiryMax: count(6, 'AEC_MAX: timer A expiries before giving up on an acknowledgement'),
        tidVerification: z.boolean().default(true).describe('verify out-of-window TIDs and TIDnew with Ack(TIDve)'),
        tidCacheSize: count(200000, 'initiators (address:port) whose last TID is remembered'),
        tidCacheTtlMs: ms(600000, 'how long a TID cache entry lives'),
        maxTransactions: count(100000, 'transactions in progress at once'),
        sar: z
          .object({
            segmentSize: count(1400, 'octets of WSP data per segment (capped by the client SDU size)'),
            groupSize: count(8, 'segments per group before an Ack is awaited'),
            nackDelayMs: ms(200, 'wait for late segments before sending a Negative Ack'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    proxy: z
      .object({
        enabled: z.boolean().default(true).describe('run the HTTP MMS proxy'),
        bind: host('0.0.0.0', 'TCP bind address of the MMS proxy'),
        port: port.default(8080).describe("the APN's MMS proxy port"),
        allowedNetworks: z.array(cidr).default(['10.0.0.0/8']).describe('source networks (the MMS APN pools), IPv4 CIDRs and IPv6 prefixes; others get 403 (WSP too)'),
        requireSubscriber: z.boolean().default(true).describe('403 for a source IP with no known subscriber (WSP too)'),
        allowedMethods: z.array(z.string().regex(/^[A-Z]+$/)).default(['GET', 'POST', 'HEAD']).describe('HTTP methods forwarded; others get 405'),
        maxBodyBytes: count(1048576, 'largest request body; larger gets 413'),
        headersTimeoutMs: ms(10000, 'time a client has to send its request headers'),
        requestTimeoutMs: ms(60000, 'time a client has to send its whole request'),
        keepAliveTimeoutMs: ms(5000, 'idle keep-alive connection lifetime toward phones'),
        maxHeaderBytes: count(16384, 'largest request header block'),
        maxConnections: count(20000, 'open connections from phones at once; more are closed on accept (counted)'),
        maxConnectionsPerSource: count(64, 'open connections from one source address (IPv6: one /64) at once; more are closed on accept (counted)'),
      })
      .strict()
      .prefault({}),
    identity: z
      .object({
        clientIpHeaders: z.array(headerName).default(['X-WAP-Network-Client-IP']).describe('headers that carry the source IP to the MMSC'),
        msisdnHeaders: z.array(headerName).default(['X-WAP-Network-Client-MSISDN', 'X-MSISDN']).describe('headers that carry the MSISDN'),
        imsiHeaders: z.array(headerName).default(['X-IMSI']).describe('headers that carry the IMSI, when known'),
        imeisvHeaders: z.array(headerName).default([]).describe('headers that carry the IMEISV, when known'),
        sgsnAddressHeaders: z.array(headerName).default(['X-WAP-3GPP-SGSN-ADDRESS']).describe('headers that carry the 3GPP SGSN/S-GW address, when known'),
        ratTypeHeaders: z.array(headerName).default(['X-WAP-3GPP-RAT-TYPE']).describe('headers that carry the 3GPP RAT type, when known'),
        stripHeaders: z
          .array(headerName)
          .default(['X-Up-Calling-Line-ID', 'X-Up-Subno', 'X-Nokia-MSISDN', 'X-WAP-3GPP-IMSI', 'X-WAP-Client-IP', 'X-Forwarded-For', 'Forwarded', 'X-Real-IP', 'X-Client-IP', 'True-Client-IP']) // what web front ends take as the client address
          .describe('further client headers always removed (besides every identity header above)'),
        signingSecret: z.string().min(16).nullable().default(null).describe('when set, add an HMAC-SHA256 over the identity values and a timestamp'),
        signatureHeader: headerName.default('X-WAPGW-Signature').describe('header that carries the signature'),
      })
      .strict()
      .prefault({}),
    subscribers: z
      .object({
        staticFile: z.string().nullable().default(null).describe('YAML list of {ip | prefix, msisdn, imsi?} loaded at start and on SIGHUP'),
        maxEntries: count(1000000, 'bindings kept (least recently used evicted, counted and logged)'),
        store: z.enum(['memory', 'redis']).default('memory').describe('memory | redis (shared by every instance and worker)'),
        redis: z
          .object({
            url: redisUrl.default('redis://127.0.0.1:6379').describe('Redis or Valkey: redis://[user:password@]host:port[/db] (rediss:// for TLS); with sentinel, only credentials and db are used'),
            sentinel: z
              .object({
                name: z.string().min(1).describe('the master name the sentinels monitor'),
                nodes: z.array(z.string().regex(/^[^\s:]+:[0-9]{1,5}$/, 'host:port')).min(1).describe('sentinels as host:port'),
              })
              .strict()
              .nullable()
              .default(null)
              .describe('Redis Sentinel: {name, nodes}; null = connect to url directly'),
            keyPrefix: z.string().min(1).default('wapgw:').describe('prefix of every key the gateway writes (several deployments can share one server)'),
            cacheEntries: count(100000, 'local cache of lookups (bindings and misses), invalidated by the server (CLIENT TRACKING)'),
            commandTimeoutMs: ms(500, 'a store command not answered within this fails (request refused, RADIUS not answered)'),
            connectTimeoutMs: ms(2000, 'TCP connect timeout toward the store'),
            heartbeatMs: ms(100, 'how often the invalidation path is proven live (a write the server must report back)'),
            livenessMs: ms(300, 'the local cache is used only while the last proof is this recent; beyond it every lookup is a round trip'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    radius: z
      .object({
        enabled: z.boolean().default(false).describe('run the RADIUS accounting server'),
        bind: host('0.0.0.0', 'UDP bind address for RADIUS accounting'),
        port: port.default(1813).describe('RADIUS accounting port'),
        clients: z
          .array(
            z
              .object({
                address: cidr.describe('NAS (GGSN/P-GW) source address or network'),
                secret: z.string().min(1).describe('shared secret'),
                name: z.string().optional().describe('label in logs and metrics'),
              })
              .strict(),
          )
          .default([])
          .describe('NAS allowed to send accounting: [{address, secret, name?}]'),
        forward: z
          .array(
            z
              .object({
                host: z.string().min(1).describe('downstream AAA server'),
                port: port.default(1813).describe('its accounting port'),
                secret: z.string().min(1).describe('secret shared with it'),
              })
              .strict(),
          )
          .default([])
          .describe('downstream AAA servers every accounting packet is copied to, re-signed'),
        duplicateWindowMs: ms(30000, 'retransmissions (same NAS, port, Identifier, authenticator) inside this window are answered from cache'),
      })
      .strict()
      .prefault({}),
    ppg: z
      .object({
        enabled: z.boolean().default(false).describe('run the Push Proxy Gateway (PAP over HTTP in, WAP Push over SMS/IP out)'),
        bind: host('127.0.0.1', 'PAP endpoint bind address'),
        port: port.default(8090).describe('PAP over HTTP'),
        path: z.string().regex(/^\/[!-~]*$/, 'an absolute path like /wappush').default('/wappush').describe('the PAP endpoint path'),
        allowedNetworks: z.array(cidr).default([]).describe('initiator networks accepted without credentials (default: none; default deny)'),
        users: z
          .array(
            z
              .object({
                username: z.string().min(1).regex(/^[^:]+$/, 'no colon in a user name').describe('HTTP Basic user name'),
                password: z.string().min(8).describe('HTTP Basic password (8+ characters)'),
                allowedNetworks: z.array(cidr).min(1).describe('networks this user may push from'),
              })
              .strict(),
          )
          .default([])
          .describe('push initiators with HTTP Basic credentials: [{username, password, allowedNetworks}]'),
        stateDir: z.string().min(1).nullable().default(null).describe('durable push queue directory (required when enabled)'),
        fsync: z.boolean().default(true).describe('fdatasync the journal before answering 1001 (false: survives a crash of the process, not of the machine)'),
        ipPushForBound: z.boolean().default(false).describe('push a PLMN address over IP (UDP 2948) while its MSISDN is bound in the subscriber table: to an IPv4 address, or to an IPv6 /64 with the phone\'s own address from RADIUS (Framed-IPv6-Address or Framed-Interface-Id)'),
        registeredDelivery: z.boolean().default(true).describe('ask the SMSC for delivery receipts; a failed receipt updates the state and the result notification'),
        senderName: z.string().default('wapgw').describe('sender-name in PAP responses and result notifications'),
        smsc: z
          .array(
            z
              .object({
                host: z.string().min(1).describe('SMSC host'),
                port: port.default(2775).describe('SMPP port'),
                systemId: z.string().max(15).default('').describe('bind system_id'),
                password: z.string().max(8).default('').describe('bind password'),
                systemType: z.string().max(12).default('').describe('bind system_type'),
                bindMode: z.enum(['transmitter', 'transceiver']).default('transceiver').describe('bind_transceiver (receipts on the same session) or bind_transmitter'),
                maxPerSecond: z.number().positive().default(50).describe('submit_sm per second to this SMSC'),
                windowSize: count(10, 'outstanding submit_sm without a response'),
                concatRefBits: z.union([z.literal(8), z.literal(16)]).default(8).describe('concatenation reference: 8-bit (IEI 0x00) or 16-bit (IEI 0x08)'),
                maxParts: count(8, 'most SMS one push may take'),
                enquireLinkMs: ms(30000, 'enquire_link period while bound'),
                reconnectMinMs: ms(1000, 'first reconnect delay (doubles up to reconnectMaxMs)'),
                reconnectMaxMs: ms(60000, 'longest reconnect delay'),
                responseTimeoutMs: ms(10000, 'how long a submit_sm may wait for its response'),
                sourceAddr: z.string().default('').describe("submit_sm source_addr ('' = the SMSC's default)"),
                sourceAddrTon: z.number().int().min(0).max(255).default(0).describe('source_addr_ton'),
                sourceAddrNpi: z.number().int().min(0).max(255).default(0).describe('source_addr_npi'),
                serviceType: z.string().default('').describe("submit_sm service_type ('' = the SMSC's default)"),
              })
              .strict(),
          )
          .default([])
          .describe('SMPP 3.4 SMSCs in failover order: [{host, port, systemId, password, systemType, maxPerSecond, ...}]'),
        limits: z
          .object({
            maxBodyBytes: count(65536, 'largest PAP request body; larger gets a badmessage-response'),
            maxContentBytes: count(16384, 'largest content entity (after base64) one push may carry'),
            maxAddresses: count(100, 'addresses in one push-message'),
            maxPending: count(200000, 'pushes still at work held at once; more are refused with PAP 3003'),
            maxFinished: count(100000, 'finished pushes kept for status queries and admin /pushes'),
            retainMs: ms(3600000, 'how long a finished push is kept for status queries'),
            perInitiatorPerSecond: z.number().nonnegative().default(100).describe('PAP requests per second from one initiator (user, else source IP; 0 = no limit)'),
            burst: count(200, 'PAP requests one initiator may send at once'),
            maxInitiators: count(10000, 'initiators tracked by the rate limit (least recently seen forgotten first)'),
          })
          .strict()
          .prefault({}),
        retry: z
          .object({
            initialDelayMs: ms(5000, 'first retry after a transient bearer failure'),
            maxDelayMs: ms(600000, 'longest delay between attempts'),
            multiplier: z.number().min(1).default(2).describe('back-off factor per attempt'),
            defaultLifetimeMs: ms(86400000, 'a push with no deliver-before-timestamp expires this long after it was accepted'),
          })
          .strict()
          .prefault({}),
        notify: z
          .object({
            timeoutMs: ms(10000, 'result notification POST timeout'),
            maxAttempts: count(5, 'result notification attempts before giving up (logged, counted)'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({})
      .superRefine((p, ctx) => {
        if (p.enabled && !p.stateDir) ctx.addIssue({ code: 'custom', path: ['stateDir'], message: 'required when ppg.enabled is true: a directory for the durable push queue' });
        if (p.enabled && p.allowedNetworks.length === 0 && p.users.length === 0) {
          ctx.addIssue({ code: 'custom', path: ['users'], message: 'no push initiator can reach the PPG: add users or allowedNetworks (default deny)' });
        }
      }),
    admin: z
      .object({
        enabled: z.boolean().default(true).describe('run the admin HTTP server'),
        bind: host('127.0.0.1', 'admin bind address (keep it on loopback or a management network)'),
        port: port.default(9300).describe('admin port'),
        token: z.string().min(8).nullable().default(null).describe('when set, every admin request needs "Authorization: Bearer <token>"'),
      })
      .strict()
      .prefault({}),
    log: z
      .object({
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('pino log level'),
        redactPersonalData: z.boolean().default(true).describe('replace MSISDN, IMSI and IMEISV in logs with [redacted]'),
        accessLog: z.boolean().default(true).describe('one log line per WSP method and proxy request'),
      })
      .strict()
      .prefault({}),
    rateLimit: z
      .object({
        wsp: rate(0, 200, 'WSP'),
        proxy: rate(0, 200, 'proxy'),
        maxSources: count(100000, 'sources tracked by the rate limiter'),
      })
      .strict()
      .prefault({}),
    demoMmsc: z
      .object({
        enabled: z.boolean().default(false).describe('run the built-in store-and-forward demo MMSC (a test fixture, not for production)'),
        bind: host('127.0.0.1', 'demo MMSC bind address'),
        port: port.default(8942).describe('demo MMSC port'),
        maxMessages: count(1000, 'messages the demo MMSC keeps'),
        ppgUrl: httpUrl.nullable().default(null).describe("when set, the demo MMSC sends each recipient an m-notification-ind by PAP push to this PPG URL (user:password@ in the URL for HTTP Basic)"),
      })
      .strict()
      .prefault({}),
    demoSmsc: z
      .object({
        enabled: z.boolean().default(false).describe('run the built-in demo SMSC (a real SMPP 3.4 server that logs each decoded WAP push; a test fixture, not for production)'),
        bind: host('127.0.0.1', 'demo SMSC bind address'),
        port: port.default(2775).describe('demo SMSC SMPP port'),
        systemId: z.string().max(15).default('').describe("system_id a bind must carry ('' = any)"),
        password: z.string().max(8).default('').describe("password a bind must carry ('' = any)"),
        receipts: z.boolean().default(true).describe('send a delivery receipt for each registered_delivery submit'),
      })
      .strict()
      .prefault({}),
    usageRecords: z
      .object({
        enabled: z.boolean().default(false).describe('write one usage record per MMS transaction (charging mediation, 3GPP TS 32.270 frame)'),
        dir: z.string().min(1).nullable().default(null).describe('directory for the record files (required when enabled)'),
        format: z.enum(['jsonl', 'csv']).default('jsonl').describe('jsonl (one JSON object per line) or csv (RFC 4180, a header line per file)'),
        rotateBytes: count(67108864, 'a file is closed and a new one begun when it reaches this size (octets)'),
        rotateSeconds: z.number().int().nonnegative().default(3600).describe('... or when it is this old (0 = by size only)'),
        flushIntervalMs: ms(1000, 'records are written and synced to disk this often; a crash loses at most this much'),
        maxBufferedRecords: count(100000, 'records held while the disk cannot be written; more are dropped and counted'),
      })
      .strict()
      .superRefine((u, ctx) => {
        if (u.enabled && u.dir === null) ctx.addIssue({ code: 'custom', message: 'usage records are enabled: give the directory to write them to', path: ['dir'] });
      })
      .prefault({}),
    trace: z
      .object({
        enabled: z.boolean().default(true).describe('give every forwarded request a correlation id, sent to the MMSC and written in the access log and the usage record'),
        header: headerName.default('X-Wapgw-Trace-Id').describe('header that carries it to the MMSC (client copies are removed)'),
      })
      .strict()
      .prefault({}),
    shutdown: z
      .object({
        drainTimeoutMs: ms(3000, 'on SIGTERM, how long in-flight transactions may take before exit'),
      })
      .strict()
      .prefault({}),
    process: z
      .object({
        workers: z
          .union([z.literal('auto'), z.number().int().min(1).max(64)])
          .default(1)
          .describe('HTTP proxy worker processes (1 = the proxy runs in the main process); auto = one per core'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
