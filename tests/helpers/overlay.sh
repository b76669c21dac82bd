#!/bin/sh
# left4me-overlay, for real, in a private mount namespace: mount/umount
# with 3 lowerdirs, idempotency both ways, mountinfo detection of a
# same-filesystem bind, every allowlist escape, upper/work ownership; the
# game's own uid (from the stub systemctl, tests/helpers/lib.sh) through
# idmapped layers: what it reads, writes and may not, who owns it on disk,
# refusal of anything but a dynamic uid, and no staging left anywhere.
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
OV=$TH/left4me-overlay
S=$STATE
I=$S/installation/builds/1 # a published game build
M=$S/runtime/alpha/merged

mkdir -p $I/left4dead2 $S/installation/staging $S/overlays/1 $S/overlays/2 \
	$S/global_overlay_cache/src/ov $S/workshop_cache $S/installation-evil \
	$S/instances/alpha $S/runtime/alpha/upper $S/runtime/alpha/work $M \
	$S/runtime/beta/upper
echo base >$I/base.txt
ln -s builds/1 $S/installation/current
echo one >$S/overlays/1/a.txt
echo glob >$S/global_overlay_cache/src/ov/b.txt
echo top >$S/overlays/1/base.txt
chown -R left4me:left4me $S/runtime/alpha $S/overlays $S/instances
ENV=$S/instances/alpha/instance.env
TAIL='L4D2_PORT=27015
L4D2_MAP=c1m1_hotel
L4D2_MAXPLAYERS=8'
write_env() {
	printf '%s\n%s\n' "$1" "$TAIL" >$ENV
	chmod 644 $ENV
}
GOOD="L4D2_LOWERDIRS=\"$S/overlays/1:$S/global_overlay_cache/src/ov:$I\""
write_env "$GOOD"

# ---- mount / umount, idempotent both ways --------------------------------
expect_rc 0 "mount with 3 lowerdirs" $OV mount alpha
check "overlay mounted on merged" [ "$(mounts_at $M)" = 1 ]
check "fstype is overlay" grep -q " $M .* - overlay " /proc/self/mountinfo
check "all three layers visible" [ -f $M/a.txt -a -f $M/left4dead2/../base.txt -a -f $M/b.txt ]
check "top layer wins" [ "$(cat $M/base.txt)" = top ]
as_game() { setpriv --reuid=$GAME_UID --regid=$GAME_UID --clear-groups -- "$@"; }
as_game sh -c "echo new >$M/written.txt"
check "writes land in upper" [ -f $S/runtime/alpha/upper/written.txt ]
expect_rc 0 "mount again is a no-op" $OV mount alpha
check "still exactly one mount" [ "$(mounts_at $M)" = 1 ]
expect_rc 0 "umount" $OV umount alpha
check "nothing mounted after umount" [ "$(mounts_at $M)" = 0 ]
expect_rc 0 "umount again is a no-op" $OV umount alpha
expect_rc 0 "umount of a never-initialized instance" $OV umount gamma

