#!/bin/sh
# STYLE.md: one .clang-format, enforced.  Every tracked C file must be
# formatted; the failing files are named.
set -u
cd "$(dirname "$0")/.." || exit 1
command -v clang-format >/dev/null || { echo "style: clang-format missing" >&2; exit 1; }
bad=0
checked=0
# A git checkout lists its tracked files; an unpacked source tree (the
# Debian build) has no .git, so every C file outside build dirs counts.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h')
else
	files=$(find . \( -path './build*' -o -path './debian' -o -path './.cache' \) -prune -o \
		\( -name '*.c' -o -name '*.h' \) -type f -print | sed 's|^\./||')
fi
for f in $files; do
	checked=$((checked + 1))
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run: clang-format -i $f)"
		bad=$((bad + 1))
	fi
done
echo "style: $checked files checked, $bad not formatted"
[ "$checked" -gt 0 ] && [ "$bad" -eq 0 ]
