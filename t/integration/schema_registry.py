"""Drives kelpd's Schema Registry: populate URL STATE, errors URL, verify URL STATE.

populate registers schemas with confluent-kafka-python's SchemaRegistryClient
and saves what the registry answered to STATE; verify (after a restart)
checks that the same subjects, versions and ids are still there. errors
checks Confluent's error codes over plain HTTP.
"""
import json
import socket
import sys
import urllib.error
import urllib.request

from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

CT = "application/vnd.schemaregistry.v1+json"

USER_V1 = json.dumps({"type": "record", "name": "User", "namespace": "t",
                      "fields": [{"name": "id", "type": "int"}]})
USER_V2 = json.dumps({"type": "record", "name": "User", "namespace": "t",
                      "fields": [{"name": "id", "type": "long"},
                                 {"name": "email", "type": ["null", "string"], "default": None}]})
USER_BAD = json.dumps({"type": "record", "name": "User", "namespace": "t",
                       "fields": [{"name": "id", "type": "long"}, {"name": "age", "type": "int"}]})
JSON_SCHEMA = json.dumps({"type": "object", "properties": {"n": {"type": "integer"}}})
PROTO = 'syntax = "proto3";\npackage t;\n\nmessage Order {\n  int64 id = 1;\n  string item = 2;\n}\n'


def check(cond, what):
    if not cond:
        raise SystemExit("FAIL: " + what)


def http(base, method, path, body=None, content_type=CT):
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method)
    if data is not None and content_type:
        req.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode(), r.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers.get("Content-Type")


def expect_error(base, method, path, status, code, body=None, content_type=CT):
    got, text, _ = http(base, method, path, body, content_type)
    check(got == status, f"{method} {path}: status {got}, wanted {status}: {text}")
    err = json.loads(text)
    check(err.get("error_code") == code and isinstance(err.get("message"), str),
          f"{method} {path}: {text}, wanted error_code {code}")


