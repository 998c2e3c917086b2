#!/usr/bin/env python3
"""Generates C encoders and decoders for Kafka's protocol messages.

Reads Kafka's JSON message schemas (one file per message) and writes, for
every request, response and header, a C struct per message and nested struct
and four functions per struct: _init, _decode, _encode and _is_default.
Usage: kafka_codegen.py MESSAGES_DIR OUTPUT_DIR [TEST_FILE]
"""
import json
import os
import re
import sys

KEYWORDS = {"default", "int", "char", "long", "short", "float", "double", "signed", "unsigned",
            "struct", "union", "enum", "const", "static", "register", "return", "switch", "case",
            "break", "continue", "for", "while", "do", "if", "else", "goto", "sizeof", "typedef",
            "void", "volatile", "auto", "extern", "inline", "restrict", "bool"}

PRIMITIVES = {
    "bool": ("bool", "bool"), "int8": ("int8_t", "int8"), "int16": ("int16_t", "int16"),
    "uint16": ("uint16_t", "uint16"), "int32": ("int32_t", "int32"), "uint32": ("uint32_t", "uint32"),
    "int64": ("int64_t", "int64"), "float64": ("double", "float64"), "uuid": ("kw_uuid", "uuid"),
}
MAX_VERSION = 0x7fff


def strip_comments(text):
    out = []
    for line in text.split("\n"):
        i = line.find("//")
        out.append(line if i < 0 else line[:i])
    return "\n".join(out)


def parse_range(s):
    """'none', 'N', 'A-B', 'N+' -> (lo, hi) or None."""
    if s is None or s == "none":
        return None
    s = s.strip()
    if s.endswith("+"):
        return (int(s[:-1]), MAX_VERSION)
    if "-" in s:
        a, b = s.split("-")
        return (int(a), int(b))
    return (int(s), int(s))


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = s.lower()
    return s + "_" if s in KEYWORDS else s


def upper_snake(name):
    return snake(name).rstrip("_").upper()


def cond(rng, var="v"):
    """A C condition for 'var in rng' (None = never)."""
    if rng is None:
        return "0"
    lo, hi = rng
    parts = []
    if lo > 0:
        parts.append("%s >= %d" % (var, lo))
    if hi < MAX_VERSION:
        parts.append("%s <= %d" % (var, hi))
    return " && ".join(parts) if parts else "1"


def intersect(a, b):
    if a is None or b is None:
        return None
    lo, hi = max(a[0], b[0]), min(a[1], b[1])
    return (lo, hi) if lo <= hi else None


class Field:
    def __init__(self, js, msg, valid):
        self.js = js
        self.name = snake(js["name"])
        self.type = js["type"]
        self.versions = intersect(parse_range(js.get("versions")), valid)
        self.nullable = parse_range(js.get("nullableVersions"))
        self.tag = int(js["tag"]) if js.get("tag") is not None else None
        self.tagged = intersect(parse_range(js.get("taggedVersions")), valid) if self.tag is not None else None
        if self.tag is not None:
            self.versions = self.tagged
        flex = js.get("flexibleVersions")
        self.flex_override = parse_range(flex) if flex is not None else "inherit"
        self.default = js.get("default")
        self.is_array = self.type.startswith("[]")
        self.elem = self.type[2:] if self.is_array else self.type
        self.struct = None  # a StructDef for struct-typed fields
        self.msg = msg


class StructDef:
    def __init__(self, cname, fields_js, msg, valid):
        self.cname = cname
        self.fields = [Field(f, msg, valid) for f in fields_js]


class Message:
    def __init__(self, js):
        self.js = js
        self.name = js["name"]
        self.kind = js["type"]
        self.api_key = js.get("apiKey")
        valid = parse_range(js["validVersions"])
        if js.get("latestVersionUnstable") and valid[1] > valid[0]:
            self.advertised = (valid[0], valid[1] - 1)
        else:
            self.advertised = valid
        self.valid = valid
        self.flexible = parse_range(js.get("flexibleVersions", "none"))
        self.listeners = js.get("listeners", [])
        self.structs = []  # in definition order (children before parents)
        self.common = {c["name"]: c for c in js.get("commonStructs", [])}
        self.common_defs = {}
        self.root = self.build("kafka_" + self.name, js.get("fields", []))

    def build(self, cname, fields_js):
        sd = StructDef(cname, fields_js, self, self.valid)
        for f in sd.fields:
            if f.elem in PRIMITIVES or f.elem in ("string", "bytes", "records"):
                continue
            if f.elem in self.common:
                if f.elem not in self.common_defs:
                    self.common_defs[f.elem] = self.build("kafka_%s_%s" % (self.name, f.elem),
                                                          self.common[f.elem]["fields"])
                f.struct = self.common_defs[f.elem]
            else:
                f.struct = self.build("kafka_%s_%s" % (self.name, f.elem), f.js.get("fields", []))
        self.structs.append(sd)
        return sd


