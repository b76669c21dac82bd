#!/bin/sh
# docs/STYLE.md: one .clang-format, enforced.  Every tracked C file must be
# formatted; the failing files are named.  And no function outside tests/
# and bench/ is over 100 lines unless a comment saying "long:" and why
# stands in the three lines above it or opens its body.
set -u
cd "$(dirname "$0")/.." || exit 1
top=$(pwd -P)
command -v clang-format >/dev/null || { echo "style: clang-format missing" >&2; exit 1; }
bad=0
checked=0
# A git checkout lists its tracked files.  Anything else (an unpacked
# source tree: the Debian build, which `make deb` unpacks under build-pkg/
# inside a checkout, where git would answer for the outer work tree and
# list nothing) checks every C file outside build and dependency dirs.
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$top" ]; then
	how="git ls-files"
	files=$(git ls-files '*.c' '*.h')
else
	how="find (not the top of a git work tree)"
	files=$(find . \( -path './build*' -o -path './debian' -o -path './.cache' -o -path './var' \
		-o -name node_modules -o -name .git \) -prune -o \
		\( -name '*.c' -o -name '*.h' \) -type f -print | sed 's|^\./||')
fi
for f in $files; do
	checked=$((checked + 1))
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run: clang-format -i $f)"
		bad=$((bad + 1))
	fi
done
echo "style: $checked files checked ($how), $bad not formatted"

# Function length: a body from "{" to "}" in column 0.
long_functions() {
	awk '
	FNR == 1 { sig = ""; open = 0; hist[1] = hist[2] = hist[3] = "" }
	/^[A-Za-z_].*\(/ && !open { sig = $0; line = FNR
		reason = (hist[1] hist[2] hist[3]) ~ /[Ll]ong:/ }
	/^\{/ && sig != "" { open = FNR; next }
	open && FNR == open + 1 && /[Ll]ong:/ { reason = 1 }
	/^\}/ && open { n = FNR - open - 1
		if (n > 100 && !reason)
			printf "%s:%d: %d lines with no \"long:\" reason: %s\n", FILENAME, line, n, sig
		open = 0; sig = "" }
	{ hist[3] = hist[2]; hist[2] = hist[1]; hist[1] = $0 }' "$@"
}
# The check must be able to fire: a made-up 101-line function.
probe=$(mktemp)
{ printf 'static int f(void)\n{\n'; i=0; while [ $i -lt 101 ]; do echo '	x++;'; i=$((i + 1)); done; echo '}'; } >"$probe"
if [ -z "$(long_functions "$probe")" ]; then
	echo "style: the function-length check missed a 101-line function" >&2
	rm -f "$probe"
	exit 1
fi
rm -f "$probe"
src=$(for f in $files; do case $f in tests/* | bench/*) ;; *.c) echo "$f" ;; esac; done)
long=$(long_functions $src)
if [ -n "$long" ]; then
	echo "$long"
	bad=$((bad + 1))
fi
echo "style: no function over 100 lines without a reason: $([ -z "$long" ] && echo yes || echo no)"
if [ "$checked" -eq 0 ]; then
	echo "style: no C file found in $top: checking nothing is a failure" >&2
	exit 1
fi
[ "$bad" -eq 0 ]
