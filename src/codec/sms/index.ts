/**
 * SMS codec for WDP over SMS (3GPP TS 23.040; WAP-259 WDP): pure Buffer <-> values.
 *
 *   decodeUserDataWithHeader(ud) / encodeUdh(ies)      UDH IEs: ports 0x04/0x05, concatenation 0x00/0x08
 *   splitWdp(payload, {dstPort, srcPort, ref, refBits, maxParts}) -> user data of <= 140 octets each
 *   reassemble(userData[])                              concatenated parts joined in sequence order
 *   decodeTpdu(buf)                                     SMS-DELIVER / SMS-SUBMIT (§9.2.2)
 */
export * from './udh';
export * from './tpdu';