def c_type(f):
    if f.struct:
        return f.struct.cname
    if f.elem in PRIMITIVES:
        return PRIMITIVES[f.elem][0]
    if f.elem == "string":
        return "kw_str"
    return "kw_bytes"


def default_expr(f):
    """The C initialiser for a scalar field (not arrays or structs)."""
    d = f.default
    t = f.elem
    if t == "string":
        if d == "null":
            return "(kw_str){NULL, -1}"
        if d:
            return '(kw_str){"%s", %d}' % (d, len(d))
        return '(kw_str){"", 0}'
    if t in ("bytes", "records"):
        return "(kw_bytes){NULL, -1}" if d == "null" else "(kw_bytes){NULL, 0}"
    if t == "uuid":
        return "(kw_uuid){{0}}"
    if t == "bool":
        return "true" if str(d).lower() == "true" else "false"
    if d is None or d == "":
        return "0"
    if t == "float64":
        return str(float(d))
    v = int(str(d), 16) if str(d).lower().startswith(("0x", "-0x")) else int(str(d))
    if t == "int64":
        return "INT64_C(%d)" % v if v != -(1 << 63) else "INT64_MIN"
    if v == -(1 << 31):
        return "INT32_MIN"
    return str(v)


def flex_expr(f):
    """C expression: does this field use compact encoding in version v?"""
    if f.flex_override != "inherit":
        return cond(f.flex_override)
    return "flex"


class Emitter:
    def __init__(self):
        self.lines = []

    def __call__(self, s=""):
        self.lines.append(s)

    def text(self):
        return "\n".join(self.lines) + "\n"


def gen_struct_decl(e, sd):
    e("typedef struct %s {" % sd.cname)
    if not sd.fields:
        e("    char unused_; /* no fields */")
    for f in sd.fields:
        t = c_type(f)
        if f.is_array:
            e("    %s *%s;" % (t, f.name))
            e("    int32_t %s_count;" % f.name)
        else:
            e("    %s %s;" % (t, f.name))
            if f.struct and f.nullable:
                e("    bool %s_is_null;" % f.name)
    e("} %s;" % sd.cname)
    e()


def gen_protos(e, sd):
    e("void %s_init(%s *m);" % (sd.cname, sd.cname))
    e("int %s_decode(kw_reader *r, kelp_arena *a, int16_t v, %s *m);" % (sd.cname, sd.cname))
    e("int %s_encode(kw_writer *w, int16_t v, const %s *m);" % (sd.cname, sd.cname))
    e("bool %s_is_default(const %s *m);" % (sd.cname, sd.cname))


def gen_init(e, sd):
    e("void %s_init(%s *m)" % (sd.cname, sd.cname))
    e("{")
    e("    memset(m, 0, sizeof(*m));")
    for f in sd.fields:
        if f.is_array:
            if f.default == "null":
                e("    m->%s_count = -1;" % f.name)
            continue
        if f.struct:
            e("    %s_init(&m->%s);" % (f.struct.cname, f.name))
            if f.default == "null":
                e("    m->%s_is_null = true;" % f.name)
            continue
        e("    m->%s = %s;" % (f.name, default_expr(f)))
    e("}")
    e()


