/* JSON Schema compatibility rules (schema/compatibility_json.c) in both
 * directions, and the levels (BACKWARD/FORWARD/FULL, transitive or not)
 * applied to JSON through kelp_schema_compatible. Schemas are written with
 * single quotes, turned into double quotes before use. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/compatibility.h"
#include "schema/compatibility_json.h"

static char *dq(const char *s)
{
    char *out = strdup(s);
    ck_assert_ptr_nonnull(out);
    for (char *p = out; *p; p++)
        if (*p == '\'')
            *p = '"';
    return out;
}

static char last_why[512];

/* Can a reader with schema r read what a writer with schema w wrote? */
static int can_read(const char *r, const char *w)
{
    char *rr = dq(r), *ww = dq(w);
    int rc = kelp_json_schema_can_read(rr, ww, last_why, sizeof(last_why));
    free(rr);
    free(ww);
    return rc;
}

/* old -> new under BACKWARD (new reads old) and FORWARD (old reads new). */
#define BACKWARD_OK(old, new) ck_assert_msg(can_read(new, old) == 1, "backward %s -> %s: %s", old, new, last_why)
#define BACKWARD_NO(old, new) ck_assert_msg(can_read(new, old) == 0, "backward %s -> %s: %s", old, new, last_why)
#define FORWARD_OK(old, new) ck_assert_msg(can_read(old, new) == 1, "forward %s -> %s: %s", old, new, last_why)
#define FORWARD_NO(old, new) ck_assert_msg(can_read(old, new) == 0, "forward %s -> %s: %s", old, new, last_why)
#define WHY_HAS(s) ck_assert_msg(strstr(last_why, s) != NULL, "reason \"%s\" lacks \"%s\"", last_why, s)

START_TEST(identical_and_annotations)
{
    const char *s = "{'type':'object','properties':{'a':{'type':'string'}},'required':['a']}";
    BACKWARD_OK(s, s);
    FORWARD_OK(s, s);
    BACKWARD_OK("{'type':'string','title':'x','description':'d','default':'a'}",
                "{'type':'string','title':'y','description':'e','default':'b','$id':'z'}");
    BACKWARD_OK("{'properties':{}}", "{}"); /* anything can become the empty schema */
    BACKWARD_NO("{}", "{'type':'string'}");
    BACKWARD_OK("{'type':'string'}", "true");
    BACKWARD_NO("{'type':'string'}", "false");
    BACKWARD_OK("false", "{'type':'string'}");
}
END_TEST

START_TEST(types)
{
    BACKWARD_NO("{'type':'object'}", "{'type':'array'}");
    WHY_HAS("type changed from object to array");
    FORWARD_NO("{'type':'object'}", "{'type':'array'}");
    /* integer -> number widens: backward yes, forward no. */
    BACKWARD_OK("{'type':'integer'}", "{'type':'number'}");
    FORWARD_NO("{'type':'integer'}", "{'type':'number'}");
    WHY_HAS("narrowed");
    BACKWARD_NO("{'type':'number'}", "{'type':'integer'}");
    FORWARD_OK("{'type':'number'}", "{'type':'integer'}");
    /* Adding a type to the list extends it. */
    BACKWARD_OK("{'type':'string'}", "{'type':['string','null']}");
    FORWARD_NO("{'type':'string'}", "{'type':['string','null']}");
    BACKWARD_OK("{'type':['object']}", "{'type':['object','array']}");
    BACKWARD_NO("{'type':['string','null']}", "{'type':'string'}");
    FORWARD_OK("{'type':['string','null']}", "{'type':'string'}");
    /* Keywords without "type" constrain only their type: requiring it narrows. */
    BACKWARD_NO("{'maxLength':3}", "{'type':'string','maxLength':3}");
    BACKWARD_OK("{'type':'string','maxLength':3}", "{'maxLength':3}");
}
END_TEST

