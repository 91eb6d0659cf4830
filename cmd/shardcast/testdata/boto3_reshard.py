"""Resharding with boto3: split_shard, merge_shards and update_shard_count
on a PROVISIONED stream, waited out with the stream_exists waiter (the
server keeps a stream UPDATING for a while after each change, and refuses
a second change meanwhile); list_shards with every ShardFilter type, with
ExclusiveStartShardId and with MaxResults/NextToken; describe_stream
showing the closed shards; get_records to a closed shard's end (no
NextShardIterator, ChildShards); a closed shard that cannot be split again.
Endpoint, stream and credentials come from the environment; one JSON line
is printed, the outcome ("got": one entry a step)."""
import datetime
import json
import os
import sys
import time

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

MAX_KEY = 2**128 - 1


def sid(n):
    return f"shardId-{n:012d}"


def num(shard_id):
    return str(int(shard_id.rsplit("-", 1)[1]))


def status(kinesis, stream):
    s = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    return f"{s['StreamStatus']} {s['OpenShardCount']}"


def wait(kinesis, stream):
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    return status(kinesis, stream)


def code(call):
    try:
        call()
        return "accepted"
    except ClientError as e:
        return e.response["Error"]["Code"]


def list_ids(kinesis, stream, **kw):
    out = kinesis.list_shards(StreamName=stream, **kw)
    return ",".join(num(s["ShardId"]) for s in out["Shards"])


def read_to_end(kinesis, stream, shard):
    """Reads a closed shard from TRIM_HORIZON until GetRecords answers no
    NextShardIterator; returns the records' data and the children named."""
    it = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    data = []
    for _ in range(20):
        out = kinesis.get_records(ShardIterator=it)
        data += [r["Data"].decode() for r in out["Records"]]
        if "NextShardIterator" not in out or out["NextShardIterator"] is None:
            # botocore models ChildShards since 1.19 (Debian has 1.29); an
            # older model would drop the member, which the test reports.
            children = out.get("ChildShards")
            if children is None:
                raise RuntimeError("this botocore drops ChildShards")
            named = ",".join(f"{num(c['ShardId'])}:{'+'.join(num(p) for p in c['ParentShards'])}" for c in children)
            return f"end {num(shard)} {' '.join(data)} children {named}"
        it = out["NextShardIterator"]
    raise RuntimeError(f"shard {shard} has no end")


def main():
    stream = os.environ["STREAM"]
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=os.environ["SHARDCAST_URL"],
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    got = []
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1)
    kinesis.create_stream(StreamName=stream, ShardCount=2)
    got.append(wait(kinesis, stream))
    # One record in each shard, placed by explicit hash key.
    kinesis.put_records(StreamName=stream, Records=[
        {"PartitionKey": "a", "ExplicitHashKey": "50", "Data": b"a/0"},
        {"PartitionKey": "b", "ExplicitHashKey": str(2**127 + 5), "Data": b"b/0"},
    ])

    # Shard 0 splits into 2 (0..99) and 3 (100..2^127-1); meanwhile the
    # stream is UPDATING and a merge is refused.
    kinesis.split_shard(StreamName=stream, ShardToSplit=sid(0), NewStartingHashKey="100")
    got.append(status(kinesis, stream))
    got.append(code(lambda: kinesis.merge_shards(StreamName=stream, ShardToMerge=sid(1), AdjacentShardToMerge=sid(3))))
    got.append(wait(kinesis, stream))
    after_split = datetime.datetime.now(datetime.timezone.utc)
    time.sleep(1.1)  # the merge's child is created in a later second
    # Shards 1 and 3 merge into 4 (100..max).
    kinesis.merge_shards(StreamName=stream, ShardToMerge=sid(1), AdjacentShardToMerge=sid(3))
    got.append(wait(kinesis, stream))
    time.sleep(0.05)
    after_merge = datetime.datetime.now(datetime.timezone.utc)

    got.append("none " + list_ids(kinesis, stream))
    got.append("exclusive " + list_ids(kinesis, stream, ExclusiveStartShardId=sid(1)))
    for name, f in [
        ("AT_LATEST", {"Type": "AT_LATEST"}),
        ("AT_TRIM_HORIZON", {"Type": "AT_TRIM_HORIZON"}),
        ("FROM_TRIM_HORIZON", {"Type": "FROM_TRIM_HORIZON"}),
        ("AT_TIMESTAMP before", {"Type": "AT_TIMESTAMP", "Timestamp": before}),
        ("AT_TIMESTAMP split", {"Type": "AT_TIMESTAMP", "Timestamp": after_split}),
        ("AT_TIMESTAMP merge", {"Type": "AT_TIMESTAMP", "Timestamp": after_merge}),
        ("FROM_TIMESTAMP split", {"Type": "FROM_TIMESTAMP", "Timestamp": after_split}),
        ("FROM_TIMESTAMP merge", {"Type": "FROM_TIMESTAMP", "Timestamp": after_merge}),
        ("AFTER_SHARD_ID", {"Type": "AFTER_SHARD_ID", "ShardId": sid(2)}),
    ]:
        got.append(f"{name} " + list_ids(kinesis, stream, ShardFilter=f))
    # Pages of two shards, by NextToken.
    page = kinesis.list_shards(StreamName=stream, MaxResults=2)
    ids = [num(s["ShardId"]) for s in page["Shards"]]
    while page.get("NextToken"):
        page = kinesis.list_shards(NextToken=page["NextToken"], MaxResults=2)
        ids += [num(s["ShardId"]) for s in page["Shards"]]
    got.append("paged " + ",".join(ids))

    # describe_stream shows closed shards with their ranges and ends.
    shards = {s["ShardId"]: s for s in kinesis.describe_stream(StreamName=stream)["StreamDescription"]["Shards"]}
    got.append("closed " + ",".join(num(i) for i, s in shards.items() if "EndingSequenceNumber" in s["SequenceNumberRange"]))
    merged = shards[sid(4)]
    got.append(f"merged {num(merged['ParentShardId'])}+{num(merged['AdjacentParentShardId'])} "
               f"{merged['HashKeyRange']['StartingHashKey']}..{'max' if int(merged['HashKeyRange']['EndingHashKey']) == MAX_KEY else '?'}")

    got.append(read_to_end(kinesis, stream, sid(0)))
    got.append(read_to_end(kinesis, stream, sid(1)))
    got.append(code(lambda: kinesis.split_shard(StreamName=stream, ShardToSplit=sid(0), NewStartingHashKey="50")))

    # UpdateShardCount up and down, to even ranges.
    for target in (4, 2):
        out = kinesis.update_shard_count(StreamName=stream, TargetShardCount=target, ScalingType="UNIFORM_SCALING")
        got.append(f"scaled {out['CurrentShardCount']} {out['TargetShardCount']}")
        got.append(wait(kinesis, stream))
        open_shards = kinesis.list_shards(StreamName=stream, ShardFilter={"Type": "AT_LATEST"})["Shards"]
        starts = sorted(int(s["HashKeyRange"]["StartingHashKey"]) for s in open_shards)
        even = [i * ((MAX_KEY + 1) // target) for i in range(target)]
        got.append("even" if starts == even else f"uneven {starts}")
    print(json.dumps({"boto3": boto3.__version__, "got": got}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the Go test reads the outcome from stdout
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
