"""The admin API against its OpenAPI description (admin/openapi.json):
every route in admin/routes_*.c is described and every described operation
exists; then a running kelpd answers each operation with a status the
description lists and a body that validates against its schema."""
import json
import re
import sys
import time
import urllib.error
import urllib.request

import jsonschema
from confluent_kafka import Consumer, Producer, TopicPartition

srcdir, bootstrap, admin = sys.argv[1:4]
spec = json.load(open(srcdir + "/admin/openapi.json"))
checked = []


def fail(what):
    print("FAIL: " + what, flush=True)
    sys.exit(1)


# --- the description itself ---
if not spec.get("openapi", "").startswith("3.1."):
    fail("openapi.json is not OpenAPI 3.1")
for name, schema in spec["components"]["schemas"].items():
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        fail("schema %s is not valid JSON Schema: %s" % (name, e.message))

# --- routes in the source against described operations ---
routes = set()
for path in sorted(__import__("glob").glob(srcdir + "/admin/routes_*.c")):
    text = open(path).read()
    macros = dict(re.findall(r'#define\s+(\w+)\s+"([^"]*)"', text))
    for method, target in re.findall(r'\{"(GET|POST|PUT|DELETE|PATCH)",\s*("[^"]*"|\w+)', text):
        target = target.strip('"') if target.startswith('"') else macros.get(target)
        if target is None:
            fail("%s: a route path the test cannot resolve" % path)
        routes.add((method.lower(), target))
described = set()
for template, ops in spec["paths"].items():
    for method in ops:
        if method in ("get", "put", "post", "delete", "patch"):
            # /v1/topics/{name} is served by the prefix route /v1/topics/.
            described.add((method, re.sub(r"\{[^}]+\}.*$", "", template)))
if routes != described:
    fail("routes without a description: %s; descriptions without a route: %s"
         % (sorted(routes - described), sorted(described - routes)))
checked.append("%d routes described" % len(routes))


# --- live answers ---
def resolve(schema):
    return jsonschema.Draft202012Validator(schema, resolver=jsonschema.RefResolver("", spec))


def call(method, path, template, body=None, want=None):
    data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
    req = urllib.request.Request("http://" + admin + path, data=data, method=method.upper(),
                                 headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, ctype, raw = r.status, r.headers.get("Content-Type"), r.read()
    except urllib.error.HTTPError as e:
        status, ctype, raw = e.code, e.headers.get("Content-Type"), e.read()
    responses = spec["paths"][template][method]["responses"]
    if str(status) not in responses:
        fail("%s %s answered %d, which the description does not list (%s)" % (method, path, status, sorted(responses)))
    if want is not None and status != want:
        fail("%s %s answered %d, expected %d: %s" % (method, path, status, want, raw[:300]))
    media = responses[str(status)]["content"]
    if ctype not in media:
        fail("%s %s answered %s, described as %s" % (method, path, ctype, sorted(media)))
    doc = json.loads(raw)
    errors = sorted(resolve(media[ctype]["schema"]).iter_errors(doc), key=str)
    if errors:
        fail("%s %s (%d) does not match its schema: %s at %s" % (method, path, status, errors[0].message,
                                                                 list(errors[0].absolute_path)))
    checked.append("%s %s %d" % (method.upper(), path, status))
    return doc


call("get", "/healthz", "/healthz", want=200)
call("get", "/v1/config", "/v1/config", want=200)
cfg = call("put", "/v1/config", "/v1/config", {"default_partitions": 3}, want=200)
if cfg["default_partitions"] != 3:
    fail("PUT /v1/config did not apply")
call("put", "/v1/config", "/v1/config", {"default_partitions": 0}, want=400)
call("put", "/v1/config", "/v1/config", b"not json", want=400)

topic = call("post", "/v1/topics", "/v1/topics", {"name": "api", "partitions": 2, "configs": {"retention.ms": 3600000}},
             want=201)
if [p["partition"] for p in topic["partitions"]] != [0, 1] or topic["overrides"] != ["retention.ms"]:
    fail("the created topic: %s" % topic)
call("post", "/v1/topics", "/v1/topics", {"name": "api", "partitions": 2}, want=409)
call("post", "/v1/topics", "/v1/topics", {"name": "../etc", "partitions": 2}, want=400)
call("post", "/v1/topics", "/v1/topics", {"name": "ok", "partitions": 0}, want=400)

prod = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True})
for i in range(100):
    prod.produce("api", key=b"%d" % i, value=b"v", partition=i % 2)