def populate(url, state_path):
    sr = SchemaRegistryClient({"url": url})
    check(sr.get_subjects() == [], "a new registry has subjects")
    id1 = sr.register_schema("users-value", Schema(USER_V1, "AVRO"))
    check(sr.register_schema("users-value", Schema(USER_V1, "AVRO")) == id1, "re-registration changed the id")
    spaced = json.dumps(json.loads(USER_V1), indent=4)
    raw = http(url, "POST", "/subjects/users-value/versions", {"schema": spaced})
    check(raw[0] == 200 and json.loads(raw[1]) == {"id": id1}, f"normalised re-registration: {raw}")
    check(raw[2].startswith(CT), f"content type {raw[2]}")
    id_other = sr.register_schema("other-value", Schema(USER_V1, "AVRO"))
    check(id_other == id1, "the same schema in another subject got another id")
    id2 = sr.register_schema("users-value", Schema(USER_V2, "AVRO"))
    check(id2 != id1, "a new version reused the id")
    try:
        sr.register_schema("users-value", Schema(USER_BAD, "AVRO"))
        check(False, "an incompatible schema was accepted")
    except SchemaRegistryError as e:
        check(e.http_status_code == 409 and e.error_code == 409, f"incompatible: {e}")
    check(sr.test_compatibility("users-value", Schema(USER_V2, "AVRO")) is True, "v2 not compatible with itself")
    check(sr.test_compatibility("users-value", Schema(USER_BAD, "AVRO")) is False, "bad schema compatible")

    latest = sr.get_latest_version("users-value")
    check(latest.version == 2 and latest.schema_id == id2, f"latest: {latest.version} {latest.schema_id}")
    check(json.loads(latest.schema.schema_str) == json.loads(USER_V2), "latest schema text")
    check(json.loads(sr.get_schema(id1).schema_str) == json.loads(USER_V1), "schema by id")
    found = sr.lookup_schema("users-value", Schema(USER_V1, "AVRO"))
    check(found.version == 1 and found.schema_id == id1 and found.subject == "users-value", "lookup")
    check(sr.get_versions("users-value") == [1, 2], "versions")

    jid = sr.register_schema("json-value", Schema(JSON_SCHEMA, "JSON"))
    pid = sr.register_schema("orders-value", Schema(PROTO, "PROTOBUF"))
    check(len({id1, id2, jid, pid}) == 4, "ids collide")
    check(sr.get_schema(jid).schema_type == "JSON", "JSON type lost")
    got = sr.get_schema(pid)
    check(got.schema_type == "PROTOBUF" and got.schema_str == PROTO, "PROTOBUF schema changed")
    collapsed = " ".join(PROTO.split())
    check(sr.register_schema("orders-value", Schema(collapsed, "PROTOBUF")) == pid, "proto whitespace counted")

    # Levels: global, per subject; JSON is checked at every level.
    check(sr.get_compatibility() == "BACKWARD", "default level")
    sr.set_compatibility(level="FULL")
    check(sr.get_compatibility() == "FULL", "global level")
    sr.set_compatibility("json-value", "NONE")
    check(sr.get_compatibility("json-value") == "NONE", "subject level")
    j2 = sr.register_schema("json-value", Schema(json.dumps({"type": "object"}), "JSON"))
    check(j2 not in (jid,), "json v2")
    sr.set_compatibility("json-value", "BACKWARD")
    try:
        sr.register_schema("json-value", Schema(json.dumps({"type": "string"}), "JSON"))
        check(False, "an incompatible JSON schema was accepted")
    except SchemaRegistryError as e:
        check(e.http_status_code == 409 and e.error_code == 409, f"JSON check: {e}")
    try:  # what the JSON rules do not cover is refused rather than waved through
        sr.register_schema("json-value", Schema(json.dumps({"if": {}, "then": {}}), "JSON"))
        check(False, "an unchecked JSON schema was accepted")
    except SchemaRegistryError as e:
        check(e.error_code == 42201, f"JSON if/then: {e}")
    json_compat(url)
    proto_compat(url)

    # Deletes: soft, then permanent.
    tmp = sr.register_schema("tmp-value", Schema('"string"', "AVRO"))
    check(sr.delete_subject("tmp-value") == [1], "soft delete")
    check("tmp-value" not in sr.get_subjects(), "soft-deleted subject listed")
    status, text, _ = http(url, "GET", "/subjects?deleted=true")
    check("tmp-value" in json.loads(text), "deleted=true lacks the subject")
    status, text, _ = http(url, "DELETE", "/subjects/tmp-value?permanent=true")
    check(status == 200 and json.loads(text) == [1], f"permanent delete: {text}")
    sr.register_schema("tmp2-value", Schema('"string"', "AVRO"))
    sr.delete_subject("tmp2-value", permanent=True)  # the client soft-deletes first
    status, text, _ = http(url, "GET", "/subjects?deleted=true")
    check("tmp-value" not in json.loads(text) and "tmp2-value" not in json.loads(text),
          "permanent delete left the subject")
    expect_error(url, "GET", f"/schemas/ids/{tmp}", 404, 40403)

    # Subjects with characters a path cannot hold as such.
    odd = "a/b c%d"
    oid = sr.register_schema(odd, Schema(USER_V1, "AVRO"))
    check(oid == id1 and odd in sr.get_subjects(), "odd subject name")
    usage = json.loads(http(url, "GET", f"/schemas/ids/{id1}/versions")[1])
    check({"subject": odd, "version": 1} in usage and {"subject": "users-value", "version": 1} in usage,
          f"id usages: {usage}")

    state = {"ids": {"v1": id1, "v2": id2, "json": jid, "proto": pid},
             "subjects": sorted(sr.get_subjects()),
             "versions": {s: sr.get_versions(s) for s in sr.get_subjects()}}
    with open(state_path, "w") as f:
        json.dump(state, f)


