#!/bin/sh
# Argument handling of every helper, both builds: wrong argc, unknown
# verbs, bad names/ids (table), not root -> the documented sysexits code,
# one stderr line, and nothing changed in the state dir.  Also the exact
# systemctl argv of each verb (test variant prints instead of exec'ing).
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
mkdir -p $STATE/instances $STATE/runtime $STATE/overlays $STATE/scripts
snapshot() { find "$STATE" -printf '%p %m %u %s\n' | sort; }
before=$(snapshot)

long=$(printf 'a%.0s' $(seq 1 65))
bad_names="A -x ../x a/b x/.. . .. 'a\\b' _a a.b 'a b' $long 'a\$' é"
for variant in "$TH" "$IH"; do
	v=${variant##*/}
	for h in left4me-overlay left4me-systemctl; do
		case $h in
		left4me-overlay) verb=mount ;;
		*) verb=restart ;;
		esac
		expect_rc 64 "$v/$h: no arguments" $variant/$h
		expect_rc 64 "$v/$h: one argument" $variant/$h $verb
		expect_rc 64 "$v/$h: three arguments" $variant/$h $verb alpha extra
		expect_rc 64 "$v/$h: unknown verb" $variant/$h frobnicate alpha
		expect_rc 64 "$v/$h: verb case matters" $variant/$h "$(echo $verb | tr a-z A-Z)" alpha
		expect_rc 64 "$v/$h: verb with prefix" $variant/$h "--$verb" alpha
		check "$v/$h: one stderr line" one_line_err
		eval "set -- $bad_names"
		for n in "" "$@" "$(printf 'a\nb')"; do
			expect_rc 65 "$v/$h: bad name '$n'" $variant/$h $verb "$n"
		done
		expect_rc 77 "$v/$h: not root" setpriv --reuid=65534 --regid=65534 --clear-groups \
			$variant/$h $verb alpha
	done
	h=left4me-script-sandbox
	expect_rc 64 "$v/$h: no arguments" $variant/$h
	expect_rc 64 "$v/$h: three arguments" $variant/$h 7 7 7
	for allow in "" -1 abc 1.5 ' 7' 9999999999999999999; do
		expect_rc 65 "$v/$h: bad allowance '$allow'" $variant/$h 7 "$allow"
	done
	for id in "" 0 -1 01 +1 abc 1.5 1e3 ' 7' '7 ' 9007199254740993 99999999999999999999 '../7'; do
		expect_rc 65 "$v/$h: bad id '$id'" $variant/$h "$id"
	done
	expect_rc 77 "$v/$h: not root" setpriv --reuid=65534 --regid=65534 --clear-groups \
		$variant/$h 7
done
check "state dir unchanged" [ "$before" = "$(snapshot)" ]
check "no staging dir created" [ ! -e "$STATE/staging" ]

# The environment cannot steer a helper (clearenv is the second step).
expect_rc 64 "environment ignored" env LEFT4ME_STATE_DIR=/tmp PATH=/nonexistent \
	$TH/left4me-overlay

# systemctl: exactly these argvs, only ever left4me-server@NAME.service.
sc() { # VERB NAME EXPECTED-ARGV...
	verb=$1 name=$2
	shift 2
	want=$(printf '%s\n' "$@")
	got=$($TH/left4me-systemctl "$verb" "$name")
	rc=$?
	if [ $rc = 0 ] && [ "$got" = "$want" ]; then
		ok "systemctl $verb argv"
	else
		not_ok "systemctl $verb argv: rc=$rc got: $(echo $got)"
	fi
}
sc enable alpha /usr/bin/systemctl --no-ask-password enable --now left4me-server@alpha.service
sc disable a-1_b /usr/bin/systemctl --no-ask-password disable --now left4me-server@a-1_b.service
sc restart alpha /usr/bin/systemctl --no-ask-password restart left4me-server@alpha.service
sc status alpha /usr/bin/systemctl --no-ask-password status --no-pager left4me-server@alpha.service
finish
