/**
 * Writes classic libpcap files (magic a1b2c3d4, microsecond stamps) holding IPv4/UDP packets,
 * for tshark cross-checks: encode a PDU, wrap it in UDP, let tshark judge it.
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
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(262144, 16); // snaplen
  gh.writeUInt32LE(LINKTYPE[linkType], 20);
  const parts: Buffer[] = [gh];
  packets.forEach((p, i) => {
    const ip = ipv4Udp(p, i + 1);
    const frame = linkType === 'ethernet' ? Buffer.concat([ETH_HEADER, ip]) : ip;
    const t = p.time ?? 1_700_000_000 + i;
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(Math.floor(t), 0);
    rh.writeUInt32LE(Math.round((t - Math.floor(t)) * 1e6) % 1e6, 4);
    rh.writeUInt32LE(frame.length, 8);
    rh.writeUInt32LE(frame.length, 12);
    parts.push(rh, frame);
  });
  return Buffer.concat(parts);
}

/** Writes the pcap to `file` and returns the path. */
export function writePcap(file: string, packets: readonly UdpPacket[], linkType: LinkType = 'ethernet'): string {
  writeFileSync(file, buildPcap(packets, linkType));
  return file;
}