def json_compat(url):
    # JSON Schema compatibility over raw HTTP: BACKWARD, then FULL_TRANSITIVE.
    s = "/subjects/jcompat-value/versions"
    status, text, _ = http(url, "PUT", "/config/jcompat-value", {"compatibility": "BACKWARD"})
    check(status == 200, f"PUT config: {text}")

    def obj(max_len, extra=None, closed=True):
        props = {"a": {"type": "string", "maxLength": max_len}}
        props.update(extra or {})
        o = {"type": "object", "properties": props}
        if closed:
            o["additionalProperties"] = False
        return json.dumps(o)

    status, text, _ = http(url, "POST", s, {"schema": obj(10), "schemaType": "JSON"})
    check(status == 200 and "id" in json.loads(text), f"JSON v1: {text}")
    # Relaxed maxLength and an optional property added to a closed model.
    v2 = obj(20, {"b": {"type": "integer"}})
    status, text, _ = http(url, "POST", s, {"schema": v2, "schemaType": "JSON"})
    check(status == 200, f"compatible JSON v2: {text}")
    status, text, _ = http(url, "POST", s, {"schema": obj(5, {"b": {"type": "integer"}}), "schemaType": "JSON"})
    err = json.loads(text)
    check(status == 409 and err["error_code"] == 409 and "maxLength" in err["message"], f"incompatible JSON: {text}")
    status, text, _ = http(url, "POST", "/compatibility/subjects/jcompat-value/versions/latest",
                           {"schema": obj(20, {"b": {"type": "string"}}), "schemaType": "JSON"})
    check(status == 200 and json.loads(text) == {"is_compatible": False}, f"JSON compatibility: {text}")
    status, text, _ = http(url, "POST", "/compatibility/subjects/jcompat-value/versions/latest",
                           {"schema": obj(30, {"b": {"type": "number"}}), "schemaType": "JSON"})
    check(status == 200 and json.loads(text) == {"is_compatible": True}, f"JSON compatibility: {text}")
    # Opening the content model relaxes it.
    status, text, _ = http(url, "POST", "/compatibility/subjects/jcompat-value/versions/latest",
                           {"schema": obj(20, {"b": {"type": "integer"}}, closed=False), "schemaType": "JSON"})
    check(status == 200 and json.loads(text) == {"is_compatible": True}, f"opening the model: {text}")
    expect_error(url, "POST", s, 422, 42201, {"schema": json.dumps({"$ref": "#/definitions/nope"}),
                                               "schemaType": "JSON"})
    # FULL_TRANSITIVE: v3 must match v1 and v2 both ways; a title change does.
    status, text, _ = http(url, "PUT", "/config/jcompat-value", {"compatibility": "FULL_TRANSITIVE"})
    check(status == 200, f"PUT config: {text}")
    status, text, _ = http(url, "POST", "/compatibility/subjects/jcompat-value/versions",
                           {"schema": v2, "schemaType": "JSON"})
    check(json.loads(text) == {"is_compatible": False}, f"FULL_TRANSITIVE against v1: {text}")
    status, text, _ = http(url, "POST", "/compatibility/subjects/jcompat-value/versions/latest",
                           {"schema": v2, "schemaType": "JSON"})
    check(json.loads(text) == {"is_compatible": True}, f"against the latest only: {text}")
    status, text, _ = http(url, "PUT", "/config/jcompat-value", {"compatibility": "FULL"})
    v3 = json.loads(v2)
    v3["title"] = "t"
    status, text, _ = http(url, "POST", s, {"schema": json.dumps(v3), "schemaType": "JSON"})
    check(status == 200, f"FULL JSON v3: {text}")


