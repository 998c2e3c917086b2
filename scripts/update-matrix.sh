#!/bin/sh
# Copy the client compatibility matrix that t/integration/matrix.sh wrote
# (default: build/matrix.md) into README.md, between the
# <!-- matrix:begin --> and <!-- matrix:end --> lines.
# usage: scripts/update-matrix.sh [MATRIX.md]
set -eu
cd "$(dirname "$0")/.."
table=${1:-build/matrix.md}
[ -f "$table" ] || { echo "update-matrix: $table not found (run t/integration/matrix.sh first)" >&2; exit 1; }
grep -q '^<!-- matrix:begin -->$' README.md && grep -q '^<!-- matrix:end -->$' README.md ||
    { echo "update-matrix: README.md has no matrix markers" >&2; exit 1; }
tmp=$(mktemp README.md.XXXXXX)
awk -v table="$table" '
    /^<!-- matrix:begin -->$/ { print; while ((getline line < table) > 0) print line; skip = 1; next }
    /^<!-- matrix:end -->$/ { skip = 0 }
    !skip { print }
' README.md >"$tmp"
chmod --reference=README.md "$tmp" 2>/dev/null || true
mv "$tmp" README.md
echo "update-matrix: README.md now has the matrix of $table"