# ---- the game's own uid: every layer idmapped -----------------------------
# As in production: the game runs as its unit's DynamicUser= uid (the stub
# systemctl answers $GAME_UID), which is neither left4me nor left4me-web
# and in none of their groups.  On disk everything stays left4me's (or
# left4me-web's); through the overlay the game sees left4me's files as its
# own.  overlays/5 is an overlay an upload created: a left4me-web dir with
# an upload and a file a build wrote in it.
G=$GAME_UID
R=$S/runtime/game
GM=$R/merged
GU=$R/upper
O=$S/overlays/5
own() { stat -c %u:%g "$1"; }
denied() { ! "$@" 2>/dev/null; }
mount_points() { awk '{ print $5 }' /proc/self/mountinfo | sort; }
snapshot() { mount_points >$S/.mounts; ls -A /run >$S/.run; }
# Nothing but merged/ (or, with "none", nothing at all) was added to this
# namespace, and nothing was left in /run: the helper's staging lived in
# its own private mount namespace.
no_staging() {
	want=$1
	got=$(mount_points | comm -13 $S/.mounts -)
	[ "$got" = "$want" ] && [ "$(ls -A /run)" = "$(cat $S/.run)" ]
}
chown left4me $S/runtime
mkdir -p $GU $R/work $GM $S/instances/game $O/web
chown -R left4me:left4me $R $S/instances/game $O
chmod 2770 $O $O/web
echo cfg >$I/game.cfg
chown left4me:left4me $I/game.cfg
echo five >$O/five.txt
echo uploaded >$O/upload.txt
echo up >$O/web/up.txt
echo built >$O/web/built.txt
chown left4me:left4me $O/five.txt $O/web/built.txt
chown left4me-web:left4me $O/upload.txt $O/web/up.txt $O/web
chmod 660 $I/game.cfg $O/five.txt $O/upload.txt $O/web/up.txt $O/web/built.txt
printf 'L4D2_LOWERDIRS="%s"\n%s\n' "$O:$I" "$TAIL" >$S/instances/game/instance.env
chmod 644 $S/instances/game/instance.env

snapshot
: >$S/systemctl.argv
expect_rc 0 "game: mount with the unit's dynamic uid" $OV mount game
check "game: asked systemctl exactly once, for this unit's UID and GID" \
	[ "$(cat $S/systemctl.argv)" = "show --property=UID,GID left4me-server@game.service" ]
check "game: only merged/ was mounted, no staging mount or dir anywhere" no_staging $GM
# Direction: on disk left4me, shown as the game; left4me-web and root as
# themselves.
check "game: ls -ln merged/ shows the game's uid as owner of the root" \
	[ "$(ls -lnd $GM | awk '{ print $3 ":" $4 }')" = $G:$G ]
check "game: left4me's file shown as the game's" [ "$(own $GM/game.cfg)" = $G:$G ]
check "game: ... on disk it is left4me's" [ "$(own $I/game.cfg)" = $W_UID:$W_UID ]
check "game: left4me-web's upload shown as left4me-web's, group the game's" \
	[ "$(own $GM/upload.txt)" = $WEB_UID:$G ]
check "game: root's file shown as root's" [ "$(own $GM/base.txt)" = 0:0 ]
# Reads the idmap makes possible (each denied on the raw lower).
check "game: raw lower 0660 left4me file is denied to it" denied as_game cat $I/game.cfg
check "game: reads it through the overlay" [ "$(as_game cat $GM/game.cfg)" = cfg ]
check "game: raw overlays/5 (2770) is denied to it" denied as_game cat $O/five.txt
check "game: reads a left4me file of overlays/5" [ "$(as_game cat $GM/five.txt)" = five ]
check "game: reads an upload (0660 left4me-web:left4me)" [ "$(as_game cat $GM/upload.txt)" = uploaded ]
check "game: reads an upload in left4me-web's dir" [ "$(as_game cat $GM/web/up.txt)" = up ]
# Writes: all land in upper/, owned by left4me (left4me-web keeps what
# was its own), never by the game's uid or root.
check "game: creates a file" as_game sh -c "echo made >$GM/new.txt"
check "game: creates a dir" as_game mkdir $GM/newdir
check "game: modifies left4me's lower file (copy-up)" as_game sh -c "echo more >>$GM/game.cfg"
check "game: modifies a build's file in left4me-web's dir" as_game sh -c "echo more >>$GM/web/built.txt"
check "game: modifies an upload in it" as_game sh -c "echo more >>$GM/web/up.txt"
check "game: creates a file in left4me-web's dir" as_game sh -c "echo made >$GM/web/new.txt"
check "game: the new file is its own in its view" [ "$(own $GM/new.txt)" = $G:$G ]
check "upper: new file owned by left4me" [ "$(own $GU/new.txt)" = $W_UID:$W_UID ]
check "upper: new dir owned by left4me" [ "$(own $GU/newdir)" = $W_UID:$W_UID ]
check "upper: copied-up file owned by left4me" [ "$(own $GU/game.cfg)" = $W_UID:$W_UID ]
check "upper: copied-up file has both lines" [ "$(cat $GU/game.cfg)" = "$(printf 'cfg\nmore')" ]
check "upper: copied-up dir owned by left4me-web, 2770 kept" \
	[ "$(stat -c '%u:%g %a' $GU/web)" = "$WEB_UID:$W_UID 2770" ]
