#!/bin/sh
# kelpd refuses modules it cannot use, with a message that says why.
. "${KELP_SRCDIR:-.}/t/integration/host_lib.sh"

expect_failure missing_module "kelpd: cannot load module $WORK/none/kelp.so" --module "$WORK/none/kelp.so"

KELP_MODULE="$WORK/from-env.so" expect_failure env_module "cannot load module $WORK/from-env.so"

# --module wins over $KELP_MODULE.
KELP_MODULE="$WORK/from-env.so" expect_failure module_option_wins "cannot load module $WORK/option.so" \
    --module "$WORK/option.so"

expect_failure no_entry_symbol "has no kelp_module_entry" --module libm.so.6

wrong="$KELP_BUILDDIR/t/integration/.libs/wrong_abi_module.so"
[ -f "$wrong" ] || fail "test module $wrong was not built"
expect_failure wrong_abi "kelpd: module $wrong has ABI version 42, this kelpd needs 1" --module "$wrong"

expect_failure bad_option "usage: kelpd" --no-such-option
expect_failure extra_argument "unexpected argument" stray

"$KELPD" --version >"$WORK/version.out" || fail "--version failed"
grep -q '^kelpd [0-9]' "$WORK/version.out" || fail "--version printed: $(cat "$WORK/version.out")"
pass version

"$KELPD" --help >"$WORK/help.out" || fail "--help failed"
grep -q -- '--module PATH' "$WORK/help.out" || fail "--help lacks --module"
pass help
