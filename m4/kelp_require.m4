# KELP_REQUIRE_PKG(VARIABLE-PREFIX, PKG-CONFIG-MODULES, DEBIAN-PACKAGE)
# Like PKG_CHECK_MODULES, but stops with a message that names the package
# an operator has to install.
AC_DEFUN([KELP_REQUIRE_PKG], [
  PKG_CHECK_MODULES([$1], [$2], [],
    [AC_MSG_ERROR([missing dependency: $2 was not found by pkg-config.
Install the Debian package "$3" (apt-get install $3) and run configure again.])])
])

# KELP_REQUIRE_LIB(VARIABLE-PREFIX, LIBRARY, FUNCTION, DEBIAN-PACKAGE)
# For libraries that ship no pkg-config file: find FUNCTION, in libc or in
# LIBRARY, and set VARIABLE-PREFIX_LIBS; stop with a clear message otherwise.
AC_DEFUN([KELP_REQUIRE_LIB], [
  kelp_save_LIBS=$LIBS
  AC_SEARCH_LIBS([$3], [$2], [],
    [AC_MSG_ERROR([missing dependency: lib$2 (function $3) was not found.
Install the Debian package "$4" and run configure again.])])
  AS_IF([test "x$ac_cv_search_$3" = "xnone required"], [$1_LIBS=""], [$1_LIBS="$ac_cv_search_$3"])
  AC_SUBST([$1_LIBS])
  LIBS=$kelp_save_LIBS
])
