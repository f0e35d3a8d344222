/**
 * Writes classic libpcap files (magic a1b2c3d4, microsecond stamps) holding IPv4/UDP packets or
 * one IPv4/TCP connection (buildTcpPcap), for tshark cross-checks: encode a PDU, wrap it, let
 * tshark judge it.
 * Link types: Ethernet (1, default) or RAW IPv4 (101). IPv4 header checksums are computed;
 * the UDP checksum is 0 ("none", allowed for IPv4, RFC 768) so tshark never flags it.
 * Payloads larger than one UDP datagram (65507 octets) are refused: test PDUs never need them.
 */
import { writeFileSync } from 'node:fs';

export interface UdpPacket {
  srcPort: number;
  dstPort: number;
  payload: Buffer;
  /** dotted IPv4, default 10.0.0.1 (the handset side when srcPort is ephemeral) */
  src?: string;
  /** dotted IPv4, default 10.0.0.2 */
  dst?: string;
  /** seconds since the epoch (fractions allowed); default 1 700 000 000 + index */
  time?: number;
}

export type LinkType = 'ethernet' | 'raw';

const LINKTYPE = { ethernet: 1, raw: 101 } as const;

function ipv4(addr: string): Buffer {
  const parts = addr.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`bad IPv4 address ${addr}`);
  return Buffer.from(parts);
}

function ipChecksum(h: Buffer): number {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += h.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** One IPv4 packet carrying one UDP datagram. */
export function ipv4Udp(p: UdpPacket, id = 1): Buffer {
  if (p.payload.length > 65507) throw new Error(`UDP payload of ${p.payload.length} octets does not fit one datagram`);
  const udpLen = 8 + p.payload.length;
  const ip = Buffer.alloc(20);
  ip[0] = 0x45; // version 4, IHL 5
  ip.writeUInt16BE(20 + udpLen, 2);
  ip.writeUInt16BE(id & 0xffff, 4);
  ip.writeUInt16BE(0x4000, 6); // DF
  ip[8] = 64; // TTL
  ip[9] = 17; // UDP
  ipv4(p.src ?? '10.0.0.1').copy(ip, 12);
  ipv4(p.dst ?? '10.0.0.2').copy(ip, 16);
  ip.writeUInt16BE(ipChecksum(ip), 10);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(p.srcPort, 0);
  udp.writeUInt16BE(p.dstPort, 2);
  udp.writeUInt16BE(udpLen, 4);
  return Buffer.concat([ip, udp, p.payload]);
}

const ETH_HEADER = Buffer.from('02000000000202000000000108 00'.replace(/\s/g, ''), 'hex');

/** The bytes of a classic pcap file holding the given UDP packets, one frame each, in order. */
export function buildPcap(packets: readonly UdpPacket[], linkType: LinkType = 'ethernet'): Buffer {
  return pcapOf(
    packets.map((p, i) => ({ ip: ipv4Udp(p, i + 1), time: p.time ?? 1_700_000_000 + i })),
    linkType,
  );
}

/** A classic pcap of IPv4 packets (one frame each), with their times. */
function pcapOf(packets: readonly { ip: Buffer; time: number }[], linkType: LinkType): Buffer {
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(262144, 16); // snaplen
  gh.writeUInt32LE(LINKTYPE[linkType], 20);
  const parts: Buffer[] = [gh];
  for (const { ip, time: t } of packets) {
    const frame = linkType === 'ethernet' ? Buffer.concat([ETH_HEADER, ip]) : ip;
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(Math.floor(t), 0);
    rh.writeUInt32LE(Math.round((t - Math.floor(t)) * 1e6) % 1e6, 4);
    rh.writeUInt32LE(frame.length, 8);
    rh.writeUInt32LE(frame.length, 12);
    parts.push(rh, frame);
  }
  return Buffer.concat(parts);
}

// ---------------------------------------------------------------------------------------------
// TCP: one connection's octets, both directions in order, as a well-formed stream (SYN,
// SYN-ACK, ACK, data segments of at most 1460 octets with consistent sequence and
// acknowledgement numbers, FIN both ways), so tshark reassembles the application PDUs.

export interface TcpChunk {
  /** true: client -> server */
  fromClient: boolean;
  payload: Buffer;
}

export interface TcpStreamOptions {
  client?: string;
  server?: string;
  clientPort?: number;
  serverPort: number;
  /** seconds of the first packet; each next packet is 1 ms later */
  time?: number;
}

const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, PSH: 0x08, ACK: 0x10 } as const;

