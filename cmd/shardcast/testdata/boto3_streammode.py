"""Stream modes with boto3: create an ON_DEMAND stream, switch it to
PROVISIONED and back, and read StreamModeDetails from DescribeStream,
DescribeStreamSummary and (where the botocore model has it) ListStreams
after each step; a third switch
within 24 hours is refused. Endpoint, stream and credentials come from the
environment; one JSON line is printed, the outcome (got: one entry a step,
"<mode> <open shards>" or the error code)."""
import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def modes(kinesis, stream):
    described = kinesis.describe_stream(StreamName=stream)["StreamDescription"]
    summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
    seen = {described["StreamModeDetails"]["StreamMode"], summary["StreamModeDetails"]["StreamMode"]}
    # StreamSummaries came to botocore after Debian's 1.29: older models
    # drop the member, newer ones must see the same mode.
    for s in kinesis.list_streams().get("StreamSummaries", []):
        if s["StreamName"] == stream:
            seen.add(s["StreamModeDetails"]["StreamMode"])
    if len(seen) != 1:
        raise RuntimeError(f"the describes disagree: {seen}")
    return f"{seen.pop()} {summary['OpenShardCount']}"


def main():
    stream = os.environ["STREAM"]
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=os.environ["SHARDCAST_URL"],
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1, "mode": "standard"}),
    )
    kinesis.create_stream(StreamName=stream, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    kinesis.get_waiter("stream_exists").wait(StreamName=stream, WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    arn = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]["StreamARN"]
    got = [modes(kinesis, stream)]
    kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "PROVISIONED"})
    got.append(modes(kinesis, stream))
    kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    got.append(modes(kinesis, stream))
    try:
        kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "PROVISIONED"})
        got.append("accepted")
    except ClientError as e:
        got.append(e.response["Error"]["Code"])
    print(json.dumps({"boto3": boto3.__version__, "got": got}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the Go test reads the outcome from stdout
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
