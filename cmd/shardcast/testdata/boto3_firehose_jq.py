"""Firehose with boto3: create_delivery_stream with the
ExtendedS3DestinationConfiguration given as JSON in $CONFIG (dynamic
partitioning, processors), then put_record_batch of the records in $RECORDS
(a JSON list of strings). Endpoint, stream name and credentials come from
the environment; one JSON line is printed, the outcome ("got": one entry a
step)."""
import json
import os
import sys

import boto3
from botocore.config import Config


def main():
    url, name = os.environ["SHARDCAST_URL"], os.environ["STREAM"]
    # botocore checks IntervalInSeconds >= 60 before sending; the server
    # takes 0 as AWS does.
    fh = boto3.client("firehose", endpoint_url=url, config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    got = []
    arn = fh.create_delivery_stream(DeliveryStreamName=name,
                                    ExtendedS3DestinationConfiguration=json.loads(os.environ["CONFIG"]))["DeliveryStreamARN"]
    got.append(arn.split(":")[-1])
    records = json.loads(os.environ["RECORDS"])
    out = fh.put_record_batch(DeliveryStreamName=name, Records=[{"Data": r.encode()} for r in records])
    got.append(f"batch {out['FailedPutCount']} {len(out['RequestResponses'])}")
    print(json.dumps({"boto3": boto3.__version__, "got": got}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the Go test reads the outcome from stdout
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
