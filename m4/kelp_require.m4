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

# KELP_REQUIRE_CXX_HEADER(HEADER, DEBIAN-PACKAGE)
# A C++ header (header-only libraries have nothing else to check).
AC_DEFUN([KELP_REQUIRE_CXX_HEADER], [
  AC_LANG_PUSH([C++])
  AC_CHECK_HEADER([$1], [],
    [AC_MSG_ERROR([missing dependency: the C++ header $1 was not found.
Install the Debian package "$2" (apt-get install $2) and run configure again.])])
  AC_LANG_POP([C++])
])

# KELP_REQUIRE_CXX_LIB(VARIABLE-PREFIX, LIBRARY, INCLUDES, BODY, DEBIAN-PACKAGE, [OTHER-LIBS])
# A C++ library without a pkg-config file: a program with INCLUDES and BODY
# must link with -lLIBRARY (and OTHER-LIBS it needs); sets VARIABLE-PREFIX_LIBS.
AC_DEFUN([KELP_REQUIRE_CXX_LIB], [
  AC_LANG_PUSH([C++])
  kelp_save_LIBS=$LIBS
  LIBS="-l$2 $6 $LIBS"
  AC_MSG_CHECKING([for lib$2])
  AC_LINK_IFELSE([AC_LANG_PROGRAM([$3], [$4])], [AC_MSG_RESULT([yes])],
    [AC_MSG_RESULT([no])
     AC_MSG_ERROR([missing dependency: lib$2 was not found.
Install the Debian package "$5" (apt-get install $5) and run configure again.])])
  LIBS=$kelp_save_LIBS
  AC_LANG_POP([C++])
  AC_SUBST([$1_LIBS], [-l$2])
])
