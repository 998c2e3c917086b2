#!/bin/sh
# Regenerates protocol/generated/ (and the codec round-trip test) from Kafka's
# JSON message schemas. The build itself never needs the schemas.
#   protocol/gen/regenerate.sh [MESSAGES_DIR]
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
messages=${1:-$top/../shared/kafka-protocol/messages}
rm -f "$top"/protocol/generated/*.c "$top"/protocol/generated/*.h
python3 "$top/protocol/gen/kafka_codegen.py" "$messages" "$top/protocol/generated" \
    "$top/t/unit/test_codec_roundtrip.c"
echo "regenerated protocol/generated from $messages"