START_TEST(strings)
{
    BACKWARD_OK("{'type':'string','maxLength':10}", "{'type':'string','maxLength':12}");
    FORWARD_NO("{'type':'string','maxLength':10}", "{'type':'string','maxLength':12}");
    WHY_HAS("maxLength decreased from 12 to 10");
    BACKWARD_NO("{'type':'string','maxLength':12}", "{'type':'string','maxLength':10}");
    BACKWARD_OK("{'type':'string','maxLength':12}", "{'type':'string'}");
    BACKWARD_NO("{'type':'string'}", "{'type':'string','maxLength':12}");
    WHY_HAS("maxLength 12 was added");
    BACKWARD_OK("{'type':'string','minLength':11}", "{'type':'string','minLength':10}");
    BACKWARD_NO("{'type':'string','minLength':10}", "{'type':'string','minLength':11}");
    FORWARD_OK("{'type':'string','minLength':10}", "{'type':'string','minLength':11}");
    BACKWARD_OK("{'type':'string','pattern':'^a'}", "{'type':'string'}");
    FORWARD_NO("{'type':'string','pattern':'^a'}", "{'type':'string'}");
    WHY_HAS("pattern was added");
    BACKWARD_NO("{'type':'string','pattern':'^a'}", "{'type':'string','pattern':'^b'}");
    WHY_HAS("pattern was changed");
    BACKWARD_OK("{'type':'string','pattern':'^a'}", "{'type':'string','pattern':'^a'}");
}
END_TEST

START_TEST(numbers)
{
    BACKWARD_OK("{'type':'number','maximum':10}", "{'type':'number','maximum':11}");
    BACKWARD_NO("{'type':'number','maximum':11}", "{'type':'number','maximum':10}");
    FORWARD_OK("{'type':'number','maximum':11}", "{'type':'number','maximum':10}");
    BACKWARD_OK("{'type':'number','maximum':10}", "{'type':'number'}");
    BACKWARD_OK("{'type':'number','minimum':11}", "{'type':'number','minimum':10}");
    BACKWARD_NO("{'type':'number','minimum':10}", "{'type':'number','minimum':11}");
    BACKWARD_NO("{'type':'number'}", "{'type':'number','minimum':1}");
    BACKWARD_OK("{'type':'number','exclusiveMaximum':5}", "{'type':'number','exclusiveMaximum':6}");
    BACKWARD_NO("{'type':'number','exclusiveMinimum':5}", "{'type':'number','exclusiveMinimum':6}");
    BACKWARD_OK("{'type':'number','multipleOf':10}", "{'type':'number','multipleOf':2}");
    FORWARD_NO("{'type':'number','multipleOf':10}", "{'type':'number','multipleOf':2}");
    BACKWARD_NO("{'type':'number','multipleOf':10}", "{'type':'number','multipleOf':11}");
    WHY_HAS("multipleOf");
    BACKWARD_OK("{'type':'number','multipleOf':10}", "{'type':'number'}");
}
END_TEST

START_TEST(enums)
{
    BACKWARD_OK("{'enum':['red']}", "{'enum':['red','blue']}");
    FORWARD_NO("{'enum':['red']}", "{'enum':['red','blue']}");
    WHY_HAS("\"blue\" is no longer allowed");
    BACKWARD_NO("{'enum':['red','blue']}", "{'enum':['red']}");
    BACKWARD_NO("{'properties':{'foo':{'const':'red'}}}", "{'properties':{'foo':{'const':'blue'}}}");
    BACKWARD_OK("{'const':'red'}", "{'enum':['red','blue']}");
    /* Dropping the enum from a typed schema relaxes it. */
    BACKWARD_OK("{'type':'string','enum':['red']}", "{'type':'string'}");
    FORWARD_NO("{'type':'string','enum':['red']}", "{'type':'string'}");
    BACKWARD_OK("{'allOf':[{'type':'string'},{'enum':['red']}]}",
                "{'allOf':[{'enum':['red','blue']},{'type':'string'}]}");
    BACKWARD_NO("{'allOf':[{'type':'string'},{'enum':['red']}]}", "{'allOf':[{'type':'string'},{'enum':['blue']}]}");
    BACKWARD_OK("{'type':['string','null'],'enum':['a',null]}", "{'type':['string','null']}");
    FORWARD_NO("{'type':['string','null'],'enum':['a',null]}", "{'type':['string','null']}");
}
END_TEST

