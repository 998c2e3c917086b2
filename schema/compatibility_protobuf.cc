// Protobuf compatibility: the writer's schema is the original and the
// reader's the update of Confluent's diff, and a change passes only if it
// is one of the kinds that diff accepts. Descriptors are built with
// libprotobuf, so names are resolved as protoc resolves them.
#include "schema/compatibility_protobuf.h"
#include "schema/protobuf_parse.h"

#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

namespace pb = google::protobuf;

namespace {

struct loaded {
    // The well-known types come from the generated pool, as for validation.
    pb::DescriptorPool pool{pb::DescriptorPool::generated_pool()};
    const pb::FileDescriptor *file = nullptr;
};

// Extensions change what a message holds from outside it; the diff has no
// rule for them, so a schema using them is not checked.
bool has_extensions(const pb::Descriptor *d)
{
    if (d->extension_count() > 0)
        return true;
    for (int i = 0; i < d->nested_type_count(); i++)
        if (has_extensions(d->nested_type(i)))
            return true;
    return false;
}

bool load(const char *text, const kelp_schema_deps *deps, loaded &out, std::string &error)
{
    pb::FileDescriptorProto proto;
    if (!kelp::parse_proto_schema(text, std::strlen(text), proto, error)) {
        error = "unusable Protobuf schema: " + error;
        return false;
    }
    for (int i = 0; i < proto.dependency_size(); i++) {
        if (proto.dependency(i).compare(0, 16, "google/protobuf/") != 0 &&
            !kelp_schema_deps_has(deps, proto.dependency(i).c_str())) {
            error = "the schema imports \"" + proto.dependency(i) +
                    "\", which no reference of the schema names";
            return false;
        }
    }
    if (!kelp::build_proto_deps(out.pool, deps, error)) {
        error = "unusable Protobuf schema: " + error;
        return false;
    }
    out.file = kelp::build_proto_schema(out.pool, proto, error);
    if (!out.file) {
        error = "unusable Protobuf schema: " + error;
        return false;
    }
    bool ext = out.file->extension_count() > 0;
    for (int i = 0; !ext && i < out.file->message_type_count(); i++)
        ext = has_extensions(out.file->message_type(i));
    if (ext) {
        error = "extensions are not checked for PROTOBUF";
        return false;
    }
    return true;
}

enum class kind { scalar, message, map, group };

kind kind_of(const pb::FieldDescriptor *f)
{
    if (f->is_map())
        return kind::map;
    if (f->type() == pb::FieldDescriptor::TYPE_GROUP)
        return kind::group;
    if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE)
        return kind::message;
    return kind::scalar; // enums included: they are varints on the wire
}

const char *kind_name(kind k)
{
    switch (k) {
    case kind::scalar:
        return "scalar";
    case kind::message:
        return "message";
    case kind::map:
        return "map";
    default:
        return "group";
    }
}

// Scalars that read each other's wire encoding (Protobuf's update rules).
int scalar_group(const pb::FieldDescriptor *f)
{
    switch (f->type()) {
    case pb::FieldDescriptor::TYPE_INT32:
    case pb::FieldDescriptor::TYPE_INT64:
    case pb::FieldDescriptor::TYPE_UINT32:
    case pb::FieldDescriptor::TYPE_UINT64:
    case pb::FieldDescriptor::TYPE_BOOL:
    case pb::FieldDescriptor::TYPE_ENUM:
        return 0;
    case pb::FieldDescriptor::TYPE_SINT32:
    case pb::FieldDescriptor::TYPE_SINT64:
        return 1;
    case pb::FieldDescriptor::TYPE_STRING:
    case pb::FieldDescriptor::TYPE_BYTES:
        return 2;
    case pb::FieldDescriptor::TYPE_FIXED32:
    case pb::FieldDescriptor::TYPE_SFIXED32:
        return 3;
    case pb::FieldDescriptor::TYPE_FIXED64:
    case pb::FieldDescriptor::TYPE_SFIXED64:
        return 4;
    case pb::FieldDescriptor::TYPE_FLOAT:
        return 5;
    default:
        return 6; // double
    }
}

std::string type_name(const pb::FieldDescriptor *f)
{
    if (f->type() == pb::FieldDescriptor::TYPE_ENUM)
        return "enum " + f->enum_type()->full_name();
    if (f->type() == pb::FieldDescriptor::TYPE_MESSAGE)
        return f->message_type()->full_name();
    return f->type_name();
}

// A message's name below its file's package: the diff compares those, so
// that a package rename alone does not change every field type.
std::string local_name(const pb::Descriptor *d)
{
    const std::string &pkg = d->file()->package();
    const std::string &full = d->full_name();
    if (!pkg.empty() && full.compare(0, pkg.size() + 1, pkg + ".") == 0)
        return full.substr(pkg.size() + 1);
    return full;
}

struct differ {
    std::string why;   // the first incompatible change
    std::string error; // why the check cannot be made
    std::set<std::pair<const pb::Descriptor *, const pb::Descriptor *>> seen;

