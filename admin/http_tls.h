/* HTTPS for the HTTP endpoints (admin, schema registry): the PEM
 * certificate chain and private key named by "admin_auth", read and checked
 * once, then handed to libmicrohttpd as memory (MHD_USE_TLS). */
#ifndef KELP_ADMIN_HTTP_TLS_H
#define KELP_ADMIN_HTTP_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "module/config.h"

/* PEM texts (malloc'd); both NULL: plain HTTP. */
typedef struct kelp_http_tls {
    char *cert;
    char *key;
} kelp_http_tls;

/* Largest PEM file read. */
#define KELP_HTTP_TLS_FILE_MAX (1u << 20)

/* Reads admin_auth's ssl_certificate and ssl_key (nothing when they are
 * empty: out stays plain HTTP). Fails with a message naming the key when
 * a file cannot be read, holds no PEM certificate or unencrypted private
 * key, the two do not belong together, or libmicrohttpd was built without
 * TLS. out is only written on success. */
int kelp_http_tls_load(const kelp_admin_auth_config *aa, kelp_http_tls *out, char *err, size_t errlen);

/* A copy of src (NULL: plain); -1 when out of memory. */
int kelp_http_tls_copy(const kelp_http_tls *src, kelp_http_tls *dst);

/* Same certificate and key (two plain settings are equal too). */
bool kelp_http_tls_equal(const kelp_http_tls *a, const kelp_http_tls *b);

/* Wipes the key and frees both; leaves tls plain. */
void kelp_http_tls_free(kelp_http_tls *tls);

/* The daemon flags to add (MHD_USE_TLS or 0) and the options for
 * MHD_OPTION_ARRAY: the PEM texts, then MHD_OPTION_END. tls must outlive
 * the daemon. */
unsigned kelp_http_tls_mhd_options(const kelp_http_tls *tls, struct MHD_OptionItem opts[3]);

#endif