def gen_is_default(e, sd):
    e("bool %s_is_default(const %s *m)" % (sd.cname, sd.cname))
    e("{")
    e("    %s d;" % sd.cname)
    e("    %s_init(&d);" % sd.cname)
    checks = []
    for f in sd.fields:
        n = f.name
        if f.is_array:
            checks.append("m->%s_count != d.%s_count" % (n, n))
        elif f.struct:
            if f.nullable:
                checks.append("m->%s_is_null != d.%s_is_null" % (n, n))
            checks.append("!%s_is_default(&m->%s)" % (f.struct.cname, n))
        elif f.elem == "string" or f.elem in ("bytes", "records"):
            checks.append("m->%s.len != d.%s.len || (m->%s.len > 0 && memcmp(m->%s.ptr, d.%s.ptr, (size_t)m->%s.len) != 0)"
                          % (n, n, n, n, n, n))
        elif f.elem == "uuid":
            checks.append("memcmp(m->%s.b, d.%s.b, 16) != 0" % (n, n))
        elif f.elem == "float64":
            checks.append("memcmp(&m->%s, &d.%s, sizeof(double)) != 0" % (n, n))
        else:
            checks.append("m->%s != d.%s" % (n, n))
    for c in checks:
        e("    if (%s)" % c)
        e("        return false;")
    e("    (void)d;")
    e("    return true;")
    e("}")
    e()


def read_scalar(f, target, flexvar):
    t = f.elem
    nul = cond(f.nullable)
    if t == "string":
        return "%s = kw_read_string(r, %s, %s);" % (target, flexvar, nul)
    if t in ("bytes", "records"):
        return "%s = kw_read_bytes(r, %s, %s);" % (target, flexvar, nul)
    return "%s = kw_read_%s(r);" % (target, PRIMITIVES[t][1])


def write_scalar(f, value, flexvar):
    t = f.elem
    nul = cond(f.nullable)
    if t == "string":
        return "kw_write_string(w, %s, %s, %s);" % (value, flexvar, nul)
    if t == "records":
        return "kw_write_records(w, %s, %s, %s);" % (value, flexvar, nul)
    if t == "bytes":
        return "kw_write_bytes(w, %s, %s, %s);" % (value, flexvar, nul)
    return "kw_write_%s(w, %s);" % (PRIMITIVES[t][1], value)


def gen_decode_field(e, f, ind):
    p = " " * ind
    n = f.name
    fx = flex_expr(f)
    if f.is_array:
        e(p + "{")
        e(p + "    int32_t n = kw_read_array_len(r, %s, %s);" % (fx, cond(f.nullable)))
        e(p + "    m->%s_count = n;" % n)
        e(p + "    m->%s = kw_alloc_array(r, a, n, sizeof(*m->%s));" % (n, n))
        e(p + "    for (int32_t i = 0; i < n && !r->err; i++)")
        if f.struct:
            e(p + "        %s_decode(r, a, v, &m->%s[i]);" % (f.struct.cname, n))
        else:
            # element strings inside arrays are never nullable
            saved = f.nullable
            f.nullable = None
            e(p + "        " + read_scalar(f, "m->%s[i]" % n, fx))
            f.nullable = saved
        e(p + "}")
    elif f.struct:
        if f.nullable:
            e(p + "if ((%s) && kw_read_int8(r) < 0) {" % cond(f.nullable))
            e(p + "    m->%s_is_null = true;" % n)
            e(p + "} else {")
            e(p + "    m->%s_is_null = false;" % n)
            e(p + "    %s_decode(r, a, v, &m->%s);" % (f.struct.cname, n))
            e(p + "}")
        else:
            e(p + "%s_decode(r, a, v, &m->%s);" % (f.struct.cname, n))
    else:
        e(p + read_scalar(f, "m->" + n, fx))


def gen_encode_field(e, f, ind):
    p = " " * ind
    n = f.name
    fx = flex_expr(f)
    if f.is_array:
        e(p + "kw_write_array_len(w, m->%s_count, %s, %s);" % (n, fx, cond(f.nullable)))
        e(p + "for (int32_t i = 0; i < m->%s_count; i++)" % n)
        if f.struct:
            e(p + "    %s_encode(w, v, &m->%s[i]);" % (f.struct.cname, n))
        else:
            saved = f.nullable
            f.nullable = None
            e(p + "    " + write_scalar(f, "m->%s[i]" % n, fx))
            f.nullable = saved
    elif f.struct:
        if f.nullable:
            e(p + "if (%s) {" % cond(f.nullable))
            e(p + "    kw_write_int8(w, m->%s_is_null ? -1 : 1);" % n)
            e(p + "    if (m->%s_is_null)" % n)
            e(p + "        goto skip_%s;" % n)
            e(p + "}")
            e(p + "%s_encode(w, v, &m->%s);" % (f.struct.cname, n))
            e(p + "skip_%s:;" % n)
        else:
            e(p + "%s_encode(w, v, &m->%s);" % (f.struct.cname, n))
    else:
        e(p + write_scalar(f, "m->" + n, fx))


