// The put/get flow the real-client tests run with the AWS SDK for
// JavaScript v3, under node and in a browser: create a stream, put records
// one at a time and in a batch, read them all back from their shards.
import {
  CreateStreamCommand, DescribeStreamSummaryCommand, ListShardsCommand, PutRecordCommand,
  PutRecordsCommand, GetShardIteratorCommand, GetRecordsCommand,
} from '@aws-sdk/client-kinesis';

const text = new TextEncoder();
const untext = new TextDecoder();

export async function putGet(client, stream) {
  await client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
  for (let i = 0; ; i++) {
    const d = await client.send(new DescribeStreamSummaryCommand({ StreamName: stream }));
    if (d.StreamDescriptionSummary.StreamStatus === 'ACTIVE') break;
    if (i === 200) throw new Error('stream not ACTIVE: ' + d.StreamDescriptionSummary.StreamStatus);
    await new Promise((ok) => setTimeout(ok, 50));
  }
  const sent = [];
  for (let i = 0; i < 3; i++) {
    const data = `single-${i}`;
    const r = await client.send(new PutRecordCommand({ StreamName: stream, PartitionKey: `key-${i}`, Data: text.encode(data) }));
    if (!r.SequenceNumber || !r.ShardId) throw new Error('PutRecord answered no SequenceNumber/ShardId');
    sent.push(data);
  }
  const batch = [];
  for (let i = 0; i < 5; i++) batch.push({ PartitionKey: `batch-${i}`, Data: text.encode(`batch-${i}`) });
  const pr = await client.send(new PutRecordsCommand({ StreamName: stream, Records: batch }));
  if (pr.FailedRecordCount !== 0) throw new Error('PutRecords failed ' + pr.FailedRecordCount + ' records');
  sent.push(...batch.map((b) => untext.decode(b.Data)));

  const got = [];
  const shards = await client.send(new ListShardsCommand({ StreamName: stream }));
  for (const shard of shards.Shards) {
    const it = await client.send(new GetShardIteratorCommand({
      StreamName: stream, ShardId: shard.ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
    let iterator = it.ShardIterator;
    for (let i = 0; i < 10 && iterator; i++) {
      const r = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
      for (const rec of r.Records) got.push(untext.decode(rec.Data));
      if (r.Records.length === 0) break;
      iterator = r.NextShardIterator;
    }
  }
  return { sent: sent.sort(), got: got.sort(), shards: shards.Shards.length };
}
