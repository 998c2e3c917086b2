// Protobuf validation: the registered schema is parsed and built into a
// private DescriptorPool once; payloads are parsed with dynamic messages.
// Exceptions stay inside this file: every entry point catches them.
#include "schema/validate_protobuf.h"
#include "schema/protobuf_parse.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <string>

#include <google/protobuf/compiler/parser.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/message.h>

namespace pb = google::protobuf;

struct kelp_proto_checker {
    // The well-known types (google/protobuf/*.proto) come from the generated pool.
    pb::DescriptorPool pool{pb::DescriptorPool::generated_pool()};
    pb::DynamicMessageFactory factory{&pool};
    const pb::FileDescriptor *file = nullptr;
    std::map<const pb::Descriptor *, std::unique_ptr<pb::Message>> scratch;
};

static void say(char *why, size_t whylen, const std::string &text)
{
    if (whylen)
        std::snprintf(why, whylen, "%s", text.c_str());
}

// Keeps the first error, for the reason given back.
struct first_error : pb::io::ErrorCollector {
    std::string text;
    void AddError(int line, pb::io::ColumnNumber column, const std::string &message) override
    {
        if (text.empty())
            text = "line " + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
    }
};

struct first_build_error : pb::DescriptorPool::ErrorCollector {
    std::string text;
    void AddError(const std::string &, const std::string &element, const pb::Message *,
                  ErrorLocation, const std::string &message) override
    {
        if (text.empty())
            text = element + ": " + message;
    }
};

static bool base64_decode(const char *p, size_t len, std::string &out)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (len == 0 || len % 4 != 0)
        return false;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '=') {
            if (i < len - 2)
                return false;
            continue;
        }
        const char *at = std::strchr(alphabet, p[i]);
        if (!at || !*at)
            return false;
        acc = acc << 6 | (uint32_t)(at - alphabet);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back((char)(acc >> bits & 0xff));
        }
    }
    return true;
}

static bool parse_text(const char *schema, size_t len, pb::FileDescriptorProto &proto, std::string &error)
{
    pb::io::ArrayInputStream input(schema, (int)len);
    first_error errors;
    pb::io::Tokenizer tokenizer(&input, &errors);
    pb::compiler::Parser parser;
    parser.RecordErrorsTo(&errors);
    if (!parser.Parse(&tokenizer, &proto) || !errors.text.empty()) {
        error = errors.text.empty() ? "cannot parse the .proto schema" : errors.text;
        return false;
    }
    return true;
}

bool kelp::parse_proto_schema(const char *schema, size_t len, pb::FileDescriptorProto &proto, std::string &error)
{
    if (len > (size_t)INT32_MAX) {
        error = "schema too large";
        return false;
    }
    std::string bytes;
    if (base64_decode(schema, len, bytes) && proto.ParseFromString(bytes))
        return true;
    proto.Clear();
    return parse_text(schema, len, proto, error);
}

const pb::FileDescriptor *kelp::build_proto_schema(pb::DescriptorPool &pool, pb::FileDescriptorProto &proto,
                                                   std::string &error)
{
    // A name no well-known file has, so the build cannot collide with one.
    proto.set_name("kelp-registered-schema.proto");
    first_build_error build_errors;
    const pb::FileDescriptor *file = pool.BuildFileCollectingErrors(proto, &build_errors);
    if (!file)
        error = build_errors.text;
    return file;
}

bool kelp::build_proto_deps(pb::DescriptorPool &pool, const kelp_schema_deps *deps, std::string &error)
{
    for (size_t i = 0; deps && i < deps->n; i++) {
        const kelp_schema_dep &d = deps->v[i];
        if (d.type != KELP_SCHEMA_PROTOBUF || pool.FindFileByName(d.name))
            continue;
        pb::FileDescriptorProto proto;
        if (!kelp::parse_proto_schema(d.schema, std::strlen(d.schema), proto, error)) {
            error = "referenced schema " + std::string(d.name) + ": " + error;
            return false;
        }
        proto.set_name(d.name);
        first_build_error build_errors;
        if (!pool.BuildFileCollectingErrors(proto, &build_errors)) {
            error = "referenced schema " + std::string(d.name) + ": " + build_errors.text;
            return false;
        }
    }
    return true;
}

extern "C" kelp_proto_checker *kelp_proto_checker_new(const char *schema, size_t len, char *why, size_t whylen)
{
    return kelp_proto_checker_new_deps(schema, len, nullptr, why, whylen);
}

extern "C" kelp_proto_checker *kelp_proto_checker_new_deps(const char *schema, size_t len,
                                                           const kelp_schema_deps *deps, char *why, size_t whylen)
{
    try {
        pb::FileDescriptorProto proto;
        std::string error;
        if (!kelp::parse_proto_schema(schema, len, proto, error)) {
            say(why, whylen, error == "schema too large" ? error : "unusable Protobuf schema: " + error);
            return nullptr;
        }
        std::unique_ptr<kelp_proto_checker> c(new kelp_proto_checker);
        if (!kelp::build_proto_deps(c->pool, deps, error)) {
            say(why, whylen, "unusable Protobuf schema: " + error);
            return nullptr;
        }
        c->file = kelp::build_proto_schema(c->pool, proto, error);
        if (!c->file) {
            say(why, whylen, "unusable Protobuf schema: " + error);
            return nullptr;
        }
        if (c->file->message_type_count() == 0) {
            say(why, whylen, "unusable Protobuf schema: it defines no message");
            return nullptr;
        }
        return c.release();
    } catch (const std::exception &e) {
        say(why, whylen, std::string("unusable Protobuf schema: ") + e.what());
    } catch (...) {
        say(why, whylen, "unusable Protobuf schema");
    }
    return nullptr;
}

extern "C" int kelp_proto_checker_check(kelp_proto_checker *c, const int32_t *indexes, size_t n_indexes,
                                        const uint8_t *payload, size_t len, char *why, size_t whylen)
{
    try {
        // An empty path is Confluent's short form of [0], the first message.
        static const int32_t first[] = {0};
        if (n_indexes == 0) {
            indexes = first;
            n_indexes = 1;
        }
        const pb::Descriptor *d = nullptr;
        for (size_t i = 0; i < n_indexes; i++) {
            int count = d ? d->nested_type_count() : c->file->message_type_count();
            if (indexes[i] < 0 || indexes[i] >= count) {
                say(why, whylen, "the message index " + std::to_string(indexes[i]) + " names no message of the schema");
                return -1;
            }
            d = d ? d->nested_type(indexes[i]) : c->file->message_type(indexes[i]);
        }
        if (len > (size_t)INT32_MAX) {
            say(why, whylen, "payload too large");
            return -1;
        }
        std::unique_ptr<pb::Message> &m = c->scratch[d];
        if (!m)
            m.reset(c->factory.GetPrototype(d)->New());
        m->Clear();
        if (!m->ParseFromArray(payload, (int)len)) {
            say(why, whylen, "the payload is not a valid " + d->full_name() + " message");
            return -1;
        }
        return 0;
    } catch (const std::exception &e) {
        say(why, whylen, std::string("Protobuf validation failed: ") + e.what());
    } catch (...) {
        say(why, whylen, "Protobuf validation failed");
    }
    return -1;
}

extern "C" void kelp_proto_checker_free(kelp_proto_checker *c)
{
    delete c;
}
