#!/usr/bin/env python3
"""Checks an OTLP/HTTP JSON logs payload against the protobuf schema.

Usage: scripts/check-otlp.py FILE

Parses FILE as an ExportLogsServiceRequest with protobuf's strict JSON parser (from the
PyPI package opentelemetry-proto), which rejects unknown fields and mistyped values. Before
that it checks what the parser cannot: no duplicate keys, no NaN/Infinity literals, and
traceId/spanId written as 32/16 hex digits (the OTLP JSON mapping's rule, where protobuf's
generic mapping expects base64; they are converted for the parser).

Prints the number of log records and exits 0, or prints the problem and exits 1.
"""

import base64
import json
import sys

from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

HEX = set("0123456789abcdefABCDEF")


def no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"duplicate key {key!r}")
        seen[key] = value
    return seen


def reject_constant(name):
    raise ValueError(f"non-standard JSON literal {name}")


def convert_id(record, field, digits):
    value = record.get(field)
    if value is None:
        return
    if not isinstance(value, str) or len(value) != digits or not set(value) <= HEX:
        raise ValueError(f"{field} must be {digits} hex digits, got {value!r}")
    record[field] = base64.b64encode(bytes.fromhex(value)).decode("ascii")


def main(argv):
    if len(argv) != 2:
        print("usage: check-otlp.py FILE", file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            text = f.read()
        doc = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=reject_constant)
        if not isinstance(doc, dict):
            raise ValueError("the payload is not a JSON object")
        records = 0
        for resource_logs in doc.get("resourceLogs", []):
            for scope_logs in resource_logs.get("scopeLogs", []):
                for record in scope_logs.get("logRecords", []):
                    convert_id(record, "traceId", 32)
                    convert_id(record, "spanId", 16)
                    records += 1
        request = ExportLogsServiceRequest()
        json_format.Parse(json.dumps(doc), request)
        parsed = sum(len(s.log_records) for r in request.resource_logs for s in r.scope_logs)
        if parsed != records:
            raise ValueError(f"parsed {parsed} log records, the JSON has {records}")
    except (OSError, ValueError, json_format.ParseError) as error:
        print(f"invalid OTLP logs payload: {error}", file=sys.stderr)
        return 1
    print(records)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