/** One IPv4 packet carrying one TCP segment (checksums computed). */
export function ipv4Tcp(src: string, dst: string, sport: number, dport: number, seq: number, ack: number, flags: number, payload: Buffer, id = 1): Buffer {
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(sport, 0);
  tcp.writeUInt16BE(dport, 2);
  tcp.writeUInt32BE(seq >>> 0, 4);
  tcp.writeUInt32BE(ack >>> 0, 8);
  tcp[12] = 5 << 4; // data offset 5 words
  tcp[13] = flags;
  tcp.writeUInt16BE(65535, 14); // window
  const pseudo = Buffer.alloc(12);
  ipv4(src).copy(pseudo, 0);
  ipv4(dst).copy(pseudo, 4);
  pseudo[9] = 6;
  pseudo.writeUInt16BE(20 + payload.length, 10);
  const sumBuf = Buffer.concat([pseudo, tcp, payload, payload.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  tcp.writeUInt16BE(ipChecksum(sumBuf), 16);
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(40 + payload.length, 2);
  ip.writeUInt16BE(id & 0xffff, 4);
  ip.writeUInt16BE(0x4000, 6);
  ip[8] = 64;
  ip[9] = 6; // TCP
  ipv4(src).copy(ip, 12);
  ipv4(dst).copy(ip, 16);
  ip.writeUInt16BE(ipChecksum(ip), 10);
  return Buffer.concat([ip, tcp, payload]);
}

/** The bytes of a pcap holding one TCP connection that carried `chunks` (adjacent chunks of one direction are joined). */
export function buildTcpPcap(chunks: readonly TcpChunk[], o: TcpStreamOptions, linkType: LinkType = 'ethernet'): Buffer {
  const c = o.client ?? '10.0.0.1';
  const s = o.server ?? '10.0.0.2';
  const cp = o.clientPort ?? 40000;
  const sp = o.serverPort;
  let t = o.time ?? 1_700_000_000;
  let cseq = 1000;
  let sseq = 5000;
  let id = 1;
  const out: { ip: Buffer; time: number }[] = [];
  const push = (fromClient: boolean, flags: number, payload: Buffer) => {
    const ip = fromClient
      ? ipv4Tcp(c, s, cp, sp, cseq, sseq, flags, payload, id++)
      : ipv4Tcp(s, c, sp, cp, sseq, cseq, flags, payload, id++);
    out.push({ ip, time: t });
    t += 0.001;
    const adv = payload.length + (flags & (TCP_FLAGS.SYN | TCP_FLAGS.FIN) ? 1 : 0);
    if (fromClient) cseq += adv;
    else sseq += adv;
  };
  // handshake: SYN carries no ACK number
  out.push({ ip: ipv4Tcp(c, s, cp, sp, cseq, 0, TCP_FLAGS.SYN, Buffer.alloc(0), id++), time: t });
  t += 0.001;
  cseq += 1;
  push(false, TCP_FLAGS.SYN | TCP_FLAGS.ACK, Buffer.alloc(0));
  push(true, TCP_FLAGS.ACK, Buffer.alloc(0));
  const joined: TcpChunk[] = [];
  for (const ch of chunks) {
    const last = joined[joined.length - 1];
    if (last && last.fromClient === ch.fromClient) last.payload = Buffer.concat([last.payload, ch.payload]);
    else joined.push({ fromClient: ch.fromClient, payload: Buffer.from(ch.payload) });
  }
  for (const ch of joined) {
    for (let i = 0; i < ch.payload.length; i += 1460) push(ch.fromClient, TCP_FLAGS.PSH | TCP_FLAGS.ACK, ch.payload.subarray(i, i + 1460));
  }
  push(true, TCP_FLAGS.FIN | TCP_FLAGS.ACK, Buffer.alloc(0));
  push(false, TCP_FLAGS.FIN | TCP_FLAGS.ACK, Buffer.alloc(0));
  push(true, TCP_FLAGS.ACK, Buffer.alloc(0));
  return pcapOf(out, linkType);
}

/** Writes the pcap to `file` and returns the path. */
export function writePcap(file: string, packets: readonly UdpPacket[], linkType: LinkType = 'ethernet'): string {
  writeFileSync(file, buildPcap(packets, linkType));
  return file;
}