def tagged_present(f):
    """C expression: is tagged field f worth writing (not its default)?"""
    n = f.name
    if f.is_array:
        return "m->%s_count != d.%s_count || m->%s_count > 0" % (n, n, n)
    if f.struct:
        extra = "m->%s_is_null != d.%s_is_null || " % (n, n) if f.nullable else ""
        return extra + "!%s_is_default(&m->%s)" % (f.struct.cname, n)
    if f.elem in ("string", "bytes", "records"):
        return "m->%s.len != d.%s.len || (m->%s.len > 0 && memcmp(m->%s.ptr, d.%s.ptr, (size_t)m->%s.len) != 0)" % (
            n, n, n, n, n, n)
    if f.elem == "uuid":
        return "memcmp(m->%s.b, d.%s.b, 16) != 0" % (n, n)
    if f.elem == "float64":
        return "memcmp(&m->%s, &d.%s, sizeof(double)) != 0" % (n, n)
    return "m->%s != d.%s" % (n, n)


def gen_decode(e, sd, msg):
    e("int %s_decode(kw_reader *r, kelp_arena *a, int16_t v, %s *m)" % (sd.cname, sd.cname))
    e("{")
    e("    const bool flex = %s;" % cond(msg.flexible))
    e("    (void)a;")
    e("    %s_init(m);" % sd.cname)
    for f in sd.fields:
        if f.tag is not None or f.versions is None:
            continue
        e("    if (%s) {" % cond(f.versions))
        gen_decode_field(e, f, 8)
        e("    }")
    tagged = sorted([f for f in sd.fields if f.tag is not None and f.versions is not None], key=lambda f: f.tag)
    if not tagged:
        e("    if (flex)")
        e("        kw_skip_tagged_fields(r);")
        e("    return r->err ? -1 : 0;")
        e("}")
        e()
        return
    e("    if (flex) {")
    e("        uint32_t ntags = kw_read_uvarint(r);")
    e("        for (uint32_t t = 0; t < ntags && !r->err; t++) {")
    e("            uint32_t tag = kw_read_uvarint(r);")
    e("            uint32_t size = kw_read_uvarint(r);")
    e("            if (r->err || size > kw_remaining(r)) {")
    e("                r->err = 1;")
    e("                break;")
    e("            }")
    e("            kw_reader sub = {r->p + r->pos, size, 0, 0};")
    e("            kw_reader *outer = r;")
    e("            r = &sub;")
    e("            switch (tag) {")
    for f in tagged:
        e("            case %d:" % f.tag)
        e("                if (%s) {" % cond(f.versions))
        gen_decode_field(e, f, 20)
        e("                }")
        e("                break;")
    e("            default:")
    e("                break; /* unknown tags are skipped */")
    e("            }")
    e("            r = outer;")
    e("            if (sub.err)")
    e("                r->err = 1;")
    e("            kw_skip(r, size);")
    e("        }")
    e("    }")
    e("    return r->err ? -1 : 0;")
    e("}")
    e()


