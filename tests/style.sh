#!/bin/sh
# docs/STYLE.md: one .clang-format, enforced.  Every tracked C file must be
# formatted; the failing files are named.
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
if [ "$checked" -eq 0 ]; then
	echo "style: no C file found in $top: checking nothing is a failure" >&2
	exit 1
fi
[ "$bad" -eq 0 ]