check "upper: build's file in it owned by left4me" [ "$(own $GU/web/built.txt)" = $W_UID:$W_UID ]
check "upper: upload in it still owned by left4me-web" [ "$(own $GU/web/up.txt)" = $WEB_UID:$W_UID ]
check "upper: file created in it owned by left4me" [ "$(own $GU/web/new.txt)" = $W_UID:$W_UID ]
check "upper: nothing owned by the game's ids or root" \
	[ -z "$(find $GU \( -uid $G -o -gid $G -o -uid 0 -o -gid 0 \) -print)" ]
check "lowers unchanged by the copy-ups" [ "$(cat $I/game.cfg $O/web/built.txt $O/web/up.txt)" = "$(printf 'cfg\nbuilt\nup')" ]
check "game: cannot write a raw lower file" denied as_game sh -c "echo x >>$I/game.cfg"
check "game: cannot create in a raw lower dir" denied as_game touch $I/hack
check "game: cannot write through to overlays/5" denied as_game touch $O/hack
check "game: cannot write a root-owned file through the overlay" denied as_game sh -c "echo x >>$GM/base.txt"

# Mounted already: a no-op for the same uid; an earlier run's mount (another
# uid) is replaced, unless it is busy.
expect_rc 0 "game: mount again with the same uid is a no-op" $OV mount game
check "game: one mount" [ "$(mounts_at $GM)" = 1 ]
game_ids 61400 61400
expect_rc 0 "game: mounted for another uid: mounted again" $OV mount game
check "game: still one mount" [ "$(mounts_at $GM)" = 1 ]
check "game: now the new uid's view" [ "$(own $GM):$(own $GM/new.txt)" = 61400:61400:61400:61400 ]
game_ids $G $G
sh -c "cd $GM && exec sleep 30" &
busy=$!
sleep 0.3
expect_rc 75 "game: a busy mount for another uid is left alone (busy)" $OV mount game
check "game: busy: still the other uid's mount" [ "$(mounts_at $GM):$(own $GM)" = 1:61400:61400 ]
kill $busy
wait $busy 2>/dev/null
expect_rc 0 "game: mounted again once not busy" $OV mount game
check "game: the game's view again" [ "$(mounts_at $GM):$(own $GM)" = 1:$G:$G ]
expect_rc 0 "game: umount" $OV umount game