def gen_encode(e, sd, msg):
    e("int %s_encode(kw_writer *w, int16_t v, const %s *m)" % (sd.cname, sd.cname))
    e("{")
    e("    const bool flex = %s;" % cond(msg.flexible))
    for f in sd.fields:
        if f.tag is not None or f.versions is None:
            continue
        e("    if (%s) {" % cond(f.versions))
        gen_encode_field(e, f, 8)
        e("    }")
    tagged = sorted([f for f in sd.fields if f.tag is not None and f.versions is not None], key=lambda f: f.tag)
    e("    if (flex) {")
    if not tagged:
        e("        kw_write_uvarint(w, 0);")
    else:
        e("        %s d;" % sd.cname)
        e("        %s_init(&d);" % sd.cname)
        e("        bool present[%d];" % len(tagged))
        e("        uint32_t count = 0;")
        for i, f in enumerate(tagged):
            e("        present[%d] = (%s) && (%s);" % (i, cond(f.versions), tagged_present(f)))
            e("        count += present[%d];" % i)
        e("        kw_write_uvarint(w, count);")
        for i, f in enumerate(tagged):
            e("        if (present[%d]) {" % i)
            e("            kelp_buf tb;")
            e("            kelp_buf_init(&tb);")
            e("            kw_writer tw = {.buf = &tb};")
            e("            kw_writer *outer = w;")
            e("            w = &tw;")
            gen_encode_field(e, f, 12)
            e("            w = outer;")
            e("            kw_write_uvarint(w, %d);" % f.tag)
            e("            kw_write_uvarint(w, (uint32_t)tb.len);")
            e("            kw_write_raw(w, tb.data, tb.len);")
            e("            if (tw.err)")
            e("                w->err = 1;")
            e("            kelp_buf_free(&tb);")
            e("        }")
    e("    }")
    e("    return w->err ? -1 : 0;")
    e("}")
    e()


def file_stem(msg):
    n = msg.name
    for suffix in ("Request", "Response"):
        if n.endswith(suffix):
            n = n[: -len(suffix)]
    return snake(n).rstrip("_")


HEADER_NOTE = "/* Generated by protocol/gen/kafka_codegen.py from Kafka's message schemas. Do not edit. */\n"


ADDITIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafka40_additions.json")


def apply_additions(js, additions):
    """Raises a message to the versions kafka40_additions.json gives it."""
    entry = additions.get(js.get("name"))
    if not entry:
        return
    js["validVersions"] = entry["validVersions"]
    if entry.get("stable"):
        js.pop("latestVersionUnstable", None)
    for add in entry.get("add", []):
        fields = js["fields"]
        for name in [p for p in add["in"].split("/") if p]:
            fields = next(f for f in fields if f["name"] == name)["fields"]
        at = next(i for i, f in enumerate(fields) if f["name"] == add["after"])
        if not any(f["name"] == add["field"]["name"] for f in fields):
            fields.insert(at + 1, dict(add["field"]))


def load_messages(src):
    additions = json.load(open(ADDITIONS))["messages"]
    msgs = []
    for fn in sorted(os.listdir(src)):
        if not fn.endswith(".json"):
            continue
        js = json.loads(strip_comments(open(os.path.join(src, fn)).read()))
        apply_additions(js, additions)
        # Data schemas: only the consumer protocol's, which the group
        # coordinator reads (subscriptions and assignments are opaque bytes on
        # the wire, versioned by a leading int16).
        is_consumer_protocol = js.get("type") == "data" and js.get("name", "").startswith("ConsumerProtocol")
        if js.get("type") not in ("request", "response", "header") and not is_consumer_protocol:
            continue
        msgs.append(Message(js))
    return msgs


def generate(src, out, test_path):
    msgs = load_messages(src)
    groups = {}
    for m in msgs:
        groups.setdefault("headers" if m.kind == "header" else file_stem(m), []).append(m)
    os.makedirs(out, exist_ok=True)
    sources = []
    for stem, ms in sorted(groups.items()):
        h = Emitter()
        guard = "KELP_PROTOCOL_GENERATED_%s_H" % stem.upper()
        h(HEADER_NOTE.rstrip())
        h("#ifndef " + guard)
        h("#define " + guard)
        h()
        h('#include "protocol/wire.h"')
        h()
        c = Emitter()
        c(HEADER_NOTE.rstrip())
        c('#include "protocol/generated/%s.h"' % stem)
        c()
        for m in ms:
            for sd in m.structs:
                gen_struct_decl(h, sd)
            for sd in m.structs:
                gen_protos(h, sd)
            h()
            for sd in m.structs:
                gen_init(c, sd)
                gen_is_default(c, sd)
                gen_decode(c, sd, m)
                gen_encode(c, sd, m)
        h("#endif")
        open(os.path.join(out, stem + ".h"), "w").write(h.text())
        open(os.path.join(out, stem + ".c"), "w").write(c.text())
        sources.append(stem)

    # Umbrella header.
    u = Emitter()
    u(HEADER_NOTE.rstrip())
    u("#ifndef KELP_PROTOCOL_GENERATED_KAFKA_MESSAGES_H")
    u("#define KELP_PROTOCOL_GENERATED_KAFKA_MESSAGES_H")
    u()
    for s in sources:
        u('#include "protocol/generated/%s.h"' % s)
    u('#include "protocol/generated/kafka_apis.h"')
    u()
    u("#endif")
    open(os.path.join(out, "kafka_messages.h"), "w").write(u.text())

    gen_api_table(msgs, out)

    mk = Emitter()
    mk("# Generated by protocol/gen/kafka_codegen.py. Do not edit.")
    mk("GENERATED_CODEC_SOURCES = \\")
    files = []
    for s in sources + ["kafka_apis"]:
        files.append("\tprotocol/generated/%s.c protocol/generated/%s.h" % (s, s))
    files.append("\tprotocol/generated/kafka_messages.h")
    mk(" \\\n".join(files))
    open(os.path.join(out, "generated.mk"), "w").write(mk.text())

    if test_path:
        gen_roundtrip_test(msgs, test_path)