    bool stop() const { return !why.empty() || !error.empty(); }
    void fail(const std::string &where, const std::string &what)
    {
        if (why.empty())
            why = where + ": " + what;
    }

    void scope(const std::string &where, const pb::FileDescriptor *of, const pb::Descriptor *o,
               const pb::FileDescriptor *uf, const pb::Descriptor *u);
    void message(const std::string &where, const pb::Descriptor *o, const pb::Descriptor *u);
    void field(const std::string &where, const pb::FieldDescriptor *o, const pb::FieldDescriptor *u);
    void types(const std::string &where, const pb::FieldDescriptor *o, const pb::FieldDescriptor *u);
};

typedef std::map<std::string, const pb::Descriptor *> by_name;

// The messages defined directly in a file (d null) or in message d, by
// simple name; map entries are compared through their fields instead.
by_name messages_of(const pb::FileDescriptor *f, const pb::Descriptor *d)
{
    by_name out;
    int n = d ? d->nested_type_count() : f->message_type_count();
    for (int i = 0; i < n; i++) {
        const pb::Descriptor *m = d ? d->nested_type(i) : f->message_type(i);
        if (!m->options().map_entry())
            out[m->name()] = m;
    }
    return out;
}

// Enums never break compatibility in the diff (added, removed or with
// constants changed, unknown values are kept), so only messages are walked.
void differ::scope(const std::string &where, const pb::FileDescriptor *of, const pb::Descriptor *o,
                   const pb::FileDescriptor *uf, const pb::Descriptor *u)
{
    by_name om = messages_of(of, o), um = messages_of(uf, u);
    for (const auto &m : om) {
        if (stop())
            return;
        std::string sub = where.empty() ? m.first : where + "." + m.first;
        auto it = um.find(m.first);
        if (it == um.end())
            fail("message " + sub, "removed");
        else
            message(sub, m.second, it->second); // moved or reordered is fine
    }
}

void differ::message(const std::string &where, const pb::Descriptor *o, const pb::Descriptor *u)
{
    if (!seen.insert({o, u}).second)
        return; // already compared, or being compared further up (recursion)
    std::map<int, const pb::FieldDescriptor *> o_top, u_top, o_all, u_all;
    std::map<int, std::string> o_oneof_of, u_oneof_of;
    std::map<std::string, const pb::OneofDescriptor *> o_oneofs, u_oneofs;
    for (int i = 0; i < o->field_count(); i++) {
        const pb::FieldDescriptor *f = o->field(i);
        o_all[f->number()] = f;
        if (const pb::OneofDescriptor *x = f->real_containing_oneof()) {
            o_oneof_of[f->number()] = x->name();
            o_oneofs[x->name()] = x;
        } else {
            o_top[f->number()] = f;
        }
    }
    for (int i = 0; i < u->field_count(); i++) {
        const pb::FieldDescriptor *f = u->field(i);
        u_all[f->number()] = f;
        if (const pb::OneofDescriptor *x = f->real_containing_oneof()) {
            u_oneof_of[f->number()] = x->name();
            u_oneofs[x->name()] = x;
        } else {
            u_top[f->number()] = f;
        }
    }
    // A oneof of the update may take over at most one plain field of the
    // original, and then only if it holds no field of an original oneof:
    // otherwise data with several of them set loses all but one.
    for (const auto &x : u_oneofs) {
        int moved = 0, existing = 0;
        for (int i = 0; i < x.second->field_count(); i++) {
            int num = x.second->field(i)->number();
            if (o_top.erase(num))
                moved++;
            else if (o_oneof_of.count(num))
                existing++;
        }
        if (moved > 1)
            fail(where + " oneof " + x.first, "more than one existing field moved into the oneof");
        else if (moved == 1 && existing > 0)
            fail(where + " oneof " + x.first, "a field moved into a oneof that holds fields of an earlier oneof");
    }
    for (const auto &x : o_oneofs) {
        auto it = u_oneofs.find(x.first);
        if (it == u_oneofs.end())
            continue; // a oneof removed or renamed: its fields are compared by number below
        for (int i = 0; i < x.second->field_count() && !stop(); i++) {
            const pb::FieldDescriptor *of = x.second->field(i);
            const pb::FieldDescriptor *uf = nullptr;
            for (int j = 0; j < it->second->field_count(); j++)
                if (it->second->field(j)->number() == of->number())
                    uf = it->second->field(j);
            std::string sub = where + " oneof " + x.first + " field " + std::to_string(of->number());
            if (!uf) {
                // One that left the oneof but lives on elsewhere was moved, not removed.
                if (!u_all.count(of->number()))
                    fail(sub + " (" + of->name() + ")", "removed from the oneof");
            } else {
                field(sub, of, uf);
            }
        }
    }
    for (const auto &f : o_top) {
        if (stop())
            return;
        std::string sub = where + " field " + std::to_string(f.first);
        auto it = u_top.find(f.first);
        if (it == u_top.end()) {
            if (f.second->is_required())
                fail(sub + " (" + f.second->name() + ")", "a required field was removed");
        } else {
            field(sub, f.second, it->second);
        }
    }
    for (const auto &f : u_top)
        if (!o_top.count(f.first) && !o_all.count(f.first) && f.second->is_required())
            fail(where + " field " + std::to_string(f.first) + " (" + f.second->name() + ")",
                 "a required field was added");
    // Fields whose oneof membership changed were not compared above.
    for (const auto &f : o_all) {
        if (stop())
            return;
        auto it = u_all.find(f.first);
        if (it == u_all.end())
            continue;
        auto oo = o_oneof_of.find(f.first), uo = u_oneof_of.find(f.first);
        bool top_in_both = oo == o_oneof_of.end() && uo == u_oneof_of.end();
        bool same_oneof = oo != o_oneof_of.end() && uo != u_oneof_of.end() && oo->second == uo->second;
        if (!top_in_both && !same_oneof)
            field(where + " field " + std::to_string(f.first), f.second, it->second);
    }
    if (!stop())
        scope(where, o->file(), o, u->file(), u);
}