def proto_compat(url):
    # Protobuf compatibility over raw HTTP, under BACKWARD.
    s = "/subjects/pcompat-value/versions"
    status, text, _ = http(url, "PUT", "/config/pcompat-value", {"compatibility": "BACKWARD"})
    check(status == 200, f"PUT config: {text}")

    def proto(body):
        return 'syntax = "proto3";\npackage shop;\n\n' + body + "\n"

    v1 = proto("message Order {\n  int64 id = 1;\n  string item = 2;\n}")
    status, text, _ = http(url, "POST", s, {"schema": v1, "schemaType": "PROTOBUF"})
    check(status == 200 and "id" in json.loads(text), f"PROTOBUF v1: {text}")
    # A field renamed, one added, int64 -> uint64 and string -> bytes.
    v2 = proto("message Order {\n  uint64 order_id = 1;\n  bytes item = 2;\n  int32 qty = 3;\n}")
    status, text, _ = http(url, "POST", s, {"schema": v2, "schemaType": "PROTOBUF"})
    check(status == 200 and "id" in json.loads(text), f"compatible PROTOBUF v2: {text}")
    bad = proto("message Order {\n  uint64 order_id = 1;\n  bytes item = 2;\n  string qty = 3;\n}")
    status, text, _ = http(url, "POST", s, {"schema": bad, "schemaType": "PROTOBUF"})
    err = json.loads(text)
    check(status == 409 and err["error_code"] == 409 and "scalar type changed" in err["message"],
          f"incompatible PROTOBUF: {text}")
    status, text, _ = http(url, "POST", "/compatibility/subjects/pcompat-value/versions/latest",
                           {"schema": bad, "schemaType": "PROTOBUF"})
    check(status == 200 and json.loads(text) == {"is_compatible": False}, f"PROTOBUF compatibility: {text}")
    ok = proto("message Order {\n  uint64 order_id = 1;\n  bytes item = 2;\n  int64 qty = 3;\n}\n"
               "message Extra {\n  bool b = 1;\n}")
    status, text, _ = http(url, "POST", "/compatibility/subjects/pcompat-value/versions/latest",
                           {"schema": ok, "schemaType": "PROTOBUF"})
    check(status == 200 and json.loads(text) == {"is_compatible": True}, f"PROTOBUF compatibility: {text}")
    # Another subject's file cannot be checked: 42201, not a pass.
    expect_error(url, "POST", s, 422, 42201,
                 {"schema": 'syntax = "proto3";\npackage shop;\nimport "other.proto";\nmessage Order { int64 id = 1; }',
                  "schemaType": "PROTOBUF"})


def too_large(url):
    """A body over 1 MiB is refused from its Content-Length, before it is sent."""
    host, port = url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /subjects/x/versions HTTP/1.1\r\nHost: x\r\nContent-Type: " + CT.encode() +
                     b"\r\nContent-Length: " + str(2 << 20).encode() + b"\r\n\r\n")
        reply = b""
        while b"}" not in reply:
            chunk = sock.recv(4096)
            if not chunk:
                break
            reply += chunk
    check(reply.startswith(b"HTTP/1.1 413") and b'"error_code":413' in reply, f"oversized body: {reply[:200]}")


