"""A Firehose transform function as people write them for AWS Lambda,
served over HTTP the way shardcast calls one.

The handler is plain Lambda code: it reads event["records"], returns one
result per recordId. Records whose JSON has "action": "drop" are Dropped,
records that are not JSON fail, and the others get a "processed" field and
a partition key from their "customer" field.

serve() runs it as a small HTTP service: POST the event, get the result.
It prints the port it listens on, then serves until killed.
"""

import base64
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


def lambda_handler(event, context):
    output = []
    for record in event["records"]:
        payload = base64.b64decode(record["data"])
        try:
            doc = json.loads(payload)
        except ValueError:
            output.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]})
            continue
        if doc.get("action") == "drop":
            output.append({"recordId": record["recordId"], "result": "Dropped", "data": record["data"]})
            continue
        doc["processed"] = True
        doc["arrival_ms"] = record["approximateArrivalTimestamp"]
        data = base64.b64encode((json.dumps(doc, separators=(",", ":")) + "\n").encode()).decode()
        output.append({
            "recordId": record["recordId"],
            "result": "Ok",
            "data": data,
            "metadata": {"partitionKeys": {"customer": str(doc.get("customer", "unknown"))}},
        })
    return {"records": output}


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        try:
            result = lambda_handler(json.loads(body), None)
            status, out = 200, json.dumps(result).encode()
        except Exception as e:  # what Lambda reports for an unhandled error
            status, out = 200, json.dumps({"errorMessage": str(e), "errorType": type(e).__name__}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


def serve():
    server = HTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve()
