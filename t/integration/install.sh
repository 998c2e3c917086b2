#!/bin/sh
# make install's layout, staged with DESTDIR: every file is there, the man
# page renders and documents every option, kelp.pc compiles a host against
# the installed header, the installed kelpd serves with the example
# configuration, the systemd unit points at the installed kelpd, and make
# uninstall leaves nothing behind.
set -u

: "${KELP_BUILDDIR:?KELP_BUILDDIR must name the build directory}"
: "${KELPD:=$KELP_BUILDDIR/kelpd}"
: "${KELP_MODULE:=$KELP_BUILDDIR/.libs/kelp.so}"
MAKE_CMD=${MAKE:-make}
# WORK, KELPD_PID, its cleanup, fail and pass.
. "${KELP_SRCDIR:-$(dirname "$0")/../..}/t/integration/host_lib.sh"
DEST="$WORK/root"

# A make of our own: not the jobserver or the TESTS of a surrounding make check.
run_make() {
    env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u TESTS "$MAKE_CMD" -s -C "$KELP_BUILDDIR" "$@"
}

# The installation directories as the build's Makefile expands them.
cat >"$WORK/dirs.mk" <<'MK'
kelp-print-dirs:
	@echo "prefix='$(prefix)' bindir='$(bindir)' pkglibdir='$(pkglibdir)' includedir='$(includedir)'"
	@echo "libdir='$(libdir)' mandir='$(mandir)' sysconfdir='$(sysconfdir)' docdir='$(docdir)'"
	@echo "unitdir='$(systemdsystemunitdir)'"
MK
run_make -f Makefile -f "$WORK/dirs.mk" kelp-print-dirs >"$WORK/dirs.out" 2>"$WORK/dirs.err" ||
    fail "cannot read the installation directories"
. "$WORK/dirs.out"
[ -n "$bindir" ] && [ -n "$pkglibdir" ] && [ -n "$unitdir" ] || fail "installation directories incomplete"

run_make install DESTDIR="$DEST" >"$WORK/install.out" 2>"$WORK/install.err" || fail "make install failed"
pass "make install DESTDIR"

# The layout.
for f in "$bindir/kelpd" "$pkglibdir/kelp.so" "$includedir/kelp/module.h" "$libdir/pkgconfig/kelp.pc" \
    "$mandir/man8/kelpd.8" "$sysconfdir/kelp/kelp.json.example" "$docdir/README.md" "$unitdir/kelpd.service"; do
    [ -f "$DEST$f" ] || fail "not installed: $f"
done
[ -x "$DEST$bindir/kelpd" ] || fail "$bindir/kelpd is not executable"
for f in "$libdir/pkgconfig/kelp.pc" "$mandir/man8/kelpd.8" "$unitdir/kelpd.service"; do
    if grep -n '@[a-zA-Z_]*@' "$DEST$f" >&2; then fail "$f has unsubstituted @VARIABLES@"; fi
done
pass layout

KELPD="$DEST$bindir/kelpd"
# An installed kelpd without --module or $KELP_MODULE loads the installed module.
env -u KELP_MODULE "$KELPD" --help >"$WORK/help.out" 2>&1 || fail "kelpd --help failed"
grep -qF "or $pkglibdir/kelp.so)" "$WORK/help.out" || fail "default module is not $pkglibdir/kelp.so"
pass default_module_path

# The man page: renders without warnings and documents every option of --help.
man8="$DEST$mandir/man8/kelpd.8"
grep -q '^\.TH KELPD 8 ' "$man8" || fail "kelpd.8 has no .TH line"
groff -man -ww -z "$man8" >"$WORK/groff.out" 2>"$WORK/groff.err" || fail "groff rejects kelpd.8"
[ ! -s "$WORK/groff.err" ] || fail "groff warns about kelpd.8"
MANWIDTH=100 man -l -Tascii "$man8" 2>"$WORK/man.err" | col -b >"$WORK/man.txt" || fail "man -l kelpd.8 failed"
grep -q '^SYNOPSIS' "$WORK/man.txt" || fail "man page lacks SYNOPSIS"
options=$(grep -o -- '--[a-z][a-z-]*' "$WORK/help.out" | sort -u)
[ -n "$options" ] || fail "--help lists no options"
# Each option has an entry of its own (a tagged paragraph), not just a
# mention in the synopsis.
for option in $options; do
    grep -qE -- "^ +$option( |\$)" "$WORK/man.txt" || fail "man page has no entry for $option"
done
for word in SIGHUP SIGTERM "EXIT STATUS" FILES log_format log_level "$pkglibdir/kelp.so" \
    "$sysconfdir/kelp/kelp.json"; do
    grep -qF -- "$word" "$WORK/man.txt" || fail "man page lacks $word"
done
pass man_page

# kelp.pc: the header's Cflags and the module's path, relocated into DEST.
export PKG_CONFIG_PATH="$DEST$libdir/pkgconfig"
[ "$(pkg-config --variable=moduledir kelp)" = "$pkglibdir" ] || fail "moduledir is not $pkglibdir"
pc() { pkg-config --define-variable=prefix="$DEST$prefix" "$@" kelp; }
cflags=$(pc --cflags) && libs=$(pc --libs) && module=$(pc --variable=module) || fail "pkg-config kelp failed"
[ "$module" = "$DEST$pkglibdir/kelp.so" ] || fail "module variable: $module"
cat >"$WORK/host.c" <<'C'
/* A minimal host: checks the installed module against the installed header. */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include <kelp/module.h>

