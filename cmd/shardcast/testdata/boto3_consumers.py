"""Enhanced fan-out with boto3: create a one-shard stream, register a
consumer and wait until it is ACTIVE, list and describe it, put records,
read them with subscribe_to_shard (botocore's event-stream parser) from
TRIM_HORIZON, check that a second subscription is refused, then deregister
the consumer. Endpoint, stream and credentials come from the environment;
one JSON line is printed, the outcome."""
import json
import os
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def main():
    stream = os.environ["STREAM"]
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=os.environ["SHARDCAST_URL"],
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    kinesis.create_stream(StreamName=stream, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="py")["Consumer"]
    carn = consumer["ConsumerARN"]
    for _ in range(1000):
        d = kinesis.describe_stream_consumer(ConsumerARN=carn)["ConsumerDescription"]
        if d["ConsumerStatus"] == "ACTIVE":
            break
        time.sleep(0.02)
    else:
        raise RuntimeError("consumer not ACTIVE")
    listed = kinesis.list_stream_consumers(StreamARN=arn)["Consumers"]
    if [c["ConsumerARN"] for c in listed] != [carn] or d["StreamARN"] != arn:
        raise RuntimeError(f"list_stream_consumers answered {listed}")

    sent = []
    batch = [{"PartitionKey": f"k{i}", "Data": f"py-{i:03d}".encode()} for i in range(30)]
    if kinesis.put_records(StreamName=stream, Records=batch)["FailedRecordCount"] != 0:
        raise RuntimeError("put_records failed")
    sent += [b["Data"].decode() for b in batch]

    got = []
    out = kinesis.subscribe_to_shard(ConsumerARN=carn, ShardId="shardId-000000000000",
                                     StartingPosition={"Type": "TRIM_HORIZON"})
    try:
        kinesis.subscribe_to_shard(ConsumerARN=carn, ShardId="shardId-000000000000",
                                   StartingPosition={"Type": "LATEST"})
        raise RuntimeError("a second subscription was accepted")
    except ClientError as e:
        if e.response["Error"]["Code"] != "ResourceInUseException":
            raise
    for event in out["EventStream"]:
        ev = event["SubscribeToShardEvent"]
        got += [r["Data"].decode() for r in ev["Records"]]
        if not ev.get("ContinuationSequenceNumber"):
            raise RuntimeError("no ContinuationSequenceNumber")
        if len(got) >= len(sent):
            break
    out["EventStream"].close()
    kinesis.deregister_stream_consumer(ConsumerARN=carn)
    print(json.dumps({"boto3": boto3.__version__, "sent": sent, "got": got, "shards": 1}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the Go test reads the outcome from stdout
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
