"""Firehose with boto3: create_delivery_stream with an ExtendedS3
destination that delivers at once (IntervalInSeconds 0), put_record and
put_record_batch, describe_delivery_stream, list_delivery_streams, an
error, delete_delivery_stream. Endpoint, stream name and credentials come
from the environment; one JSON line is printed, the outcome ("got": one
entry a step)."""
import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def main():
    url, name = os.environ["SHARDCAST_URL"], os.environ["STREAM"]
    # botocore checks IntervalInSeconds >= 60 before sending; the server
    # takes 0 as AWS does.
    fh = boto3.client("firehose", endpoint_url=url, config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    got = []
    arn = fh.create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration={
            "BucketARN": "arn:aws:s3:::" + name, "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "CompressionFormat": "GZIP", "BufferingHints": {"SizeInMBs": 1, "IntervalInSeconds": 0},
        })["DeliveryStreamARN"]
    got.append(arn.split(":")[-1])
    d = fh.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    got.append(f"{d['DeliveryStreamStatus']} {d['VersionId']} {d['Destinations'][0]['DestinationId']}")
    got.append(str(bool(fh.put_record(DeliveryStreamName=name, Record={"Data": b"boto3-0\n"})["RecordId"])))
    out = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": f"boto3-{i}\n".encode()} for i in range(1, 11)])
    got.append(f"batch {out['FailedPutCount']} {len(out['RequestResponses'])}")
    got.append(" ".join(fh.list_delivery_streams()["DeliveryStreamNames"]))
    try:
        fh.put_record(DeliveryStreamName="missing", Record={"Data": b"x"})
    except ClientError as e:
        got.append(e.response["Error"]["Code"])
    print(json.dumps({"boto3": boto3.__version__, "got": got}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the Go test reads the outcome from stdout
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