#define OPEN_A "{'type':'object','properties':{'a':{'type':'string'}}}"
#define OPEN_AB "{'type':'object','properties':{'a':{'type':'string'},'b':{'type':'number'}}}"
#define CLOSED_A "{'type':'object','properties':{'a':{'type':'string'}},'additionalProperties':false}"
#define CLOSED_AB                                                                                                  \
    "{'type':'object','properties':{'a':{'type':'string'},'b':{'type':'number'}},'additionalProperties':false}"

START_TEST(open_content_model)
{
    /* Old documents may carry any "b": a new typed "b" cannot read them. */
    BACKWARD_NO(OPEN_A, OPEN_AB);
    WHY_HAS("open content model");
    /* ... but removing a property from an open model is fine (forward of the above). */
    FORWARD_OK(OPEN_A, OPEN_AB);
    BACKWARD_OK(OPEN_AB, OPEN_A);
    /* An added property with the empty schema accepts whatever was there. */
    BACKWARD_OK(OPEN_A, "{'type':'object','properties':{'a':{'type':'string'},'b':{}}}");
    BACKWARD_NO("{'properties':{'foo':{'type':'string'}}}", "{'properties':{'bar':{'type':'string'}}}");
}
END_TEST

START_TEST(closed_content_model)
{
    BACKWARD_OK(CLOSED_A, CLOSED_AB); /* optional property added to a closed model */
    FORWARD_NO(CLOSED_A, CLOSED_AB);  /* property removed from a closed model */
    WHY_HAS("closed content model");
    BACKWARD_NO(CLOSED_AB, CLOSED_A);
    /* additionalProperties: false -> true relaxes, true -> false tightens. */
    BACKWARD_OK(CLOSED_A, OPEN_A);
    BACKWARD_NO(OPEN_A, CLOSED_A);
    WHY_HAS("additionalProperties");
    BACKWARD_NO("{'additionalProperties':{'type':'string'}}", "{'additionalProperties':{'type':'number'}}");
    /* Removing a property declared false from a closed model is fine. */
    BACKWARD_OK("{'properties':{'x':false},'additionalProperties':false}", "{'additionalProperties':false}");
}
END_TEST

START_TEST(partially_open_content_model)
{
    const char *old = "{'properties':{'foo':{'type':'string'}},'additionalProperties':{'type':'string'}}";
    BACKWARD_OK(old, "{'properties':{'foo':{'type':'string'},'bar':{'type':'string'}},"
                     "'additionalProperties':{'type':'string'}}");
    BACKWARD_NO(old, "{'properties':{'foo':{'type':'string'},'bar':{'type':'number'}},"
                     "'additionalProperties':{'type':'string'}}");
    /* patternProperties cover the names they match. */
    const char *pat = "{'properties':{'foo':{'type':'string'}},'additionalProperties':false,"
                      "'patternProperties':{'^S_':{'type':'string'},'^I_':{'type':'integer'}}}";
    BACKWARD_OK(pat, "{'properties':{'foo':{'type':'string'},'I_1':{'type':'number'}},'additionalProperties':false,"
                     "'patternProperties':{'^S_':{'type':'string'},'^I_':{'type':'integer'}}}");
    BACKWARD_NO(pat, "{'properties':{'foo':{'type':'string'},'I_1':{'type':'string'}},'additionalProperties':false,"
                     "'patternProperties':{'^S_':{'type':'string'},'^I_':{'type':'integer'}}}");
    /* Removed, and now covered by additionalProperties. */
    BACKWARD_OK("{'properties':{'foo':{'type':'string'},'bar':{'type':'string'}},'additionalProperties':false}",
                "{'properties':{'foo':{'type':'string'}},'additionalProperties':{'type':'string'}}");
    BACKWARD_NO("{'properties':{'foo':{'type':'string'},'bar':{'type':'number'}},'additionalProperties':false}",
                "{'properties':{'foo':{'type':'string'}},'additionalProperties':{'type':'string'}}");
}
END_TEST

