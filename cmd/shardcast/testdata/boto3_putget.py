"""The put/get flow of the real-client tests, with boto3: create a stream,
put records one at a time and in a batch, read them all back. Endpoint,
stream and credentials come from the environment; one JSON line is printed,
the outcome."""
import json
import os
import sys
import time

import boto3
from botocore.config import Config


def main():
    stream = os.environ["STREAM"]
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=os.environ["SHARDCAST_URL"],
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    kinesis.create_stream(StreamName=stream, ShardCount=2)
    for _ in range(200):
        summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
        if summary["StreamStatus"] == "ACTIVE":
            break
        time.sleep(0.05)
    else:
        raise RuntimeError("stream not ACTIVE")
    sent = []
    for i in range(3):
        data = f"single-{i}".encode()
        r = kinesis.put_record(StreamName=stream, PartitionKey=f"key-{i}", Data=data)
        if not r.get("SequenceNumber") or not r.get("ShardId"):
            raise RuntimeError(f"put_record answered {r}")
        sent.append(data.decode())
    batch = [{"PartitionKey": f"batch-{i}", "Data": f"batch-{i}".encode()} for i in range(5)]
    r = kinesis.put_records(StreamName=stream, Records=batch)
    if r["FailedRecordCount"] != 0:
        raise RuntimeError(f"put_records failed {r['FailedRecordCount']} records")
    sent += [b["Data"].decode() for b in batch]

    got = []
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    for shard in shards:
        it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard["ShardId"],
                                        ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        for _ in range(10):
            r = kinesis.get_records(ShardIterator=it, Limit=100)
            got += [rec["Data"].decode() for rec in r["Records"]]
            if not r["Records"] or not r.get("NextShardIterator"):
                break
            it = r["NextShardIterator"]
    print(json.dumps({"boto3": boto3.__version__, "sent": sorted(sent), "got": sorted(got), "shards": len(shards)}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the Go test reads the outcome from stdout
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