void differ::field(const std::string &where, const pb::FieldDescriptor *o, const pb::FieldDescriptor *u)
{
    std::string at = where + " (" + o->name() + ")"; // a new name is fine: the wire carries numbers
    if (o->is_required() != u->is_required()) {
        // Stricter than the diff, which ignores it: a reader requiring a
        // field the writer may omit fails to parse.
        fail(at, o->is_required() ? "the field is no longer required" : "the field became required");
        return;
    }
    kind ok = kind_of(o), uk = kind_of(u);
    if (o->is_repeated() != u->is_repeated() && ok == kind::scalar && uk == kind::scalar &&
        scalar_group(o) != 2 && scalar_group(u) != 2) {
        // Packed repeated numbers do not read as one value; strings and
        // bytes (and messages) are length-delimited either way.
        fail(at, std::string("a numeric field changed from ") + (o->is_repeated() ? "repeated" : "singular") +
                     " to " + (u->is_repeated() ? "repeated" : "singular"));
        return;
    }
    types(at, o, u);
}

void differ::types(const std::string &at, const pb::FieldDescriptor *o, const pb::FieldDescriptor *u)
{
    kind ok = kind_of(o), uk = kind_of(u);
    if (ok == kind::group || uk == kind::group) {
        if (error.empty())
            error = at + ": groups are not checked for PROTOBUF";
        return;
    }
    if (ok != uk) {
        fail(at, std::string("the field kind changed from ") + kind_name(ok) + " to " + kind_name(uk));
        return;
    }
    if (ok == kind::scalar) {
        if (scalar_group(o) != scalar_group(u))
            fail(at, "the scalar type changed from " + type_name(o) + " to " + type_name(u));
        return;
    }
    if (ok == kind::map) {
        const pb::Descriptor *oe = o->message_type(), *ue = u->message_type();
        types(at + " map key", oe->map_key(), ue->map_key());
        if (!stop())
            types(at + " map value", oe->map_value(), ue->map_value());
        return;
    }
    std::string on = local_name(o->message_type()), un = local_name(u->message_type());
    if (on != un) {
        fail(at, "the message type changed from " + o->message_type()->full_name() + " to " +
                     u->message_type()->full_name());
        return;
    }
    message(on, o->message_type(), u->message_type());
}

void say(char *why, size_t whylen, const std::string &text)
{
    if (whylen)
        std::snprintf(why, whylen, "%s", text.c_str());
}

} // namespace

extern "C" int kelp_protobuf_can_read(const char *reader, const char *writer, char *why, size_t whylen)
{
    return kelp_protobuf_can_read_deps(reader, nullptr, writer, nullptr, why, whylen);
}

extern "C" int kelp_protobuf_can_read_deps(const char *reader, const kelp_schema_deps *reader_deps, const char *writer,
                                           const kelp_schema_deps *writer_deps, char *why, size_t whylen)
{
    try {
        std::unique_ptr<loaded> r(new loaded), w(new loaded);
        std::string error;
        if (!load(reader, reader_deps, *r, error) || !load(writer, writer_deps, *w, error)) {
            say(why, whylen, error);
            return -1;
        }
        const std::string &op = w->file->package(), &up = r->file->package();
        if (op != up) {
            say(why, whylen, "the package changed from \"" + op + "\" to \"" + up + "\"");
            return 0;
        }
        differ d;
        d.scope("", w->file, nullptr, r->file, nullptr);
        if (!d.error.empty()) {
            say(why, whylen, d.error);
            return -1;
        }
        if (!d.why.empty()) {
            say(why, whylen, d.why);
            return 0;
        }
        return 1;
    } catch (const std::exception &e) {
        say(why, whylen, std::string("Protobuf compatibility check failed: ") + e.what());
    } catch (...) {
        say(why, whylen, "Protobuf compatibility check failed");
    }
    return -1;
}