START_TEST(required)
{
    const char *opt = "{'properties':{'a':{'type':'string'}}}";
    const char *req = "{'properties':{'a':{'type':'string'}},'required':['a']}";
    const char *req_default = "{'properties':{'a':{'type':'string','default':'x'}},'required':['a']}";
    BACKWARD_NO(opt, req);
    WHY_HAS("property a became required");
    FORWARD_OK(opt, req);
    BACKWARD_OK(req, opt);
    FORWARD_NO(req, opt);
    BACKWARD_OK(opt, req_default);
    /* A required property added to a closed model needs a default too. */
    BACKWARD_NO(CLOSED_A, "{'type':'object','properties':{'a':{'type':'string'},'b':{'type':'number'}},"
                          "'required':['b'],'additionalProperties':false}");
    BACKWARD_OK(CLOSED_A, "{'type':'object','properties':{'a':{'type':'string'},'b':{'type':'number','default':1}},"
                          "'required':['b'],'additionalProperties':false}");
}
END_TEST

START_TEST(object_bounds_and_dependencies)
{
    BACKWARD_OK("{'maxProperties':3}", "{'maxProperties':4}");
    BACKWARD_NO("{'maxProperties':4}", "{'maxProperties':3}");
    BACKWARD_OK("{'minProperties':3}", "{'minProperties':2}");
    BACKWARD_NO("{'minProperties':2}", "{'minProperties':3}");
    BACKWARD_OK("{'dependencies':{'a':['b','c']}}", "{'dependencies':{'a':['b']}}");
    BACKWARD_NO("{'dependencies':{'a':['b']}}", "{'dependencies':{'a':['b','c']}}");
    BACKWARD_NO("{'dependencies':{'foo':['a']}}", "{'dependencies':{'bar':['a']}}");
    BACKWARD_OK("{'dependencies':{'a':{'properties':{'b':{'type':'string'}}}}}", "{}");
    BACKWARD_NO("{'dependencies':{'a':{'type':'string'}}}", "{'dependencies':{'a':{'type':'number'}}}");
}
END_TEST

START_TEST(arrays)
{
    BACKWARD_NO("{'type':'array'}", "{'type':'array','items':{'type':'string'}}");
    BACKWARD_OK("{'type':'array','items':{'type':'string'}}", "{'type':'array'}");
    BACKWARD_OK("{'type':'array','items':{'type':'integer'}}", "{'type':'array','items':{'type':'number'}}");
    FORWARD_NO("{'type':'array','items':{'type':'integer'}}", "{'type':'array','items':{'type':'number'}}");
    BACKWARD_OK("{'type':'array','maxItems':3}", "{'type':'array','maxItems':4}");
    BACKWARD_NO("{'type':'array','maxItems':4}", "{'type':'array','maxItems':3}");
    BACKWARD_OK("{'type':'array','minItems':3}", "{'type':'array','minItems':2}");
    BACKWARD_NO("{'type':'array','minItems':2}", "{'type':'array','minItems':3}");
    BACKWARD_OK("{'type':'array','uniqueItems':true}", "{'type':'array'}");
    BACKWARD_NO("{'type':'array'}", "{'type':'array','uniqueItems':true}");
    /* Tuples: an item added to a closed list, removed from an open one. */
    BACKWARD_OK("{'type':'array','items':[{'type':'string'}],'additionalItems':false}",
                "{'type':'array','items':[{'type':'string'},{'type':'number'}],'additionalItems':false}");
    FORWARD_NO("{'type':'array','items':[{'type':'string'}],'additionalItems':false}",
               "{'type':'array','items':[{'type':'string'},{'type':'number'}],'additionalItems':false}");
    BACKWARD_OK("{'type':'array','items':[{'type':'string'},{'type':'number'}]}",
                "{'type':'array','items':[{'type':'string'}]}");
    BACKWARD_NO("{'type':'array','items':[{'type':'string'}],'additionalItems':{'type':'string'}}",
                "{'type':'array','items':[{'type':'string'},{'type':'number'}],'additionalItems':{'type':'string'}}");
    BACKWARD_NO("{'additionalItems':true}", "{'additionalItems':false}");
    /* 2020-12 prefixItems + items. */
    BACKWARD_OK("{'type':'array','prefixItems':[{'type':'string'}],'items':false}",
                "{'type':'array','prefixItems':[{'type':'string'},{'type':'number'}],'items':false}");
    BACKWARD_NO("{'type':'array','prefixItems':[{'type':'string'}]}",
                "{'type':'array','prefixItems':[{'type':'string'},{'type':'number'}]}");
}
END_TEST