int main(int argc, char **argv)
{
    void *handle = argc == 2 ? dlopen(argv[1], RTLD_NOW | RTLD_LOCAL) : NULL;
    void *sym = handle ? dlsym(handle, KELP_MODULE_ENTRY_SYMBOL) : NULL;
    if (!sym) {
        fprintf(stderr, "cannot load %s\n", argc == 2 ? argv[1] : "(none)");
        return 1;
    }
    kelp_module_entry_fn entry;
    memcpy(&entry, &sym, sizeof(entry));
    const kelp_module_descriptor *desc = entry();
    if (!desc || desc->abi_version != KELP_MODULE_ABI_VERSION)
        return 1;
    printf("%s %s abi %u\n", desc->name, desc->version, (unsigned)desc->abi_version);
    return 0;
}
C
# A module built with the sanitizers needs their runtime first in the host.
sanitize=
ldd "$module" 2>/dev/null | grep -q libasan && sanitize="-fsanitize=address,undefined"
# shellcheck disable=SC2086 # pkg-config output is a list of flags
${CC:-cc} -std=c11 -Wall -Wextra -Werror $sanitize $cflags -o "$WORK/host" "$WORK/host.c" $libs 2>"$WORK/cc.err" ||
    fail "cannot compile a host with pkg-config --cflags kelp ($cflags)"
"$WORK/host" "$module" >"$WORK/host.out" 2>&1 || fail "the host cannot use the installed module"
grep -q '^kelp [0-9].* abi 1$' "$WORK/host.out" || fail "host printed: $(cat "$WORK/host.out")"
pass pkg_config_host

# The installed kelpd serves with the example configuration.
example="$DEST$sysconfdir/kelp/kelp.json.example"
jq -e 'type == "object"' "$example" >/dev/null || fail "kelp.json.example is not a JSON object"
env -u KELP_MODULE "$KELPD" --config "$example" --module "$DEST$pkglibdir/kelp.so" \
    --listen 127.0.0.1:0 --admin 127.0.0.1:0 --data "$WORK/data" >"$WORK/kelpd.out" 2>"$WORK/kelpd.err" </dev/null &
KELPD_PID=$!
tries=0
while ! grep -q '^kelpd: admin listening on ' "$WORK/kelpd.out" 2>/dev/null; do
    kill -0 "$KELPD_PID" 2>/dev/null || fail "installed kelpd exited before listening"
    tries=$((tries + 1))
    [ "$tries" -lt 300 ] || fail "installed kelpd did not report its addresses"
    sleep 0.1
done
kafka=$(sed -n 's/^kelpd: kafka listening on //p' "$WORK/kelpd.out")
admin=$(sed -n 's/^kelpd: admin listening on //p' "$WORK/kelpd.out")
[ "$(curl -s "http://$admin/healthz")" = '{"status":"ok"}' ] || fail "healthz did not answer"
curl -s "http://$admin/v1/config" >"$WORK/config.out" || fail "GET /v1/config failed"
jq -e '.log_format == "logfmt" and .default_partitions == 4' "$WORK/config.out" >/dev/null ||
    fail "the example configuration is not in effect"
kcat -b "$kafka" -L -m 10 >"$WORK/kcat.out" 2>&1 || fail "kcat -L failed"
grep -q '1 brokers:' "$WORK/kcat.out" || fail "kcat saw no broker"
kill -TERM "$KELPD_PID"
status=0
wait "$KELPD_PID" || status=$?
KELPD_PID=
[ "$status" -eq 0 ] || fail "installed kelpd exited with $status after SIGTERM"
pass installed_kelpd_serves

# The systemd unit: well-formed, and it runs the installed kelpd.
unit="$DEST$unitdir/kelpd.service"
section=
while IFS= read -r l; do
    case $l in
    '' | '#'*) ;;
    '['*']') section=$l ;;
    *=*) [ -n "$section" ] || fail "unit key outside a section: $l" ;;
    *) fail "unit line is neither a section nor Key=Value: $l" ;;
    esac
done <"$unit"
unit_value() { sed -n "s/^$1=//p" "$unit"; }
for s in '[Unit]' '[Service]' '[Install]'; do grep -qxF "$s" "$unit" || fail "unit lacks $s"; done
exec_start=$(unit_value ExecStart)
[ "${exec_start%% *}" = "$bindir/kelpd" ] || fail "ExecStart runs ${exec_start%% *}, not $bindir/kelpd"
[ -x "$DEST${exec_start%% *}" ] || fail "ExecStart's program is not installed"
[ "$exec_start" = "$bindir/kelpd --config $sysconfdir/kelp/kelp.json" ] || fail "ExecStart: $exec_start"
[ "$(unit_value Type)" = simple ] || fail "Type is not simple"
[ "$(unit_value Restart)" = on-failure ] || fail "Restart is not on-failure"
[ "$(unit_value ExecReload)" = '/bin/kill -HUP $MAINPID' ] || fail "ExecReload does not send SIGHUP"
[ "$(unit_value StateDirectory)" = kelp ] || fail "no StateDirectory=kelp"
[ "$(unit_value DynamicUser)" = yes ] && [ "$(unit_value User)" = kelp ] || fail "no dedicated user"
[ "$(unit_value NoNewPrivileges)" = yes ] || fail "no NoNewPrivileges"
[ "$(jq -r .data "$example")" = /var/lib/kelp ] || fail "the example's data is not the StateDirectory"
pass systemd_unit

run_make uninstall DESTDIR="$DEST" >"$WORK/uninstall.out" 2>"$WORK/uninstall.err" || fail "make uninstall failed"
left=$(find "$DEST" ! -type d)
[ -z "$left" ] || fail "make uninstall left: $left"
pass uninstall