if prod.flush(30) != 0:
    fail("records undelivered")
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "api-group", "enable.auto.commit": False})
c.commit(offsets=[TopicPartition("api", 0, 30), TopicPartition("api", 1, 50)], asynchronous=False)
c.close()

listed = call("get", "/v1/topics", "/v1/topics", want=200)
summary = [t for t in listed["topics"] if t["name"] == "api"]
if not summary or summary[0]["offset_span"] != 100 or summary[0]["partitions"] != 2:
    fail("GET /v1/topics: %s" % listed)
detail = call("get", "/v1/topics/api", "/v1/topics/{name}", want=200)
if sum(p["log_end_offset"] for p in detail["partitions"]) != 100:
    fail("GET /v1/topics/api: %s" % detail["partitions"])
strategy = "io.confluent.kafka.serializers.subject.TopicNameStrategy"
if detail["configs"]["confluent.value.subject.name.strategy"] != strategy:
    fail("a config value is cut short: %r" % detail["configs"]["confluent.value.subject.name.strategy"])
call("get", "/v1/topics/nothing-here", "/v1/topics/{name}", want=404)
producers = call("get", "/v1/topics/api/producers", "/v1/topics/{name}/producers", want=200)
seen = [(p["partition"], [(s["last_sequence"], s["current_txn_start_offset"]) for s in p["producers"]])
        for p in producers["partitions"]]
if seen != [(0, [(49, -1)]), (1, [(49, -1)])]:
    fail("GET /v1/topics/api/producers: %s" % producers)
if len({s["producer_id"] for p in producers["partitions"] for s in p["producers"]}) != 1:
    fail("one idempotent producer wrote both partitions: %s" % producers)
call("get", "/v1/topics/nothing-here/producers", "/v1/topics/{name}/producers", want=404)

groups = call("get", "/v1/groups", "/v1/groups", want=200)
if "api-group" not in [g["group_id"] for g in groups["groups"]]:
    fail("GET /v1/groups: %s" % groups)
group = call("get", "/v1/groups/api-group", "/v1/groups/{group_id}", want=200)
if group["total_lag"] != 20 + 0 or sorted((o["partition"], o["lag"]) for o in group["offsets"]) != [(0, 20), (1, 0)]:
    fail("GET /v1/groups/api-group lag: %s" % group)
call("get", "/v1/groups/nobody", "/v1/groups/{group_id}", want=404)

ls = call("get", "/v1/listeners", "/v1/listeners", want=200)["listeners"]
if [l["name"] for l in ls] != ["MAIN"] or ls[0]["bound"] != bootstrap:
    fail("GET /v1/listeners: %s" % ls)
d = call("get", "/v1/drain", "/v1/drain", want=200)
if d["draining"]:
    fail("a drain before any was asked for")
if not call("post", "/v1/drain", "/v1/drain", want=202)["draining"]:
    fail("POST /v1/drain did not start a drain")
if call("delete", "/v1/drain", "/v1/drain", want=200)["draining"]:
    fail("DELETE /v1/drain did not end it")

call("delete", "/v1/topics/api", "/v1/topics/{name}", want=200)
call("delete", "/v1/topics/api", "/v1/topics/{name}", want=404)
print("ok: " + "; ".join(checked), flush=True)