START_TEST(combined)
{
    const char *one = "{'oneOf':[{'type':'string'}]}";
    const char *two = "{'oneOf':[{'type':'number'},{'type':'string'}]}";
    BACKWARD_OK(one, two); /* sum type extended */
    FORWARD_NO(one, two);  /* ... narrowed */
    WHY_HAS("lost alternatives");
    BACKWARD_OK("{'type':'string'}", two);
    BACKWARD_OK("{'type':'string','maxLength':3}", two);
    BACKWARD_NO("{'oneOf':[{'type':'string'}]}", "{'oneOf':[{'type':'number'}]}");
    /* allOf: fewer members relaxes, more tightens. */
    const char *all2 = "{'allOf':[{'type':'string'},{'maxLength':5}]}";
    BACKWARD_OK(all2, "{'allOf':[{'type':'string'}]}");
    FORWARD_NO(all2, "{'allOf':[{'type':'string'}]}");
    WHY_HAS("allOf gained subschemas");
    BACKWARD_NO("{'type':'string'}", "{'allOf':[{'type':'number'},{'type':'string'}]}");
    BACKWARD_OK("{'allOf':[{'type':'string'},{'type':'string'}]}", "{'allOf':[{'type':'string'}]}");
    BACKWARD_OK("{'allOf':[{'type':'string'}]}", "{'allOf':[{'type':'string'},{'type':'string'}]}");
    /* Criteria: to anyOf always extends; anyOf -> oneOf/allOf does not. */
    BACKWARD_OK(two, "{'anyOf':[{'type':'number'},{'type':'string'}]}");
    BACKWARD_NO("{'anyOf':[{'type':'number'},{'type':'string'}]}", two);
    WHY_HAS("anyOf changed to oneOf");
    BACKWARD_NO("{'oneOf':[{'type':'string'},{'type':'integer'}]}", "{'allOf':[{'type':'string'}]}");
    BACKWARD_OK("{'oneOf':[{'type':'string'}]}", "{'allOf':[{'type':'string'}]}");
    BACKWARD_OK("{'allOf':[{'type':'number'},{'type':'string'}]}", "{'anyOf':[{'type':'string'}]}");
    /* Nested inside a property, with the reason's path. */
    BACKWARD_NO("{'type':'object','properties':{'p':{'oneOf':[{'type':'number'},{'type':'string'}]}}}",
                "{'type':'object','properties':{'p':{'oneOf':[{'type':'string'}]}}}");
    WHY_HAS("#/properties/p");
}
END_TEST

START_TEST(not_schema)
{
    BACKWARD_OK("{'not':{'type':'number'}}", "{'not':{'type':'integer'}}");
    FORWARD_NO("{'not':{'type':'number'}}", "{'not':{'type':'integer'}}");
    BACKWARD_NO("{'not':{'type':'integer'}}", "{'not':{'type':'number'}}");
    WHY_HAS("negated schema was extended");
}
END_TEST

