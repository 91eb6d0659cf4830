// Runs the put/get flow under node with the SDK's default client (for
// Kinesis: HTTP/2 with prior knowledge, even to an http:// endpoint).
// Endpoint, stream and credentials come from the environment; one JSON line
// is printed, the outcome.
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { putGet } from './flow.mjs';

const client = new KinesisClient({
  endpoint: process.env.SHARDCAST_URL,
  region: 'us-east-1',
  maxAttempts: 1,
});
try {
  const handler = client.config.requestHandler.constructor.name;
  const out = await putGet(client, process.env.STREAM);
  console.log(JSON.stringify({ handler, ...out }));
} catch (e) {
  console.log(JSON.stringify({ error: `${e.name}: ${e.message}`, code: e.code ?? e.cause?.code ?? '' }));
  process.exitCode = 1;
} finally {
  client.destroy();
}