def gen_api_table(msgs, out):
    reqs = sorted([m for m in msgs if m.kind == "request"], key=lambda m: m.api_key)
    h = Emitter()
    h(HEADER_NOTE.rstrip())
    h("#ifndef KELP_PROTOCOL_GENERATED_KAFKA_APIS_H")
    h("#define KELP_PROTOCOL_GENERATED_KAFKA_APIS_H")
    h()
    h("#include <stdbool.h>")
    h("#include <stdint.h>")
    h()
    for m in reqs:
        h("#define KAFKA_API_%s %d" % (upper_snake(m.name[: -len("Request")]), m.api_key))
    h()
    h("typedef struct kafka_api_info {")
    h("    int16_t api_key;")
    h("    const char *name;")
    h("    int16_t min_version, max_version; /* valid versions, less an unstable latest one */")
    h("    int16_t flexible_min;             /* first flexible version, -1: none */")
    h("    bool broker_listener;             /* served to clients by brokers */")
    h("} kafka_api_info;")
    h()
    h("const kafka_api_info *kafka_api_lookup(int16_t api_key);")
    h("int16_t kafka_request_header_version(int16_t api_key, int16_t api_version);")
    h("int16_t kafka_response_header_version(int16_t api_key, int16_t api_version);")
    h()
    h("#endif")
    open(os.path.join(out, "kafka_apis.h"), "w").write(h.text())
    c = Emitter()
    c(HEADER_NOTE.rstrip())
    c('#include "protocol/generated/kafka_apis.h"')
    c()
    c("#include <stddef.h>")
    c()
    c("static const kafka_api_info apis[] = {")
    for m in reqs:
        flex = m.flexible[0] if m.flexible else -1
        c('    {%d, "%s", %d, %d, %d, %s},' % (m.api_key, m.name[: -len("Request")], m.advertised[0],
                                                m.advertised[1], flex, "true" if "broker" in m.listeners else "false"))
    c("};")
    c()
    c("const kafka_api_info *kafka_api_lookup(int16_t api_key)")
    c("{")
    c("    for (size_t i = 0; i < sizeof(apis) / sizeof(apis[0]); i++)")
    c("        if (apis[i].api_key == api_key)")
    c("            return &apis[i];")
    c("    return NULL;")
    c("}")
    c()
    c("int16_t kafka_request_header_version(int16_t api_key, int16_t api_version)")
    c("{")
    c("    const kafka_api_info *api = kafka_api_lookup(api_key);")
    c("    if (api_key == 7 && api_version == 0)")
    c("        return 0; /* ControlledShutdown v0 has no client id */")
    c("    if (api && api->flexible_min >= 0 && api_version >= api->flexible_min)")
    c("        return 2;")
    c("    return 1;")
    c("}")
    c()
    c("int16_t kafka_response_header_version(int16_t api_key, int16_t api_version)")
    c("{")
    c("    const kafka_api_info *api = kafka_api_lookup(api_key);")
    c("    if (api_key == 18)")
    c("        return 0; /* ApiVersions: readable before the version is agreed */")
    c("    if (api && api->flexible_min >= 0 && api_version >= api->flexible_min)")
    c("        return 1;")
    c("    return 0;")
    c("}")
    open(os.path.join(out, "kafka_apis.c"), "w").write(c.text())


