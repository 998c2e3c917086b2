#include "protocol/kafka_errors.h"

const char *kafka_error_name(int16_t code)
{
    switch (code) {
#define KAFKA_ERROR_CASE(name, value) case value: return #name;
        KAFKA_ERROR_LIST(KAFKA_ERROR_CASE)
#undef KAFKA_ERROR_CASE
    }
    return "UNKNOWN";
}
