"""A lease table with boto3: create_table and the table_exists waiter
(allowed one DescribeTable: the table must be ACTIVE at once), the owner
index of KCL 3.x with update_table, leases created if absent (expression
and legacy forms, and their ConditionalCheckFailedException), a take with
Expected and AttributeUpdates, a stale take whose error carries the item
(ReturnValuesOnConditionCheckFailure ALL_OLD), a renew with expressions,
Scan and Query through paginators, parallel segments, a delete with
ALL_OLD, errors. Endpoint, table name and credentials come from the
environment; one JSON line is printed, the outcome ("got": one entry a
step).

Debian's botocore predates ReturnValuesOnConditionCheckFailure: for the
one call that uses it, the member is added to the request body and the
error's Item read from the answer, as newer botocore releases do."""
import json
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError


def with_item_on_failure(ddb):
    """Sends ReturnValuesOnConditionCheckFailure ALL_OLD on UpdateItem and
    puts the failed check's Item into the error's response."""
    def before(params, **_):
        body = json.loads(params["body"])
        body["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        params["body"] = json.dumps(body).encode()

    def after(http_response, parsed, **_):
        if http_response.status_code >= 300:
            parsed["Item"] = json.loads(http_response.content).get("Item")

    ddb.meta.events.register("before-call.dynamodb.UpdateItem", before)
    ddb.meta.events.register("after-call.dynamodb.UpdateItem", after)
    return lambda: (ddb.meta.events.unregister("before-call.dynamodb.UpdateItem", before),
                    ddb.meta.events.unregister("after-call.dynamodb.UpdateItem", after))


def code(call):
    try:
        call()
    except ClientError as e:
        return e
    raise AssertionError("the call succeeded")


def main():
    url, name = os.environ["SHARDCAST_URL"], os.environ["STREAM"]
    ddb = boto3.client("dynamodb", endpoint_url=url, config=Config(retries={"max_attempts": 1}))
    got = []
    d = ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         KeySchema=[{"AttributeName": "leaseKey", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "leaseKey", "AttributeType": "S"}])
    got.append(d["TableDescription"]["TableStatus"])
    ddb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 20, "MaxAttempts": 1})
    got.append("waited")
    ddb.update_table(TableName=name,
                     AttributeDefinitions=[{"AttributeName": "leaseOwner", "AttributeType": "S"},
                                           {"AttributeName": "leaseKey", "AttributeType": "S"}],
                     GlobalSecondaryIndexUpdates=[{"Create": {
                         "IndexName": "LeaseOwnerToLeaseKeyIndex",
                         "KeySchema": [{"AttributeName": "leaseOwner", "KeyType": "HASH"},
                                       {"AttributeName": "leaseKey", "KeyType": "RANGE"}],
                         "Projection": {"ProjectionType": "KEYS_ONLY"}}}])
    g = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"][0]
    got.append(f"{g['IndexName']} {g['IndexStatus']}")

    def lease(i):
        item = {"leaseKey": {"S": f"shardId-{i:012d}"}, "leaseCounter": {"N": "0"},
                "checkpoint": {"S": "TRIM_HORIZON"}, "checkpointSubSequenceNumber": {"N": "0"},
                "ownerSwitchesSinceCheckpoint": {"N": "0"}}
        if i % 2:
            item["leaseOwner"] = {"S": "worker-1"}
        return item

    for i in range(10):
        ddb.put_item(TableName=name, Item=lease(i), ConditionExpression="attribute_not_exists(leaseKey)")
    e = code(lambda: ddb.put_item(TableName=name, Item=lease(0), ConditionExpression="attribute_not_exists(leaseKey)"))
    got.append(f"ccf put {e.response['Error']['Code']} {e.response['Error']['Message']}")
    e = code(lambda: ddb.put_item(TableName=name, Item=lease(0), Expected={"leaseKey": {"Exists": False}}))
    got.append(f"ccf expected {e.response['Error']['Code']}")

    key = {"leaseKey": {"S": "shardId-000000000000"}}

    def take():
        return ddb.update_item(TableName=name, Key=key, Expected={"leaseCounter": {"Value": {"N": "0"}}},
                               AttributeUpdates={"leaseCounter": {"Action": "ADD", "Value": {"N": "1"}},
                                                 "leaseOwner": {"Action": "PUT", "Value": {"S": "worker-1"}}},
                               ReturnValues="ALL_NEW")

    a = take()["Attributes"]
    got.append(f"taken {a['leaseCounter']['N']} {a['leaseOwner']['S']}")
    done = with_item_on_failure(ddb)
    e = code(take)
    done()
    item = e.response.get("Item") or {}
    got.append(f"ccf item {item.get('leaseCounter', {}).get('N')} {item.get('leaseOwner', {}).get('S')}")
    a = ddb.update_item(TableName=name, Key=key, UpdateExpression="ADD leaseCounter :one",
                        ConditionExpression="leaseCounter = :n AND leaseOwner = :o",
                        ExpressionAttributeValues={":one": {"N": "1"}, ":n": {"N": "1"}, ":o": {"S": "worker-1"}},
                        ReturnValues="UPDATED_NEW")["Attributes"]
    got.append(f"renewed {a['leaseCounter']['N']}")

    pages = list(ddb.get_paginator("scan").paginate(TableName=name, ConsistentRead=True,
                                                      PaginationConfig={"PageSize": 3}))
    got.append(f"scan {sum(len(p['Items']) for p in pages)} pages {len(pages)}")
    n = 0
    for s in range(3):
        for p in ddb.get_paginator("scan").paginate(TableName=name, Segment=s, TotalSegments=3):
            n += len(p["Items"])
    got.append(f"segments {n}")
    old = ddb.delete_item(TableName=name, Key=key, ReturnValues="ALL_OLD",
                          ConditionExpression="attribute_exists(leaseKey)")["Attributes"]
    got.append(f"deleted {old['leaseOwner']['S']}")
    pages = list(ddb.get_paginator("query").paginate(
        TableName=name, IndexName="LeaseOwnerToLeaseKeyIndex", KeyConditionExpression="leaseOwner = :o",
        ExpressionAttributeValues={":o": {"S": "worker-1"}}, PaginationConfig={"PageSize": 2}))
    got.append(f"query {sum(len(p['Items']) for p in pages)} pages {len(pages)}")

    e = code(lambda: ddb.describe_table(TableName="missing-table"))
    got.append(e.response["Error"]["Code"])
    e = code(lambda: ddb.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": lease(99)}}]}))
    got.append(f"unsupported {e.response['Error']['Code']}")
    print(json.dumps({"boto3": boto3.__version__, "got": got}))


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # the Go test reads the outcome from stdout
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        sys.exit(1)
