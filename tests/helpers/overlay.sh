#!/bin/sh
# left4me-overlay, for real, in a private mount namespace: mount/umount
# with 3 lowerdirs, idempotency both ways, mountinfo detection of a
# same-filesystem bind, every allowlist escape, upper/work ownership.
. "$(dirname "$0")/lib.sh"
need_root_ns "$@"
OV=$TH/left4me-overlay
S=$STATE
M=$S/runtime/alpha/merged

mkdir -p $S/installation/left4dead2 $S/overlays/1 $S/overlays/2 \
	$S/global_overlay_cache/src/ov $S/workshop_cache $S/installation-evil \
	$S/instances/alpha $S/runtime/alpha/upper $S/runtime/alpha/work $M \
	$S/runtime/beta/upper
echo base >$S/installation/base.txt
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
GOOD="L4D2_LOWERDIRS=\"$S/overlays/1:$S/global_overlay_cache/src/ov:$S/installation\""
write_env "$GOOD"

# ---- mount / umount, idempotent both ways --------------------------------
expect_rc 0 "mount with 3 lowerdirs" $OV mount alpha
check "overlay mounted on merged" [ "$(mounts_at $M)" = 1 ]
check "fstype is overlay" grep -q " $M .* - overlay " /proc/self/mountinfo
check "all three layers visible" [ -f $M/a.txt -a -f $M/left4dead2/../base.txt -a -f $M/b.txt ]
check "top layer wins" [ "$(cat $M/base.txt)" = top ]
echo new >$M/written.txt
check "writes land in upper" [ -f $S/runtime/alpha/upper/written.txt ]
expect_rc 0 "mount again is a no-op" $OV mount alpha
check "still exactly one mount" [ "$(mounts_at $M)" = 1 ]
expect_rc 0 "umount" $OV umount alpha
check "nothing mounted after umount" [ "$(mounts_at $M)" = 0 ]
expect_rc 0 "umount again is a no-op" $OV umount alpha
expect_rc 0 "umount of a never-initialized instance" $OV umount gamma

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
escape 77 'symlink to another runtime' "L4D2_LOWERDIRS=$S/overlays/to-beta:$S/installation"
escape 77 'another runtime directly' "L4D2_LOWERDIRS=$S/runtime/beta/upper"
escape 77 'absolute outside' "L4D2_LOWERDIRS=/etc"
escape 77 'the state dir itself' "L4D2_LOWERDIRS=$S"
escape 77 'overlays/ as a whole' "L4D2_LOWERDIRS=$S/overlays"
escape 77 'prefix look-alike installation-evil' "L4D2_LOWERDIRS=$S/installation-evil"
escape 77 'instances/ dir' "L4D2_LOWERDIRS=$S/instances/alpha"
escape 65 'missing lowerdir' "L4D2_LOWERDIRS=$S/overlays/404"
escape 65 'empty value' "L4D2_LOWERDIRS="
escape 65 'relative' "L4D2_LOWERDIRS=overlays/1"
escape 65 'duplicate key' "$GOOD
L4D2_LOWERDIRS=$S/installation"
escape 65 'unknown key' "$GOOD
LD_PRELOAD=/tmp/x.so"
escape 65 'bad quoting' "L4D2_LOWERDIRS=\"$S/installation"
escape 65 'overlong value' "L4D2_LOWERDIRS=/$long"
write_env "L4D2_LOWERDIRS=$S/overlays/to-install"
expect_rc 0 "symlink that stays inside the allowlist is fine" $OV mount alpha
$OV umount alpha

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