def errors(url):
    expect_error(url, "GET", "/subjects/nope/versions", 404, 40401)
    expect_error(url, "GET", "/subjects/users-value/versions/99", 404, 40402)
    expect_error(url, "GET", "/subjects/users-value/versions/abc", 422, 42202)
    expect_error(url, "GET", "/subjects/users-value/versions/0", 422, 42202)
    expect_error(url, "GET", "/schemas/ids/9999", 404, 40403)
    expect_error(url, "POST", "/subjects/users-value", 404, 40403, {"schema": '"bytes"'})
    expect_error(url, "POST", "/subjects/x/versions", 422, 42201, {"schema": "{not json"})
    expect_error(url, "POST", "/subjects/x/versions", 422, 42201, {"schema": '{"type": "recordx"}'})
    expect_error(url, "POST", "/subjects/x/versions", 422, 42201,
                 {"schema": '{"type":"record","name":"R","fields":[{"name":"a","type":"nosuch"}]}'})
    expect_error(url, "POST", "/subjects/x/versions", 422, 42201, {"schema": "[1]", "schemaType": "JSON"})
    expect_error(url, "POST", "/subjects/x/versions", 422, 42201, {"schema": "x", "schemaType": "XML"})
    expect_error(url, "POST", "/subjects/x/versions", 422, 42201, {})
    expect_error(url, "POST", "/subjects/x/versions", 400, 400, b"{garbage")
    expect_error(url, "POST", "/subjects/x/versions", 415, 415, {"schema": '"int"'}, "text/plain")
    too_large(url)
    expect_error(url, "PUT", "/config", 422, 42203, {"compatibility": "SIDEWAYS"})
    expect_error(url, "GET", "/config/users-value", 404, 40408)
    expect_error(url, "DELETE", "/config/nope", 404, 40401)
    expect_error(url, "DELETE", "/subjects/users-value?permanent=true", 404, 40405)
    expect_error(url, "DELETE", "/subjects/users-value/versions/1?permanent=true", 404, 40407)
    expect_error(url, "GET", "/nowhere", 404, 404)
    expect_error(url, "PUT", "/subjects", 405, 405)

    # Soft-deleted versions and subjects.
    sid = json.loads(http(url, "POST", "/subjects/del-value/versions", {"schema": '"int"'})[1])["id"]
    check(http(url, "DELETE", "/subjects/del-value/versions/1")[1] == "1", "soft version delete")
    expect_error(url, "DELETE", "/subjects/del-value/versions/1", 404, 40406)
    expect_error(url, "GET", "/subjects/del-value/versions/1", 404, 40401)
    status, text, _ = http(url, "GET", "/subjects/del-value/versions/1?deleted=true")
    check(status == 200 and json.loads(text)["id"] == sid, f"deleted=true version: {text}")
    expect_error(url, "DELETE", "/subjects/del-value", 404, 40404)
    check(http(url, "DELETE", "/subjects/del-value?permanent=true")[1] == "[1]", "permanent subject delete")
    expect_error(url, "DELETE", "/subjects/del-value", 404, 40401)

    # Everything else Confluent clients read.
    check(json.loads(http(url, "GET", "/schemas/types")[1]) == ["JSON", "PROTOBUF", "AVRO"], "types")
    check(json.loads(http(url, "GET", "/")[1]) == {}, "root")
    status, text, _ = http(url, "GET", "/subjects/users-value/versions/1/schema")
    check(status == 200 and json.loads(text) == json.loads(USER_V1), f"raw schema: {text}")
    status, text, _ = http(url, "GET", "/schemas/ids/1/schema")
    check(status == 200 and json.loads(text) == json.loads(USER_V1), f"raw schema by id: {text}")
    status, text, _ = http(url, "GET", "/subjects/users-value/versions/latest")
    v = json.loads(text)
    check(set(v) == {"subject", "version", "id", "schema"}, f"AVRO version carries {sorted(v)}")
    status, text, _ = http(url, "GET", "/subjects/orders-value/versions/1")
    check(json.loads(text).get("schemaType") == "PROTOBUF", "schemaType missing")
    status, text, _ = http(url, "PUT", "/config/users-value", {"compatibility": "none"})
    check(status == 200 and json.loads(text) == {"compatibility": "NONE"}, f"PUT config: {text}")
    status, text, _ = http(url, "DELETE", "/config/users-value")
    check(status == 200 and json.loads(text) == {"compatibilityLevel": "NONE"}, f"DELETE config: {text}")
    status, text, _ = http(url, "GET", "/config/users-value?defaultToGlobal=true")
    check(json.loads(text) == {"compatibilityLevel": "FULL"}, f"defaultToGlobal: {text}")
    status, text, _ = http(url, "POST", "/compatibility/subjects/users-value/versions/2",
                           {"schema": USER_V2}, "application/json")
    check(status == 200 and json.loads(text) == {"is_compatible": True}, f"compatibility v2: {text}")
    # FULL: v1 reads no long id.
    status, text, _ = http(url, "POST", "/compatibility/subjects/users-value/versions/2?verbose=true",
                           {"schema": USER_V1})
    v = json.loads(text)
    check(status == 200 and v["is_compatible"] is False and v["messages"], f"compatibility v1: {text}")
    expect_error(url, "POST", "/compatibility/subjects/users-value/versions/7", 404, 40402, {"schema": USER_V2})
    references(url)


