#include "schema/validate_avro.h"

#include <avro.h>
#include <stdio.h>
#include <stdlib.h>

#include "schema/avro_binary.h"

struct kelp_avro_checker {
    avro_schema_t schema;
    avro_value_iface_t *iface;
};

kelp_avro_checker *kelp_avro_checker_new(const char *schema, size_t len, char *why, size_t whylen)
{
    kelp_avro_checker *c = calloc(1, sizeof(*c));
    if (!c) {
        snprintf(why, whylen, "out of memory");
        return NULL;
    }
    if (avro_schema_from_json_length(schema, len, &c->schema) != 0) {
        snprintf(why, whylen, "unusable Avro schema: %s", avro_strerror());
        free(c);
        return NULL;
    }
    c->iface = avro_generic_class_from_schema(c->schema);
    if (!c->iface) {
        snprintf(why, whylen, "unusable Avro schema: %s", avro_strerror());
        avro_schema_decref(c->schema);
        free(c);
        return NULL;
    }
    return c;
}

int kelp_avro_checker_check(kelp_avro_checker *c, const uint8_t *payload, size_t len, char *why, size_t whylen)
{
    if (kelp_avro_binary_check(c->schema, payload, len, why, whylen) != 0)
        return -1;
    avro_value_t value;
    if (avro_generic_value_new(c->iface, &value) != 0) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    avro_reader_t reader = avro_reader_memory((const char *)payload, (int64_t)len);
    int rc = -1;
    size_t used = 0;
    if (!reader)
        snprintf(why, whylen, "out of memory");
    else if (avro_value_read(reader, &value) != 0)
        snprintf(why, whylen, "the payload does not decode with the Avro schema: %s", avro_strerror());
    /* A memory reader tells no position: the datum's encoded size does. */
    else if (avro_value_sizeof(&value, &used) != 0 || used != len)
        snprintf(why, whylen, "the payload has bytes after the Avro datum");
    else
        rc = 0;
    if (reader)
        avro_reader_free(reader);
    avro_value_decref(&value);
    return rc;
}

void kelp_avro_checker_free(kelp_avro_checker *c)
{
    if (!c)
        return;
    avro_value_iface_decref(c->iface);
    avro_schema_decref(c->schema);
    free(c);
}
