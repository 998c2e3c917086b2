/* kelpd: loads kelp.so, hands it the configuration, runs it until SIGINT or
 * SIGTERM, and reloads the configuration file on SIGHUP. It talks to the
 * module only through kelp/module.h; it shares the log line formatter's
 * source (util/log_line.c) so that its own lines look like the module's. */
#include <cjson/cJSON.h>
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kelp/module.h"
#include "util/log_line.h"

#ifndef KELP_MODULE_PATH
#define KELP_MODULE_PATH "kelp.so"
#endif

#define EXIT_USAGE 2
#define ERR_LEN 1024

typedef struct options {
    const char *config_file;
    const char *listen;
    const char *admin;
    const char *data;
    const char *module_path;
    const char *log_format;
} options;

/* The format of kelpd's own lines: --log-format, else the file's
 * "log_format", as of the last (re)load. */
static int own_log_format = KELP_LOG_FORMAT_LOGFMT;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kelpd: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(EXIT_USAGE);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: kelpd [--config FILE] [--listen HOST:PORT] [--admin HOST:PORT] [--data DIR]\n"
            "             [--module PATH] [--log-format FORMAT] [--help] [--version]\n"
            "\n"
            "  --config FILE       JSON object of configuration keys\n"
            "  --listen HOST:PORT  Kafka listener (overrides \"listen\"; port 0 picks one)\n"
            "  --admin HOST:PORT   admin HTTP listener (overrides \"admin\"; \"\" disables)\n"
            "  --data DIR          data directory (overrides \"data\")\n"
            "  --module PATH       the module to load (default $KELP_MODULE or %s)\n"
            "  --log-format FORMAT logfmt or json (overrides \"log_format\")\n"
            "\n"
            "SIGINT/SIGTERM stop kelpd cleanly; SIGHUP reloads the configuration file.\n",
            KELP_MODULE_PATH);
}

static options parse_options(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'}, {"listen", required_argument, NULL, 'l'},
        {"admin", required_argument, NULL, 'a'},  {"data", required_argument, NULL, 'd'},
        {"module", required_argument, NULL, 'm'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},      {"log-format", required_argument, NULL, 'f'},
        {NULL, 0, NULL, 0},
    };
    options opt = {0};
    const char *env_module = getenv("KELP_MODULE");
    opt.module_path = env_module && env_module[0] ? env_module : KELP_MODULE_PATH;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': opt.config_file = optarg; break;
        case 'l': opt.listen = optarg; break;
        case 'a': opt.admin = optarg; break;
        case 'd': opt.data = optarg; break;
        case 'm': opt.module_path = optarg; break;
        case 'f':
            if (kelp_log_format_parse(optarg) < 0)
                die("--log-format must be logfmt or json, not \"%s\"", optarg);
            opt.log_format = optarg;
            break;
        case 'h': usage(stdout); exit(0);
        case 'V': printf("kelpd %s\n", PACKAGE_VERSION); exit(0);
        default: usage(stderr); exit(EXIT_USAGE);
        }
    }
    if (optind < argc)
        die("unexpected argument \"%s\" (see kelpd --help)", argv[optind]);
    return opt;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open configuration file %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t len = 0, cap = 4096;
    char *text = malloc(cap);
    while (text) {
        len += fread(text + len, 1, cap - len - 1, f);
        if (len < cap - 1)
            break;
        char *grown = realloc(text, cap * 2);
        if (!grown) {
            free(text);
            text = NULL;
            break;
        }
        text = grown;
        cap *= 2;
    }
    bool failed = ferror(f) != 0;
    fclose(f);
    if (!text || failed) {
        snprintf(err, errlen, "cannot read configuration file %s", path);
        free(text);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

static int set_string(cJSON *root, const char *key, const char *value)
{
    cJSON *item = cJSON_CreateString(value);
    if (!item)
        return -1;
    cJSON_DeleteItemFromObjectCaseSensitive(root, key);
    return cJSON_AddItemToObject(root, key, item) ? 0 : -1;
}

/* The configuration file (if any) with the command-line overrides, as the
 * JSON text create() and reconfigure() take. Key validation is the
 * module's job; only the file's shape is checked here. */
static char *build_config(const options *opt, char *err, size_t errlen)
{
    cJSON *root = NULL;
    if (opt->config_file) {
        char *text = read_file(opt->config_file, err, errlen);
        if (!text)
            return NULL;
        const char *at = NULL;
        root = cJSON_ParseWithOpts(text, &at, true);
        if (!root) {
            size_t line = 1;
            for (const char *p = text; at && p < at; p++)
                line += *p == '\n';
            snprintf(err, errlen, "%s: not valid JSON (near line %zu)", opt->config_file, line);
            free(text);
            return NULL;
        }
        free(text);
        if (!cJSON_IsObject(root)) {
            snprintf(err, errlen, "%s: the configuration must be a JSON object", opt->config_file);
            cJSON_Delete(root);
            return NULL;
        }
    } else {
        root = cJSON_CreateObject();
    }
    if (!root || (opt->listen && set_string(root, "listen", opt->listen) != 0) ||
        (opt->admin && set_string(root, "admin", opt->admin) != 0) ||
        (opt->data && set_string(root, "data", opt->data) != 0) ||
        (opt->log_format && set_string(root, "log_format", opt->log_format) != 0)) {
        snprintf(err, errlen, "out of memory");
        cJSON_Delete(root);
        return NULL;
    }
    /* An invalid value is the module's to refuse; kelpd keeps its format then. */
    const char *format_name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(root, "log_format"));
    int format = format_name ? kelp_log_format_parse(format_name) : KELP_LOG_FORMAT_LOGFMT;
    if (format >= 0)
        own_log_format = format;
    char *json = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!json)
        snprintf(err, errlen, "out of memory");
    return json;
}