ADDRESS = json.dumps({"type": "record", "name": "Address", "namespace": "refs",
                      "fields": [{"name": "street", "type": "string"}]})
PERSON = json.dumps({"type": "record", "name": "Person", "namespace": "refs",
                     "fields": [{"name": "home", "type": "Address"},
                                {"name": "work", "type": ["null", "refs.Address"], "default": None}]})
PERSON_BAD = json.dumps({"type": "record", "name": "Person", "namespace": "refs",
                         "fields": [{"name": "home", "type": "Address"}, {"name": "age", "type": "int"}]})


def references(url):
    """Schema references over plain HTTP; leaves no subject behind."""
    def post(path, body):
        status, text, _ = http(url, "POST", path, body)
        check(status == 200, f"POST {path}: {status} {text}")
        return json.loads(text)

    addr = post("/subjects/refs-address/versions", {"schema": ADDRESS})["id"]
    ref = {"name": "refs.Address", "subject": "refs-address", "version": 1}
    expect_error(url, "POST", "/subjects/refs-person/versions", 422, 42201,
                 {"schema": PERSON, "references": [dict(ref, version=5)]})
    expect_error(url, "POST", "/subjects/refs-person/versions", 422, 42201,
                 {"schema": PERSON, "references": [dict(ref, subject="refs-nope")]})
    expect_error(url, "POST", "/subjects/refs-person/versions", 422, 42201, {"schema": PERSON})
    # -1 is the latest version, stored as its number.
    person = post("/subjects/refs-person/versions", {"schema": PERSON, "references": [dict(ref, version=-1)]})["id"]
    check(person != addr, "a referencing schema has its own id")
    got = post("/subjects/refs-person", {"schema": PERSON, "references": [ref]})
    check(got["id"] == person and got["references"] == [ref], f"lookup with references: {got}")
    status, text, _ = http(url, "GET", "/subjects/refs-person/versions/1")
    check(status == 200 and json.loads(text)["references"] == [ref], f"stored references: {text}")
    status, text, _ = http(url, "GET", "/schemas/ids/%d" % person)
    check(status == 200 and json.loads(text)["references"] == [ref], f"references by id: {text}")
    status, text, _ = http(url, "GET", "/subjects/refs-address/versions/1/referencedby")
    check(status == 200 and json.loads(text) == [person], f"referencedby: {text}")
    status, text, _ = http(url, "GET", "/subjects/refs-person/versions/latest/referencedby")
    check(status == 200 and json.loads(text) == [], f"referencedby, none: {text}")
    expect_error(url, "GET", "/subjects/refs-address/versions/9/referencedby", 404, 40402)
    # Compatibility sees the referenced types (the global level is FULL here).
    status, text, _ = http(url, "POST", "/compatibility/subjects/refs-person/versions/latest",
                           {"schema": PERSON_BAD, "references": [ref]})
    check(status == 200 and json.loads(text)["is_compatible"] is False, f"compatibility with references: {text}")
    status, text, _ = http(url, "POST", "/compatibility/subjects/refs-person/versions/latest",
                           {"schema": PERSON, "references": [ref]})
    check(status == 200 and json.loads(text)["is_compatible"] is True, f"compatibility with references: {text}")
    expect_error(url, "POST", "/subjects/refs-person/versions", 409, 409,
                 {"schema": PERSON_BAD, "references": [ref]})
    # A referenced version cannot go, soft or permanently, while a schema uses it.
    for path in ("/subjects/refs-address/versions/1", "/subjects/refs-address"):
        status, text, _ = http(url, "DELETE", path)
        check(status == 422 and json.loads(text) == {
            "error_code": 42206,
            "message": "One or more references exist to the schema "
                       "{magic=1,keytype=SCHEMA,subject=refs-address,version=1}."}, f"DELETE {path}: {text}")
    # JSON Schema and Protobuf references.
    post("/subjects/refs-json-a/versions", {"schemaType": "JSON", "schema": json.dumps(
        {"type": "object", "properties": {"s": {"type": "string"}}, "required": ["s"]})})
    post("/subjects/refs-json-b/versions", {"schemaType": "JSON", "schema": json.dumps(
        {"type": "object", "properties": {"a": {"$ref": "a.json"}}}),
        "references": [{"name": "a.json", "subject": "refs-json-a", "version": 1}]})
    post("/subjects/refs-proto-a/versions", {"schemaType": "PROTOBUF",
                                             "schema": 'syntax = "proto3";\npackage r;\nmessage A { string s = 1; }\n'})
    post("/subjects/refs-proto-b/versions", {"schemaType": "PROTOBUF",
                                             "schema": 'syntax = "proto3";\npackage r;\nimport "r/a.proto";\n'
                                                       'message B { A a = 1; }\n',
                                             "references": [{"name": "r/a.proto", "subject": "refs-proto-a",
                                                             "version": 1}]})
    status, text, _ = http(url, "POST", "/compatibility/subjects/refs-proto-b/versions/latest", {
        "schemaType": "PROTOBUF",
        "schema": 'syntax = "proto3";\npackage r;\nimport "r/a.proto";\nmessage B { A a = 1; int32 n = 2; }\n',
        "references": [{"name": "r/a.proto", "subject": "refs-proto-a", "version": 1}]})
    check(status == 200 and json.loads(text)["is_compatible"] is True, f"Protobuf compatibility with references: {text}")
    # Users first, then what they use.
    for subject in ("refs-person", "refs-json-b", "refs-proto-b", "refs-address", "refs-json-a", "refs-proto-a"):
        for q in ("", "?permanent=true"):
            status, text, _ = http(url, "DELETE", "/subjects/" + subject + q)
            check(status == 200, f"DELETE {subject}{q}: {status} {text}")