START_TEST(references)
{
    BACKWARD_NO("{'type':'array','items':{'$ref':'#/definitions/r'},'definitions':{'r':{'type':'string'}}}",
                "{'type':'array','items':{'$ref':'#/definitions/r'},'definitions':{'r':{'type':'number'}}}");
    BACKWARD_OK("{'type':'string'}", "{'$ref':'#/definitions/r','definitions':{'r':{'type':'string'}}}");
    BACKWARD_OK("{'$ref':'#/definitions/r','definitions':{'r':{'type':'string'}}}", "{'type':'string'}");
    BACKWARD_OK("{'$ref':'#/$defs/r','$defs':{'r':{'type':'integer'}}}",
                "{'$ref':'#/$defs/x','$defs':{'x':{'type':'number'}}}");
    FORWARD_NO("{'$ref':'#/$defs/r','$defs':{'r':{'type':'integer'}}}",
               "{'$ref':'#/$defs/x','$defs':{'x':{'type':'number'}}}");
    /* Recursive definitions terminate. */
    const char *tree = "{'$ref':'#/definitions/node','definitions':{'node':{'type':'object','properties':{"
                       "'v':{'type':'integer'},'kids':{'type':'array','items':{'$ref':'#/definitions/node'}}}}}}";
    const char *tree_num = "{'$ref':'#/definitions/node','definitions':{'node':{'type':'object','properties':{"
                           "'v':{'type':'number'},'kids':{'type':'array','items':{'$ref':'#/definitions/node'}}}}}}";
    BACKWARD_OK(tree, tree);
    BACKWARD_OK(tree, tree_num);
    BACKWARD_NO(tree_num, tree);
    BACKWARD_OK("{'$ref':'#'}", "{'$ref':'#'}");
    /* JSON pointer escapes: ~1 is '/', ~0 is '~', %25 is '%'. */
    BACKWARD_NO("{'$ref':'#/$defs/a~1b','$defs':{'a/b':{'type':'string'}}}",
                "{'$ref':'#/$defs/c~0%25','$defs':{'c~%':{'type':'number'}}}");
    WHY_HAS("type changed from string to number");
    /* Refs that cannot be resolved: no answer, never "compatible". */
    ck_assert_int_eq(can_read("{'$ref':'#/definitions/missing'}", "{'type':'string'}"), -1);
    ck_assert_ptr_nonnull(strstr(last_why, "cannot resolve $ref #/definitions/missing"));
    ck_assert_int_eq(can_read("{'type':'string'}", "{'$ref':'other.json'}"), -1);
    ck_assert_int_eq(can_read("{'$ref':'#anchor'}", "{'type':'string'}"), -1);
}
END_TEST

START_TEST(unsupported)
{
    const char *cond = "{'if':{'type':'string'},'then':{'maxLength':3}}";
    ck_assert_int_eq(can_read(cond, "{'type':'string'}"), -1);
    ck_assert_ptr_nonnull(strstr(last_why, "\"if\""));
    ck_assert_int_eq(can_read("{'type':'string'}", cond), -1);
    ck_assert_int_eq(can_read("{'unevaluatedProperties':false}", "{}"), -1);
    ck_assert_int_eq(can_read("{'properties':{},'items':{}}", "{}"), -1); /* untyped, mixed */
    ck_assert_int_eq(can_read("{'type':'strin'}", "{}"), -1);
    ck_assert_int_eq(can_read("not json", "{}"), -1);
    /* A patternProperties regex that only ECMA understands cannot decide coverage. */
    ck_assert_int_eq(can_read("{'properties':{'1':{'type':'string'}}}", "{'patternProperties':{'^\\\\d+$':{}}}"), -1);
    ck_assert_ptr_nonnull(strstr(last_why, "cannot be evaluated"));
}
END_TEST

/* ---- levels ---- */