/* kelpd's own events, as lines like the module's (component "kelpd"). */
static void own_log(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void own_log(const char *level, const char *fmt, ...)
{
    char msg[ERR_LEN + 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    char line[KELP_LOG_LINE_MAX];
    size_t len = kelp_log_line(line, sizeof(line), own_log_format,
                               (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, level, "kelpd", msg);
    fwrite(line, 1, len, stderr);
}

static const kelp_module_descriptor *load_module(const char *path, void **handle)
{
    dlerror();
    *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!*handle)
        die("cannot load module %s: %s", path, dlerror());
    dlerror();
    void *sym = dlsym(*handle, KELP_MODULE_ENTRY_SYMBOL);
    const char *dl_err = dlerror();
    if (!sym || dl_err)
        die("module %s has no %s: %s", path, KELP_MODULE_ENTRY_SYMBOL, dl_err ? dl_err : "symbol is NULL");
    kelp_module_entry_fn entry;
    /* POSIX guarantees a data pointer from dlsym converts to a function pointer. */
    memcpy(&entry, &sym, sizeof(entry));
    const kelp_module_descriptor *desc = entry();
    if (!desc)
        die("module %s returned no descriptor", path);
    if (desc->abi_version != KELP_MODULE_ABI_VERSION)
        die("module %s has ABI version %u, this kelpd needs %u", path, (unsigned)desc->abi_version,
            (unsigned)KELP_MODULE_ABI_VERSION);
    if (!desc->create || !desc->start || !desc->stop || !desc->destroy || !desc->bound_address)
        die("module %s lacks a required function", path);
    return desc;
}

static void print_address(const kelp_module_descriptor *desc, kelp_instance *inst, int kind, const char *what)
{
    char addr[512];
    if (desc->bound_address(inst, kind, addr, sizeof(addr)) == 0)
        printf("kelpd: %s listening on %s\n", what, addr);
}

static void reload(const kelp_module_descriptor *desc, kelp_instance *inst, const options *opt)
{
    char err[ERR_LEN] = "";
    char *json = build_config(opt, err, sizeof(err));
    if (!json || !desc->reconfigure || desc->reconfigure(inst, json, err, sizeof(err)) != 0)
        own_log("error", "configuration not reloaded: %s", err[0] ? err : "not supported by the module");
    else
        own_log("info", "configuration reloaded");
    free(json);
}

/* Every partition keeps its active segment open and every client a socket:
 * the soft descriptor limit (often 1024) goes up to the hard one. */
static void raise_descriptor_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

int main(int argc, char **argv)
{
    options opt = parse_options(argc, argv);
    raise_descriptor_limit();
    char err[ERR_LEN] = "";
    char *json = build_config(&opt, err, sizeof(err));
    if (!json)
        die("%s", err);

    void *handle;
    const kelp_module_descriptor *desc = load_module(opt.module_path, &handle);

    /* Blocked before the module starts threads, so they inherit the mask and
     * only sigwait below sees these signals. */
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* No log callback: the module then writes its events to stderr itself,
     * in the log_format of its running configuration (which PUT /v1/config
     * may change without kelpd knowing). */
    kelp_host_api host = {.abi_version = KELP_MODULE_ABI_VERSION, .ctx = NULL, .log = NULL};
    kelp_instance *inst = NULL;
    if (desc->create(&host, json, &inst, err, sizeof(err)) != 0)
        die("%s", err);
    free(json);
    if (desc->start(inst, err, sizeof(err)) != 0) {
        desc->destroy(inst);
        die("%s", err);
    }
    print_address(desc, inst, KELP_LISTENER_KAFKA, "kafka");
    print_address(desc, inst, KELP_LISTENER_ADMIN, "admin");
    print_address(desc, inst, KELP_LISTENER_SCHEMA_REGISTRY, "schema registry");
    fflush(stdout);

    for (;;) {
        int sig = 0;
        if (sigwait(&signals, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            if (opt.config_file)
                reload(desc, inst, &opt);
            continue;
        }
        own_log("info", "%s received, stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
        break;
    }

    int status = 0;
    if (desc->stop(inst, err, sizeof(err)) != 0) {
        own_log("error", "stop: %s", err);
        status = 1;
    }
    desc->destroy(inst);
    dlclose(handle);
    return status;
}