def verify(url, state_path):
    with open(state_path) as f:
        state = json.load(f)
    sr = SchemaRegistryClient({"url": url})
    check(sorted(sr.get_subjects()) == state["subjects"], f"subjects: {sr.get_subjects()} vs {state['subjects']}")
    for subject, versions in state["versions"].items():
        check(sr.get_versions(subject) == versions, f"versions of {subject}")
    ids = state["ids"]
    latest = sr.get_latest_version("users-value")
    check(latest.version == 2 and latest.schema_id == ids["v2"], "latest after restart")
    check(sr.lookup_schema("users-value", Schema(USER_V1, "AVRO")).schema_id == ids["v1"], "lookup after restart")
    check(sr.get_schema(ids["proto"]).schema_str == PROTO, "proto after restart")
    check(sr.get_compatibility() == "FULL", "global level after restart")
    check(sr.get_compatibility("json-value") == "BACKWARD", "subject level after restart")
    # New ids continue past the old ones.
    new = sr.register_schema("fresh-value", Schema('"double"', "AVRO"))
    check(new > max(ids.values()), f"id {new} reuses an old one")
    check(sr.register_schema("users-value", Schema(USER_V2, "AVRO")) == ids["v2"], "re-registration after restart")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "populate":
        populate(sys.argv[2], sys.argv[3])
    elif cmd == "errors":
        errors(sys.argv[2])
    elif cmd == "verify":
        verify(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit("usage: schema_registry.py populate|errors|verify URL [STATE]")
    print(cmd, "ok")
