// The browser side of the CORS test, bundled by esbuild into one script: a
// page on one origin runs the put/get flow against shardcast on another and
// posts the outcome to its own origin's /result.
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { putGet } from './flow.mjs';

window.runPutGet = async (endpoint, stream, credentials) => {
  const client = new KinesisClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  try {
    return await putGet(client, stream);
  } catch (e) {
    return { error: `${e.name}: ${e.message}` };
  }
};
