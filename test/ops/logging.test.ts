import t from 'tap';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/core/logger';

function capture(redactPersonalData?: boolean) {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const logger = createLogger({ level: 'info', ...(redactPersonalData === undefined ? {} : { redactPersonalData }), destination });
  return { logger, lines };
}

const accessLine = {
  access: 'wsp',
  src: '10.0.0.7',
  msisdn: '+15550000001',
  imsi: '001010000000001',
  imeisv: '3520990017614823',
  method: 'POST',
  url: 'http://mmsc/mms',
  status: 200,
  subscriber: { msisdn: '+15550000001', imsi: '001010000000001' },
  mmsIn: { type: 'm-send-req', transactionId: 'T1', from: { msisdn: '+15550000001' } },
};

t.test('personal data is redacted by default, at any of the first three levels', async (t) => {
  const { logger, lines } = capture();
  logger.info(accessLine, 'wsp method');
  logger.child({ component: 'proxy' }).info({ msisdn: '+15550000001' }, 'child line');
  logger.child({ msisdn: '+15550000001' }).info('bound in a child');
  const [a, b, c] = lines;
  const text = JSON.stringify(lines);
  t.notMatch(text, /15550000001|001010000000001|3520990017614823/, 'no MSISDN, IMSI or IMEISV anywhere');
  t.equal(a?.msisdn, '[redacted]');
  t.equal(a?.imsi, '[redacted]');
  t.equal(a?.imeisv, '[redacted]');
  t.same(a?.subscriber, { msisdn: '[redacted]', imsi: '[redacted]' });
  t.same((a?.mmsIn as { from: unknown }).from, { msisdn: '[redacted]' });
  t.equal(a?.src, '10.0.0.7', 'the source IP stays');
  t.equal(a?.status, 200);
  t.equal(b?.msisdn, '[redacted]');
  t.equal(c?.msisdn, '[redacted]');
  t.same(accessLine.subscriber.msisdn, '+15550000001', 'the caller object is not modified');
});

t.test('log.redactPersonalData: false keeps them', async (t) => {
  const { logger, lines } = capture(false);
  logger.info(accessLine, 'wsp method');
  t.equal(lines[0]?.msisdn, '+15550000001');
  t.equal(lines[0]?.imsi, '001010000000001');
});
