// Enhanced fan-out under node with the SDK's default client (HTTP/2 with
// prior knowledge to an http:// endpoint): create a one-shard stream,
// register a consumer, wait until it is ACTIVE, subscribe at LATEST and
// receive every record put meanwhile, subscribing again from the last
// ContinuationSequenceNumber whenever a subscription ends. Prints one JSON
// line: sent and got (in order), and in "shards" the number of subscriptions.
import {
  KinesisClient, CreateStreamCommand, DescribeStreamSummaryCommand, RegisterStreamConsumerCommand,
  DescribeStreamConsumerCommand, SubscribeToShardCommand, PutRecordsCommand,
} from '@aws-sdk/client-kinesis';

const client = new KinesisClient({
  endpoint: process.env.SHARDCAST_URL,
  region: 'us-east-1',
  maxAttempts: 1,
});
const stream = process.env.STREAM;
const text = new TextEncoder();
const untext = new TextDecoder();
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
const N = 100;

async function waitFor(what, check) {
  for (let i = 0; i < 1000; i++) {
    if (await check()) return;
    await sleep(20);
  }
  throw new Error(what);
}

try {
  const handler = client.config.requestHandler.constructor.name;
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 1 }));
  let streamARN;
  await waitFor('stream not ACTIVE', async () => {
    const d = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    streamARN = d.StreamDescriptionSummary.StreamARN;
    return d.StreamDescriptionSummary.StreamStatus === 'ACTIVE';
  });
  const reg = await client.send(new RegisterStreamConsumerCommand({ StreamARN: streamARN, ConsumerName: 'js' }));
  const consumerARN = reg.Consumer.ConsumerARN;
  await waitFor('consumer not ACTIVE', async () => {
    const d = await client.send(new DescribeStreamConsumerCommand({ ConsumerARN: consumerARN }));
    return d.ConsumerDescription.ConsumerStatus === 'ACTIVE';
  });

  const got = [];
  let subscriptions = 0;
  let continuation = null;
  let ready;
  const started = new Promise((ok) => { ready = ok; });
  const reader = (async () => {
    while (got.length < N) {
      const StartingPosition = continuation
        ? { Type: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: continuation }
        : { Type: 'LATEST' };
      const out = await client.send(new SubscribeToShardCommand({ ConsumerARN: consumerARN, ShardId: 'shardId-000000000000', StartingPosition }));
      subscriptions++;
      for await (const ev of out.EventStream) {
        const e = ev.SubscribeToShardEvent;
        if (!e) throw new Error('unexpected event ' + JSON.stringify(Object.keys(ev)));
        for (const r of e.Records) got.push(untext.decode(r.Data));
        if (!e.ContinuationSequenceNumber) throw new Error('no ContinuationSequenceNumber in an open shard');
        continuation = e.ContinuationSequenceNumber;
        ready();
        if (got.length >= N) break;
      }
    }
  })();
  await Promise.race([started, reader]);

  const sent = [];
  for (let b = 0; b < N / 10; b++) {
    const Records = [];
    for (let i = 0; i < 10; i++) {
      const d = `js-${String(b * 10 + i).padStart(4, '0')}`;
      sent.push(d);
      Records.push({ PartitionKey: d, Data: text.encode(d) });
    }
    const pr = await client.send(new PutRecordsCommand({ StreamName: stream, Records }));
    if (pr.FailedRecordCount !== 0) throw new Error('PutRecords failed ' + pr.FailedRecordCount + ' records');
    await sleep(250); // the puts span more than a subscription lifetime (2s)
  }
  await reader;
  console.log(JSON.stringify({ handler, sent, got, shards: subscriptions }));
} catch (e) {
  console.log(JSON.stringify({ error: `${e.name}: ${e.message}`, code: e.code ?? e.cause?.code ?? '' }));
  process.exitCode = 1;
} finally {
  client.destroy();
}