# Anything but a dynamic user is refused before anything is mounted.
refused() { # WANT DESC: run mount game with the stub as set up
	snapshot
	expect_rc "$1" "game: refused: $2" $OV mount game
	check "game: $2: nothing mounted, no staging" no_staging ""
	check "game: $2: one stderr line" one_line_err
}
for ids in 61183:61183 65520:65520 0:0 $W_UID:$W_UID $WEB_UID:$WEB_UID $G:100 100:$G \
	4294967294:$G; do
	game_ids ${ids%:*} ${ids#*:}
	refused 77 "ids $ids outside 61184..65519"
done
check "game: the refusal names the range" grep -q 'not a dynamic user (61184..65519); refusing to mount' $STATE.err
for v in '[not set]' 4294967295; do
	game_ids "$v" "$v"
	t0=$(date +%s%N)
	refused 77 "UID=$v (no dynamic user)"
	ms=$((($(date +%s%N) - t0) / 1000000))
	check "game: UID=$v: says so" grep -qF "game: the unit has no dynamic user (UID=$v); refusing to mount" $STATE.err
	check "game: UID=$v: retried for about a second (${ms} ms), not longer" [ $ms -ge 900 -a $ms -lt 2500 ]
done
game_ids $G '[not set]'
refused 77 "GID=[not set]"
malformed() { # DESC TEXT
	printf "$2" >$S/systemctl.show
	refused 70 "malformed systemctl output: $1"
}
malformed "no GID line" "UID=$G\n"
malformed "no UID line" "GID=$G\n"
malformed "UID twice" "UID=$G\nGID=$G\nUID=$G\n"
malformed "another property" "UID=$G\nGID=$G\nUser=left4me\n"
malformed "plus sign" "UID=+$G\nGID=$G\n"
malformed "leading zero" "UID=0$G\nGID=$G\n"
malformed "space" "UID= $G\nGID=$G\n"
malformed "negative" "UID=-1\nGID=$G\n"
malformed "huge" "UID=99999999999999999999\nGID=$G\n"
malformed "empty output" ""
malformed "--value output" "$G\n$G\n"
game_ids $G $G
echo 1 >$S/systemctl.rc
refused 71 "systemctl show fails"
rm $S/systemctl.rc
echo 7 >$S/systemctl.sleep
refused 71 "systemctl show hangs (5 s timeout)"
check "game: hang: says it timed out" grep -q 'timed out' $STATE.err
rm $S/systemctl.sleep
# systemd publishes UID/GID a moment after the exec: a few "[not set]"
# answers, then the ids.
echo 3 >$S/systemctl.unset
: >$S/systemctl.argv
snapshot
expect_rc 0 "game: UID not set yet: retried until systemd has it" $OV mount game
check "game: asked 4 times" [ "$(wc -l <$S/systemctl.argv)" = 4 ]
check "game: mounted after the retries, only merged/" no_staging $GM
expect_rc 0 "game: umount" $OV umount game

# Failures once the staging exists leave nothing either: overlapping
# lowerdirs pass every check of ours and the allowlist, and overlayfs
# refuses them in the helper's private namespace (after the idmapped
# clones were attached there).
printf 'L4D2_LOWERDIRS="%s"\n%s\n' "$O/web:$O" "$TAIL" \
	>$S/instances/game/instance.env
refused 71 "overlapping lowerdirs (overlayfs fails after staging)"
check "game: overlapping: overlayfs said why" grep -q 'mount overlay' $STATE.err
printf 'L4D2_LOWERDIRS="%s"\n%s\n' "/etc:$I" "$TAIL" >$S/instances/game/instance.env
refused 77 "lowerdir outside the allowlist"
printf 'L4D2_LOWERDIRS="%s"\n%s\n' "$O:$I" "$TAIL" >$S/instances/game/instance.env

# Reset: after umount, the worker (left4me) removes runtime/NAME entirely:
# nothing in it is root's (umount removed overlayfs's work/work).
expect_rc 0 "game: mount for the reset check" $OV mount game
expect_rc 0 "game: umount" $OV umount game
check "game: nothing under runtime/game is root's or the game's" \
	[ -z "$(find $R \( -uid 0 -o -gid 0 -o -uid $G -o -gid $G \) -print)" ]
check "game: left4me removes runtime/game" \
	setpriv --reuid=$W_UID --regid=$W_UID --clear-groups -- rm -r $R
check "game: runtime/game gone" [ ! -e $R ]

# Where the uid comes from is compiled in: the installed build asks
# /usr/bin/systemctl (never the stub), the test build only the stub.
check "installed build asks /usr/bin/systemctl" grep -qa /usr/bin/systemctl $IH/left4me-overlay
check "installed build does not know the stub" denied grep -qa "$S/systemctl" $IH/left4me-overlay
check "test build asks the stub" grep -qa "$S/systemctl" $TH/left4me-overlay

# ---- umount removes overlayfs's root-owned work/work (and work/index) ----
# The kernel leaves work/work owned by root, mode 000: the worker (user
# left4me) could not remove runtime/NAME on reset without this.
W=$S/runtime/alpha/work
expect_rc 0 "mount for the work/work check" $OV mount alpha
check "overlayfs made work/work" [ -d $W/work ]
expect_rc 0 "umount" $OV umount alpha
check "work/work removed after umount" [ ! -e $W/work ]
check "work/ itself kept" [ -d $W ]
check "upper/ kept" [ -f $S/runtime/alpha/upper/written.txt ]
check "nothing under work/ is left to root" [ -z "$(find $W ! -user left4me)" ]
# Leftovers as a crash would leave them (a temp dir with content, a
# whiteout), and work/index: removed too, when nothing is mounted.
mkdir -p $W/work/'#1f'/sub $W/index
echo x >$W/work/'#1f'/sub/f
mknod $W/work/'#20' c 0 0
chmod 000 $W/work $W/index
expect_rc 0 "umount when not mounted" $OV umount alpha
check "work/work with leftovers removed" [ ! -e $W/work ]
check "work/index removed" [ ! -e $W/index ]
# Anything else under work/ is not overlayfs's: left alone; a symlink in
# place of work/work is removed as a link, its target untouched.
mkdir -p $S/victim && echo keep >$S/victim/f
ln -s $S/victim $W/work
echo mine >$W/other
expect_rc 0 "umount with work/work a symlink" $OV umount alpha
check "symlinked work/work: link removed" [ ! -L $W/work ]
check "symlinked work/work: target untouched" [ "$(cat $S/victim/f)" = keep ]
check "other files under work/ kept" [ "$(cat $W/other)" = mine ]
rm -f $W/other
# work/ itself a symlink, or not owned by left4me: refused, nothing removed.
mkdir -p $S/victim/work
mv $W $W.real && ln -s $S/victim $W
expect_rc 77 "umount refuses a work/ symlink" $OV umount alpha
check "work/ symlink target untouched" [ -d $S/victim/work ]
rm $W && mv $W.real $W
mkdir $W/work
chown 12345 $W
expect_rc 77 "umount refuses work/ not owned by left4me" $OV umount alpha
check "foreign work/: work/work untouched" [ -d $W/work ]
chown left4me $W
expect_rc 0 "umount cleans up again" $OV umount alpha
check "work/work gone" [ ! -e $W/work ]

# ---- same-filesystem bind: st_dev would miss it, mountinfo does not ------
mount --bind $S/overlays/2 $M
check "bind is on the same filesystem" [ "$(stat -c %d $M)" = "$(stat -c %d $S/runtime/alpha)" ]
expect_rc 70 "mount refuses a merged dir that holds a bind" $OV mount alpha
check "the bind is untouched by mount" [ "$(mounts_at $M)" = 1 ]
expect_rc 0 "umount removes the bind (detected via mountinfo)" $OV umount alpha
check "bind gone" [ "$(mounts_at $M)" = 0 ]
mount --bind $S/overlays/2 $M
mount --bind $S/overlays/1 $M
expect_rc 0 "umount removes stacked mounts" $OV umount alpha
check "stack gone" [ "$(mounts_at $M)" = 0 ]

# ---- allowlist escapes: each refused, nothing mounted ---------------------
ln -s /etc $S/overlays/to-etc
ln -s $S/runtime/beta/upper $S/overlays/to-beta
ln -s ../installation $S/overlays/to-install
long=$(head -c 40000 /dev/zero | tr '\0' a)
escape() { # WANT DESC LOWERDIRS-LINE
	write_env "$3"
	expect_rc "$1" "escape refused: $2" $OV mount alpha
	if [ "$(mounts_at $M)" != 0 ]; then
		not_ok "escape mounted something: $2"
		umount $M
	fi
	one_line_err || not_ok "escape $2: not one stderr line"
}
escape 65 '..' "L4D2_LOWERDIRS=$S/overlays/../../../etc"
escape 77 'symlink to /etc' "L4D2_LOWERDIRS=$S/overlays/to-etc"
escape 77 'symlink to another runtime' "L4D2_LOWERDIRS=$S/overlays/to-beta:$I"
escape 77 'another runtime directly' "L4D2_LOWERDIRS=$S/runtime/beta/upper"
escape 77 'absolute outside' "L4D2_LOWERDIRS=/etc"
escape 77 'the state dir itself' "L4D2_LOWERDIRS=$S"
escape 77 'overlays/ as a whole' "L4D2_LOWERDIRS=$S/overlays"
escape 77 'prefix look-alike installation-evil' "L4D2_LOWERDIRS=$S/installation-evil"
escape 77 'instances/ dir' "L4D2_LOWERDIRS=$S/instances/alpha"
# installation/: only a published build, exactly (never the staging tree
# an update writes, the current pointer, or a directory inside a build)
escape 77 'installation/ as a whole' "L4D2_LOWERDIRS=$S/installation"
escape 77 'the staging tree' "L4D2_LOWERDIRS=$S/installation/staging"
escape 77 'the current pointer' "L4D2_LOWERDIRS=$S/installation/current"
escape 77 'inside a build' "L4D2_LOWERDIRS=$I/left4dead2"
escape 77 'a build id with a leading zero' "L4D2_LOWERDIRS=$S/installation/builds/01"
escape 65 'missing lowerdir' "L4D2_LOWERDIRS=$S/overlays/404"
escape 65 'empty value' "L4D2_LOWERDIRS="
escape 65 'relative' "L4D2_LOWERDIRS=overlays/1"
escape 65 'duplicate key' "$GOOD
L4D2_LOWERDIRS=$I"
escape 65 'unknown key' "$GOOD
LD_PRELOAD=/tmp/x.so"
escape 65 'bad quoting' "L4D2_LOWERDIRS=\"$I"
escape 65 'overlong value' "L4D2_LOWERDIRS=/$long"
# No legitimate lowerdir has a symlink in it (the worker names
# STATE/overlays/ID, global_overlay_cache/SOURCE/overlay and installation):
# one that would stay inside the allowlist is refused too, unread.
escape 77 'symlink that stays inside the allowlist' "L4D2_LOWERDIRS=$S/overlays/to-install"
escape 77 'symlink in the middle of the path' "L4D2_LOWERDIRS=$S/overlays/to-install/left4dead2"
# (instance.env's parser refuses unclean paths first; lowerdir_allowed
# would too: tests/unit/check_lowerdir.c)
escape 65 '.. below a root' "L4D2_LOWERDIRS=$I/left4dead2/.."
escape 65 'an empty component' "L4D2_LOWERDIRS=$S/overlays//1"
escape 65 'a trailing slash' "L4D2_LOWERDIRS=$S/overlays/1/"
escape 65 'a file, not a directory' "L4D2_LOWERDIRS=$S/overlays/1/a.txt"

# ---- no oracle: nothing is opened as root before the allowlist says yes ----
# The answer for a lowerdir must not depend on what only root can see:
# whether a path outside the allowlist exists, where a symlink points, or
# what is inside a directory left4me cannot search.  (Before: root opened
# each lowerdir first, so an existing root-only dir got 77 with its
# resolved path and a missing one 65.)
mkdir -p $S.secret/sub && chmod 700 $S.secret
mkdir -p $S/overlays/1/priv/sub && chmod 700 $S/overlays/1/priv
ln -s $S.secret $S/overlays/1/to-secret
ln -s $S.nonexistent $S/overlays/1/to-nothing
# answer WANT DESC LOWERDIRS: the exit code and stderr with the path
# replaced by X (so two answers can be compared)
answer() {
	write_env "L4D2_LOWERDIRS=$1"
	$OV mount alpha >/dev/null 2>$STATE.err
	echo "$? $(sed "s|$1|X|g" $STATE.err)"
}
a1=$(answer $S.secret/sub)
a2=$(answer $S.nonexistent/sub)
check "outside: an existing root-only dir and a missing one get the same answer ($a1 / $a2)" \
	[ "$a1" = "$a2" ]
check "outside: refused with 77 and named as outside the allowlist" \
	[ "${a1%% *}" = 77 -a -n "$(echo "$a1" | grep 'X) is outside the allowlist')" ]
a1=$(answer $S/overlays/1/to-secret)
a2=$(answer $S/overlays/1/to-nothing)
check "symlink: to an existing root-only dir and to nothing, the same answer" \
	[ "$(echo "$a1" | sed 's/to-secret/L/g')" = "$(echo "$a2" | sed 's/to-nothing/L/g')" ]
check "symlink: refused as a symlink (77)" [ "${a1%% *}" = 77 -a -n "$(echo "$a1" | grep 'is a symlink')" ]
write_env "L4D2_LOWERDIRS=$S/overlays/1/to-secret"
$OV mount alpha 2>$STATE.err
check "symlink: its target is never named" [ -z "$(grep -e "$S.secret" -e "$S.nonexistent" $STATE.err)" ]
a1=$(answer $S/overlays/1/priv/sub)
a2=$(answer $S/overlays/1/priv/nosuch)
check "below a dir only root can search: existing and missing, the same answer" \
	[ "$(echo "$a1" | sed 's|priv/sub|P|g')" = "$(echo "$a2" | sed 's|priv/nosuch|P|g')" ]
check "below a dir only root can search: refused (77, permission denied)" \
	[ "${a1%% *}" = 77 -a -n "$(echo "$a1" | grep 'Permission denied')" ]
check "no oracle: nothing mounted" [ "$(mounts_at $M)" = 0 ]
chmod 755 $S/overlays/1/priv
write_env "L4D2_LOWERDIRS=$S/overlays/1/priv/sub:$I"
expect_rc 0 "the same dir once left4me can search it: mounted" $OV mount alpha
expect_rc 0 "umount" $OV umount alpha
rm -rf $S.secret $S/overlays/1/priv $S/overlays/1/to-secret $S/overlays/1/to-nothing

# ---- the mount cannot be moved out of the state dir by a rename ----------
# runtime/NAME and merged/ are left4me's, so left4me can rename them while
# the helper mounts; the overlay must end up on STATE/runtime/NAME/merged
# or nowhere.  The test build runs STATE/test-hook POINT at the two points
# of the race: "recheck" (before merged/ is looked up again) and "attach"
# (between that check and move_mount).  $S.outside is outside the state dir
# on the same filesystem, as /tmp or /var/tmp is to /var/lib/left4me.
write_env "$GOOD"
mkdir -p $S.outside
hook() { # POINT ACTION: run ACTION (shell) at POINT
	printf '#!/bin/sh\n[ "$1" = %s ] || exit 0\n%s\n' "$1" "$2" >$S/test-hook
	chmod 755 $S/test-hook
}
mounted_anywhere() { # any overlay mount under the state dir or beside it
	awk -v s="$S" 'index($5, s) == 1 && $0 ~ / - overlay /' /proc/self/mountinfo | wc -l
}
race() { # POINT WHAT ACTION UNDO
	hook "$1" "$3"
	expect_rc 77 "race at $1: $2: refused" $OV mount alpha
	check "race at $1: $2: says it moved" grep -q 'runtime/alpha/merged was moved' $STATE.err
	check "race at $1: $2: no overlay mounted anywhere" [ "$(mounted_anywhere)" = 0 ]
	check "race at $1: $2: one stderr line" one_line_err
	rm -f $S/test-hook
	sh -c "$4"
}
R=$S/runtime/alpha
race attach "merged/ renamed out of the state dir" "mv $R/merged $S.outside/merged" \
	"mv $S.outside/merged $R/merged"
race attach "runtime/NAME renamed out of the state dir" "mv $R $S.outside/alpha" \
	"mv $S.outside/alpha $R"
race attach "merged/ replaced by another dir" "mv $R/merged $R/merged.old && mkdir $R/merged" \
	"rmdir $R/merged && mv $R/merged.old $R/merged"
race recheck "merged/ renamed away before the recheck" "mv $R/merged $S.outside/merged" \
	"mv $S.outside/merged $R/merged"
race recheck "merged/ replaced by a symlink to a dir outside" \
	"mv $R/merged $S.outside/merged && ln -s $S.outside/merged $R/merged" \
	"rm $R/merged && mv $S.outside/merged $R/merged"
hook attach "true"
expect_rc 0 "a hook that changes nothing: mounted" $OV mount alpha
check "mounted on merged/ only" [ "$(mounts_at $M):$(mounted_anywhere)" = 1:1 ]
rm -f $S/test-hook
expect_rc 0 "umount" $OV umount alpha
check "the installed build has no test hook" denied grep -qa test-hook $IH/left4me-overlay
rmdir $S.outside

# ---- instance.env, upper/work and runtime ownership ---------------------
write_env "$GOOD"
chmod 664 $ENV
expect_rc 77 "group-writable instance.env refused" $OV mount alpha
chmod 644 $ENV
mv $ENV $ENV.real && ln -s $ENV.real $ENV
expect_rc 77 "instance.env symlink refused" $OV mount alpha
rm $ENV && mv $ENV.real $ENV
chown root $S/runtime/alpha/upper
expect_rc 77 "upper not owned by left4me refused" $OV mount alpha
chown left4me $S/runtime/alpha/upper
chown 12345 $S/runtime/alpha/work
expect_rc 77 "work not owned by left4me refused" $OV mount alpha
chown left4me $S/runtime/alpha/work
mv $S/runtime/alpha/upper $S/runtime/alpha/upper.real
ln -s upper.real $S/runtime/alpha/upper
expect_rc 77 "upper symlink refused" $OV mount alpha
rm $S/runtime/alpha/upper && mv $S/runtime/alpha/upper.real $S/runtime/alpha/upper
# instances/NAME itself a symlink to a dir with a good instance.env: the
# walk from the state dir's fd follows no component.
mkdir -p $S/elsewhere-env $S/runtime/eps/upper $S/runtime/eps/work $S/runtime/eps/merged
cp $ENV $S/elsewhere-env/ && ln -s ../elsewhere-env $S/instances/eps
chown -R left4me:left4me $S/runtime/eps
expect_rc 77 "instances/NAME symlink refused" $OV mount eps
check "instances/NAME symlink: nothing mounted" [ "$(mounts_at $S/runtime/eps/merged)" = 0 ]
rm -rf $S/instances/eps $S/elsewhere-env $S/runtime/eps
mkdir -p $S/elsewhere/merged && ln -s ../elsewhere $S/runtime/delta
mkdir -p $S/instances/delta && cp $ENV $S/instances/delta/
expect_rc 77 "runtime/NAME symlink refused (mount)" $OV mount delta
mount --bind $S/overlays/2 $S/elsewhere/merged
expect_rc 77 "runtime/NAME symlink refused (umount)" $OV umount delta
check "foreign mount left alone" [ "$(mounts_at $S/elsewhere/merged)" = 1 ]
umount $S/elsewhere/merged
expect_rc 66 "missing instance.env" $OV mount beta
check "nothing mounted at the end" [ "$(awk -v s="$S" 'index($5, s) == 1' /proc/self/mountinfo | wc -l)" = 0 ]
expect_rc 0 "final mount still works" $OV mount alpha
expect_rc 0 "final umount" $OV umount alpha
finish
