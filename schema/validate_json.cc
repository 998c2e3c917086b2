// JSON Schema validation with valijson over nlohmann::json. Exceptions stay
// inside this file: every entry point catches them.
#define VALIJSON_USE_EXCEPTIONS 1

#include "schema/validate_json.h"

#include <cstdio>
#include <exception>
#include <memory>
#include <string>

// GCC 12 with the sanitizers reports a false maybe-uninitialized inside
// libstdc++'s std::function, instantiated through valijson's std::regex.
// (clang has no such warning and would warn about the unknown name.)
#pragma GCC diagnostic push
#if !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <nlohmann/json.hpp>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#pragma GCC diagnostic pop

// Nesting deeper than this is refused before parsing: the parser, the
// validator and the destructors all recurse over it.
static const int max_depth = 128;

struct kelp_json_checker {
    valijson::Schema schema;
};

static void say(char *why, size_t whylen, const std::string &text)
{
    if (whylen)
        std::snprintf(why, whylen, "%s", text.c_str());
}

static bool too_deep(const char *p, size_t len)
{
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char ch = p[i];
        if (in_string) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '{' || ch == '[') {
            if (++depth > max_depth)
                return true;
        } else if (ch == '}' || ch == ']') {
            depth--;
        }
    }
    return false;
}

static bool parse(const char *p, size_t len, nlohmann::json &out, char *why, size_t whylen)
{
    if (too_deep(p, len)) {
        say(why, whylen, "JSON nested more than " + std::to_string(max_depth) + " levels deep");
        return false;
    }
    out = nlohmann::json::parse(p, p + len, nullptr, false);
    if (out.is_discarded()) {
        say(why, whylen, "not valid JSON");
        return false;
    }
    return true;
}

extern "C" kelp_json_checker *kelp_json_checker_new(const char *schema, size_t len, char *why, size_t whylen)
{
    try {
        nlohmann::json doc;
        if (!parse(schema, len, doc, why, whylen))
            return nullptr;
        std::unique_ptr<kelp_json_checker> c(new kelp_json_checker);
        valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
        valijson::adapters::NlohmannJsonAdapter adapter(doc);
        // No fetch function: a schema with remote $refs is refused.
        parser.populateSchema(adapter, c->schema);
        return c.release();
    } catch (const std::exception &e) {
        say(why, whylen, std::string("unusable JSON Schema: ") + e.what());
    } catch (...) {
        say(why, whylen, "unusable JSON Schema");
    }
    return nullptr;
}

extern "C" int kelp_json_checker_check(const kelp_json_checker *c, const uint8_t *doc, size_t len, char *why,
                                       size_t whylen)
{
    try {
        nlohmann::json value;
        if (!parse(reinterpret_cast<const char *>(doc), len, value, why, whylen))
            return -1;
        valijson::Validator validator;
        valijson::ValidationResults results;
        valijson::adapters::NlohmannJsonAdapter adapter(value);
        if (validator.validate(c->schema, adapter, &results))
            return 0;
        valijson::ValidationResults::Error error;
        std::string text = "does not match the JSON Schema";
        // The innermost error says most; the first ones are its parents.
        std::string last;
        while (results.popError(error)) {
            std::string path;
            for (const std::string &part : error.context)
                path += part;
            last = path + ": " + error.description;
        }
        if (!last.empty())
            text += " (" + last + ")";
        say(why, whylen, text);
    } catch (const std::exception &e) {
        say(why, whylen, std::string("JSON Schema validation failed: ") + e.what());
    } catch (...) {
        say(why, whylen, "JSON Schema validation failed");
    }
    return -1;
}

extern "C" void kelp_json_checker_free(kelp_json_checker *c)
{
    delete c;
}
