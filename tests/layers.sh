#!/bin/sh
# The layering of left4me-web (docs/HACKING.md, "left4me-web in layers"):
# every .c and .h of left4me-web/ belongs to one layer below, and a file
# includes only its own module's header, the headers of lower layers,
# libleft4me's and the system's.  A file in no layer, a header of its own
# layer or above, or a path in an include fails.  So no include cycle can
# form, and the transport cannot call up into pages or the API.
#
# Two rules of the escaping module are checked here too: only html.c and
# the transport that sends a page (web.c) touch the bytes of a struct html
# (.escaped), and html_raw_trusted is given string literals only (or a
# condition choosing between two), never data.
set -u
cd "$(dirname "$0")/.." || exit 1

# Lowest first.  A module is a .c and its .h.
LAYERS='
1 base      html multipart files assets cache ratelimit xff hub conns promtext
2 transport web
3 auth      session
4 actions   ops
5 kits      page api edit svgchart
6 renderers page_admin page_blueprints page_dashboard page_globals page_jobs page_login
6 renderers page_overlays page_servers page_status page_editor page_audit
6 renderers api_blueprints api_jobs api_overlays api_servers api_audit api_schedules
6 renderers page_tokens api_tokens
7 routes    routes
8 main      main
'

layer_of() {
	echo "$LAYERS" | awk -v m="$1" '{ for (i = 3; i <= NF; i++) if ($i == m) { print $1; exit } }'
}

bad=0
files=0
for f in left4me-web/*.c left4me-web/*.h; do
	files=$((files + 1))
	mod=$(basename "$f")
	mod=${mod%.*}
	own=$(layer_of "$mod")
	if [ -z "$own" ]; then
		echo "layers: $f: module $mod is in no layer (add it to tests/layers.sh and docs/HACKING.md)"
		bad=$((bad + 1))
		continue
	fi
	# Every quoted include, with its line number.
	incs=$(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
		sed 's/^\([0-9]*\):.*"\([^"]*\)".*/\1 \2/')
	[ -n "$incs" ] || continue
	while read -r line inc; do
		case $inc in
		*/*)
			echo "layers: $f:$line: includes \"$inc\": no paths, a header by its name"
			bad=$((bad + 1))
			continue
			;;
		esac
		if [ -e "left4me-web/$inc" ]; then
			imod=${inc%.h}
			[ "$imod" = "$mod" ] && continue
			il=$(layer_of "$imod")
			if [ -z "$il" ] || [ "$il" -ge "$own" ]; then
				echo "layers: $f:$line: includes \"$inc\" (layer ${il:-none}) from layer $own:" \
					"only its own header and lower layers"
				bad=$((bad + 1))
			fi
		elif [ ! -e "libleft4me/$inc" ]; then
			echo "layers: $f:$line: includes \"$inc\", neither left4me-web's nor libleft4me's"
			bad=$((bad + 1))
		fi
	done <<EOF
$incs
EOF
done

# The bytes of a struct html: html.c writes them, web.c sends them.
for f in left4me-web/*.c left4me-web/*.h; do
	case $f in left4me-web/html.[ch] | left4me-web/web.c) continue ;; esac
	if grep -n '\(\.\|->\)escaped\b' "$f" | sed "s|^|layers: $f:|;s|$| (a struct html's bytes outside html.c/web.c)|" | grep .; then
		bad=$((bad + 1))
	fi
done

# html_raw_trusted("literal") or html_raw_trusted(cond ? "a" : "b") only.
raw=$(perl -0777 -ne '
	my $lit = q{(?:"(?:[^"\\\\]|\\\\.)*"\s*)+};
	while (/html_raw_trusted\s*\(\s*([^,()]+?)\s*,\s*((?:[^()]|\((?2)\))*?)\)\s*;/gs) {
		my $arg = $2;
		next if $arg =~ /^$lit$/s || $arg =~ /^[^"?:]+\?\s*$lit:\s*$lit$/s;
		$arg =~ s/\s+/ /g;
		print "$ARGV: html_raw_trusted($arg): string literals only\n";
	}' left4me-web/*.c)
if [ -n "$raw" ]; then
	echo "$raw" | sed 's/^/layers: /'
	bad=$((bad + $(echo "$raw" | wc -l)))
fi
calls=0
for f in left4me-web/*.c; do
	[ "$f" = left4me-web/html.c ] || calls=$((calls + $(grep -c 'html_raw_trusted(' "$f")))
done

echo "layers: $files files of left4me-web checked ($calls html_raw_trusted calls), $bad problems"
[ "$files" -gt 0 ] && [ "$bad" -eq 0 ]