# ---------------------------------------------------------------------------
# Round-trip test: every message, every version, filled with non-default values.

def gen_fill(e, sd):
    e("static void fill_%s(%s *m, int16_t v, kelp_arena *a, int seed)" % (sd.cname, sd.cname))
    e("{")
    e("    %s_init(m);" % sd.cname)
    e("    (void)a; (void)seed; (void)v;")
    for f in sd.fields:
        if f.versions is None:
            continue
        n = f.name
        e("    if (%s) {" % cond(f.versions))
        if f.is_array:
            nul = cond(f.nullable)
            e("        if ((%s) && seed %% 3 == 2) {" % nul)
            e("            m->%s_count = -1;" % n)
            e("        } else {")
            e("            m->%s_count = 2;" % n)
            e("            m->%s = kelp_arena_alloc(a, 2 * sizeof(*m->%s));" % (n, n))
            e("            for (int i = 0; i < 2; i++) {")
            if f.struct:
                e("                fill_%s(&m->%s[i], v, a, seed + i + 1);" % (f.struct.cname, n))
            else:
                e("                " + fill_scalar(f, "m->%s[i]" % n, "seed + i + 1", allow_null=False))
            e("            }")
            e("        }")
        elif f.struct:
            if f.nullable:
                e("        m->%s_is_null = (%s) && seed %% 3 == 2;" % (n, cond(f.nullable)))
            e("        fill_%s(&m->%s, v, a, seed + 7);" % (f.struct.cname, n))
        else:
            e("        " + fill_scalar(f, "m->" + n, "seed", allow_null=True))
        e("    }")
    e("}")
    e()


def fill_scalar(f, target, seed, allow_null):
    t = f.elem
    if t == "string":
        s = "{ char *s = kelp_arena_alloc(a, 16); snprintf(s, 16, \"s%%d\", %s); %s = kw_str_from_cstr(s); }" % (seed, target)
        if allow_null and f.nullable:
            return "if ((%s) && (%s) %% 3 == 2) %s = (kw_str){NULL, -1}; else %s" % (cond(f.nullable), seed, target, s)
        return s
    if t in ("bytes", "records"):
        s = "{ uint8_t *b = kelp_arena_alloc(a, 5); for (int k = 0; k < 5; k++) b[k] = (uint8_t)(%s + k); %s = (kw_bytes){b, 5}; }" % (seed, target)
        if allow_null and f.nullable:
            return "if ((%s) && (%s) %% 3 == 2) %s = (kw_bytes){NULL, -1}; else %s" % (cond(f.nullable), seed, target, s)
        return s
    if t == "uuid":
        return "for (int k = 0; k < 16; k++) %s.b[k] = (uint8_t)(%s * 7 + k);" % (target, seed)
    if t == "bool":
        return "%s = !(%s);" % (target, target)
    if t == "float64":
        return "%s = 1.5 + (%s);" % (target, seed)
    ctype = PRIMITIVES[t][0]
    return "%s = (%s)((uint64_t)%s + 100u + (uint64_t)(%s));" % (target, ctype, target, seed)


