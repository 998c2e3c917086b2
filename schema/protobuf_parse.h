// Internal to libkelpcore's C++ files: turning a registered Protobuf schema
// into a FileDescriptorProto, shared by validation and compatibility.
#ifndef KELP_SCHEMA_PROTOBUF_PARSE_H
#define KELP_SCHEMA_PROTOBUF_PARSE_H

#include <cstddef>
#include <string>

#include <google/protobuf/descriptor.pb.h>

#include "schema/references.h"

namespace kelp {

// .proto text, or the base64 of a serialized FileDescriptorProto (what
// confluent-kafka-python registers). false with the reason in error.
bool parse_proto_schema(const char *schema, size_t len, google::protobuf::FileDescriptorProto &proto,
                        std::string &error);

// Builds proto into pool under a fixed file name; nullptr with the first
// build error in error.
const google::protobuf::FileDescriptor *build_proto_schema(google::protobuf::DescriptorPool &pool,
                                                           google::protobuf::FileDescriptorProto &proto,
                                                           std::string &error);

// Builds the PROTOBUF entries of deps (references, dependencies first)
// into pool, each under its reference name (the name it is imported by).
// false with the first error.
bool build_proto_deps(google::protobuf::DescriptorPool &pool, const kelp_schema_deps *deps, std::string &error);

} // namespace kelp

#endif