static int level_check(kelp_schema_level level, const char *new_schema, const char *v1, const char *v2)
{
    char *n = dq(new_schema), *a = dq(v1), *b = v2 ? dq(v2) : NULL;
    const char *prev[2] = {a, b};
    int rc = kelp_schema_compatible(KELP_SCHEMA_JSON, level, n, prev, b ? 2 : 1, last_why, sizeof(last_why));
    free(n);
    free(a);
    free(b);
    return rc;
}

#define S_MAX(n) "{'type':'string','maxLength':" #n "}"

START_TEST(levels)
{
    /* BACKWARD looks at the latest only; BACKWARD_TRANSITIVE at all. */
    ck_assert_int_eq(level_check(KELP_LEVEL_BACKWARD, S_MAX(20), S_MAX(30), S_MAX(10)), 1);
    ck_assert_int_eq(level_check(KELP_LEVEL_BACKWARD_TRANSITIVE, S_MAX(20), S_MAX(30), S_MAX(10)), 0);
    ck_assert_ptr_nonnull(strstr(last_why, "the new schema cannot read data written with an earlier one"));
    ck_assert_int_eq(level_check(KELP_LEVEL_BACKWARD, S_MAX(5), S_MAX(10), NULL), 0);
    /* FORWARD: the old schema reads the new. */
    ck_assert_int_eq(level_check(KELP_LEVEL_FORWARD, S_MAX(20), S_MAX(5), S_MAX(30)), 1);
    ck_assert_int_eq(level_check(KELP_LEVEL_FORWARD_TRANSITIVE, S_MAX(20), S_MAX(5), S_MAX(30)), 0);
    ck_assert_ptr_nonnull(strstr(last_why, "an earlier schema cannot read data written with the new one"));
    ck_assert_int_eq(level_check(KELP_LEVEL_FORWARD, S_MAX(40), S_MAX(30), NULL), 0);
    /* FULL: both ways. */
    ck_assert_int_eq(level_check(KELP_LEVEL_FULL, "{'type':'string','maxLength':20,'title':'t'}", S_MAX(20), NULL),
                     1);
    ck_assert_int_eq(level_check(KELP_LEVEL_FULL, S_MAX(25), S_MAX(20), NULL), 0);
    ck_assert_int_eq(level_check(KELP_LEVEL_FULL, S_MAX(15), S_MAX(20), NULL), 0);
    ck_assert_int_eq(level_check(KELP_LEVEL_FULL, S_MAX(20), S_MAX(10), S_MAX(20)), 1);
    ck_assert_int_eq(level_check(KELP_LEVEL_FULL_TRANSITIVE, S_MAX(20), S_MAX(10), S_MAX(20)), 0);
    ck_assert_int_eq(level_check(KELP_LEVEL_NONE, "{'type':'number'}", "{'type':'string'}", NULL), 1);
    /* Unresolvable refs are an error at every level but NONE. */
    ck_assert_int_eq(level_check(KELP_LEVEL_BACKWARD, "{'$ref':'x.json'}", S_MAX(1), NULL), -1);
    ck_assert_ptr_nonnull(strstr(last_why, "cannot resolve $ref"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("schema_compat_json");
    TCase *tc = tcase_create("rules");
    tcase_add_test(tc, identical_and_annotations);
    tcase_add_test(tc, types);
    tcase_add_test(tc, strings);
    tcase_add_test(tc, numbers);
    tcase_add_test(tc, enums);
    tcase_add_test(tc, open_content_model);
    tcase_add_test(tc, closed_content_model);
    tcase_add_test(tc, partially_open_content_model);
    tcase_add_test(tc, required);
    tcase_add_test(tc, object_bounds_and_dependencies);
    tcase_add_test(tc, arrays);
    tcase_add_test(tc, combined);
    tcase_add_test(tc, not_schema);
    tcase_add_test(tc, references);
    tcase_add_test(tc, unsupported);
    tcase_add_test(tc, levels);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