def gen_roundtrip_test(msgs, path):
    e = Emitter()
    e(HEADER_NOTE.rstrip())
    e("/* Every message at every version: fill, encode, decode, encode again, compare. */")
    e("#include <check.h>")
    e("#include <stdio.h>")
    e("#include <stdlib.h>")
    e("#include <string.h>")
    e()
    e('#include "protocol/generated/kafka_messages.h"')
    e()
    e("#pragma GCC diagnostic ignored \"-Wunused-function\"")
    e()
    for m in msgs:
        for sd in m.structs:
            e("static void fill_%s(%s *m, int16_t v, kelp_arena *a, int seed);" % (sd.cname, sd.cname))
    e()
    for m in msgs:
        for sd in m.structs:
            gen_fill(e, sd)
    # One generic round trip over a table of per-message adapters.
    for m in msgs:
        cn = m.root.cname
        e("static int enc_%s(kw_writer *w, int16_t v, const void *m) { return %s_encode(w, v, m); }" % (cn, cn))
        e("static int dec_%s(kw_reader *r, kelp_arena *a, int16_t v, void *m) { return %s_decode(r, a, v, m); }" % (cn, cn))
        e("static void fil_%s(void *m, int16_t v, kelp_arena *a, int seed) { fill_%s(m, v, a, seed); }" % (cn, cn))
    e()
    e("typedef struct roundtrip_case {")
    e("    const char *name;")
    e("    int16_t min_version, max_version;")
    e("    size_t size;")
    e("    int (*encode)(kw_writer *w, int16_t v, const void *m);")
    e("    int (*decode)(kw_reader *r, kelp_arena *a, int16_t v, void *m);")
    e("    void (*fill)(void *m, int16_t v, kelp_arena *a, int seed);")
    e("} roundtrip_case;")
    e()
    e("static const roundtrip_case cases[] = {")
    for m in msgs:
        cn = m.root.cname
        e('    {"%s", %d, %d, sizeof(%s), enc_%s, dec_%s, fil_%s},' % (m.name, m.valid[0], m.valid[1], cn, cn, cn, cn))
    e("};")
    e()
    e("static void roundtrip(const roundtrip_case *c, int16_t v, int seed)")
    e("{")
    e("    kelp_arena a;")
    e("    kelp_arena_init(&a, 4096);")
    e("    void *in = kelp_arena_alloc(&a, c->size), *out = kelp_arena_alloc(&a, c->size);")
    e("    void *tmp = kelp_arena_alloc(&a, c->size);")
    e("    c->fill(in, v, &a, seed);")
    e("    kelp_buf b1, b2;")
    e("    kelp_buf_init(&b1);")
    e("    kelp_buf_init(&b2);")
    e("    kw_writer w1 = {.buf = &b1}, w2 = {.buf = &b2};")
    e("    ck_assert_msg(c->encode(&w1, v, in) == 0, \"%s v%d encode\", c->name, v);")
    e("    kw_reader r = {b1.data, b1.len, 0, 0};")
    e("    ck_assert_msg(c->decode(&r, &a, v, out) == 0, \"%s v%d decode\", c->name, v);")
    e("    ck_assert_msg(r.pos == b1.len, \"%s v%d: decode consumed %zu of %zu bytes\", c->name, v, r.pos, b1.len);")
    e("    ck_assert_msg(c->encode(&w2, v, out) == 0, \"%s v%d re-encode\", c->name, v);")
    e("    ck_assert_msg(b1.len == b2.len && (b1.len == 0 || memcmp(b1.data, b2.data, b1.len) == 0),")
    e("                  \"%s v%d seed %d: bytes differ\", c->name, v, seed);")
    e("    /* Every shorter input must fail cleanly. */")
    e("    for (size_t cut = 0; cut < b1.len; cut++) {")
    e("        kw_reader rc = {b1.data, cut, 0, 0};")
    e("        ck_assert_msg(c->decode(&rc, &a, v, tmp) != 0, \"%s v%d: truncated at %zu accepted\", c->name, v, cut);")
    e("    }")
    e("    kelp_buf_free(&b1);")
    e("    kelp_buf_free(&b2);")
    e("    kelp_arena_free(&a);")
    e("}")
    e()
    e("START_TEST(every_message_round_trips_at_every_version)")
    e("{")
    e("    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)")
    e("        for (int16_t v = cases[i].min_version; v <= cases[i].max_version; v++)")
    e("            for (int seed = 0; seed < 3; seed++)")
    e("                roundtrip(&cases[i], v, seed);")
    e("}")
    e("END_TEST")
    e()
    e("int main(void)")
    e("{")
    e("    Suite *s = suite_create(\"codec round trip\");")
    e("    TCase *tc = tcase_create(\"all messages\");")
    e("    tcase_set_timeout(tc, 120);")
    e("    tcase_add_test(tc, every_message_round_trips_at_every_version);")
    e("    suite_add_tcase(s, tc);")
    e("    SRunner *sr = srunner_create(s);")
    e("    srunner_run_all(sr, CK_NORMAL);")
    e("    int failed = srunner_ntests_failed(sr);")
    e("    srunner_free(sr);")
    e("    return failed ? EXIT_FAILURE : EXIT_SUCCESS;")
    e("}")
    open(path, "w").write(e.text())


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: kafka_codegen.py MESSAGES_DIR OUTPUT_DIR [ROUNDTRIP_TEST_FILE]")
    generate(sys.argv[1], sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
