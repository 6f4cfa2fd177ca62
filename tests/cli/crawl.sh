#!/bin/bash
# coolbpf btf crawl and btf extract, offline: the index parsers on the
# excerpts of real indexes under tests/data/crawl (Debian, Ubuntu; CentOS and
# Anolis repodata in their format), then a whole crawl of a local file://
# archive whose packages this script builds (dpkg-deb, and an RPM written by
# hand) around a small BTF made with pahole: the image's embedded BTF, the
# fallback to the debug package, hash checks, resume, the manifest. About 10 s.
# Live Debian is exercised by the measurement in the README, not here.
set -u
cd "$(dirname "$0")/../.."
. tests/lib.sh
cli_setup crawl
DATA=$PWD/tests/data/crawl
export COOLBPF_CACHE_DIR=$work/cache

hasnt() { ! grep -qF -- "$2" <<<"$1"; }
# field of the JSON line whose release is $2: jq-less
field() { # json-lines release key
	python3 -c 'import json,sys
for l in sys.argv[1].splitlines():
    o=json.loads(l)
    if o["release"]==sys.argv[2]: print(o.get(sys.argv[3])); break
else: print("<absent>")' "$1" "$2" "$3"
}
count() { grep -c . <<<"$1"; }

# --- the parsers, on excerpts of the real indexes -------------------------
run btf crawl --dry-run --json --unsigned --mirror "file://$DATA/debian" --suite bookworm
check "debian excerpt: listed (exit 0)" [ "$rc" = 0 ]
check "debian: four kernels (metas, templates, headers, unsigned twins left out)" \
	[ "$(count "$out")" = 4 ]
check "debian: the signed image is preferred to its -unsigned twin" \
	[ "$(field "$out" 6.1.0-57-amd64 package)" = linux-image-6.1.0-57-amd64 ]
check "debian: its -dbg package is paired with it" \
	[ "$(field "$out" 6.1.0-57-amd64 dbg_package)" = linux-image-6.1.0-57-amd64-dbg ]
check "debian: version and size from the stanza" \
	[ "$(field "$out" 6.1.0-57-amd64 version)/$(field "$out" 6.1.0-57-amd64 package_size)" = 6.1.192-3/70591024 ]
check "debian: a kernel of the main suite (plain Packages)" \
	[ "$(field "$out" 6.1.0-50-amd64 suite)" = bookworm ]
check "debian: -security read by hash from Packages.xz" \
	[ "$(field "$out" 6.12.117+deb12-amd64 suite)" = bookworm-security ]
check "debian: the package URL is the archive's pool path" \
	[ "$(field "$out" 6.1.0-57-cloud-amd64 url)" = "file://$DATA/debian/pool/updates/main/l/linux-signed-amd64/linux-image-6.1.0-57-cloud-amd64_6.1.192-3_amd64.deb" ]
check "debian: the meta package 6.12-amd64 is not a kernel" \
	[ "$(field "$out" 6.12-amd64 package)" = "<absent>" ]
run btf crawl --dry-run --mirror "file://$DATA/debian" --suite bookworm
check "an unsigned InRelease is refused without --unsigned" has "$err" "is not signed by a key of"
check "... exit 1" [ "$rc" = 1 ]
run btf crawl --dry-run --unsigned --mirror "file://$DATA/debian" --suite trixie
check "a suite the archive lacks is named" has "$err" "no suite 'trixie'"

run btf crawl --dry-run --json --unsigned --distro ubuntu --mirror "file://$DATA/ubuntu" --suite jammy
check "ubuntu excerpt: three kernels" [ "$(count "$out")" = 3 ]
check "ubuntu: linux-image-unsigned-* merges into the signed image" \
	[ "$(field "$out" 5.15.0-140-generic package)" = linux-image-5.15.0-140-generic ]
check "ubuntu: a -updates kernel" [ "$(field "$out" 5.15.0-1027-gke suite)" = jammy-updates ]

run btf crawl --dry-run --json --distro centos --mirror "file://$DATA/centos/9-stream/BaseOS/x86_64/os" \
	--suite 9-stream --arch x86_64
check "centos repodata: kernel-core of two versions and kernel-debug-core" [ "$(count "$out")" = 3 ]
check "centos: uname -r is ver-rel.arch" [ "$(field "$out" 5.14.0-611.el9.x86_64 package)" = kernel-core ]
check "centos: the debug variant is +debug, with its debuginfo" \
	[ "$(field "$out" 5.14.0-611.el9.x86_64+debug dbg_package)" = kernel-debug-debuginfo ]
check "centos: kernel-debuginfo from the debug repository (primary.xml.gz, then plain)" \
	[ "$(field "$out" 5.14.0-611.el9.x86_64 dbg_size)" = 612345678 ]
check "centos: the meta package 'kernel' gives way to kernel-core" \
	hasnt "$out" '"package": "kernel",'
run btf crawl --dry-run --json --distro centos --mirror "file://$DATA/centos/9-stream/BaseOS/x86_64/os" \
	--suite 9-stream --arch aarch64
check "centos: --arch aarch64 lists that architecture only" \
	[ "$(count "$out")/$(field "$out" 5.14.0-611.el9.aarch64 arch)" = 1/aarch64 ]
run btf crawl --dry-run --json --distro anolis --mirror "file://$DATA/anolis/7/os/x86_64" --suite 7
check "anolis 7 (no -core split): the kernel package is the image" \
	[ "$(field "$out" 4.19.91-27.an7.x86_64 package)/$(field "$out" 4.19.91-27.an7.x86_64 dbg_package)" = kernel/kernel-debuginfo ]

run btf crawl --dry-run --distro gentoo
check "an unknown distribution is a usage error" [ "$rc" = 2 ]
run btf crawl --arch m68k --dry-run
check "an unknown architecture is a usage error" [ "$rc" = 2 ]
run btf crawl --suite bookworm
check "no archive named: usage error naming COOLBPF_BTF_DIR" [ "$rc" = 2 ] && has "$err" "COOLBPF_BTF_DIR"

# --- a BTF to hide in kernel images: pahole on a small DWARF object --------
cat >"$work/k.c" <<'EOF'
struct task_struct { int pid; int tgid; char comm[16]; struct task_struct *parent; };
struct task_struct init_task;
EOF
gcc -g -c "$work/k.c" -o "$work/k.o"
"$COOLBPF" btf gen --vmlinux "$work/k.o" -o "$work/k.btf" || echo "FAIL: btf gen"
head -c 8192 /dev/urandom >"$work/junk"
mkimage() { # out, compressor...: junk, then (junk BTF junk) compressed
	cat "$work/junk" "$work/k.btf" "$work/junk" | "${@:2}" >"$work/payload"
	cat "$work/junk" "$work/payload" "$work/junk" >"$1"
}

# --- btf extract, as extract-vmlinux finds the payload ---------------------
for z in "xz -c" "gzip -c" "zstd -qc" "lz4 -lc" "bzip2 -c"; do
	mkimage "$work/vmlinuz" $z
	run btf extract "$work/vmlinuz" -o "$work/x.btf"
	check "extract finds BTF in a ${z%% *} payload" cmp -s "$work/x.btf" "$work/k.btf"
done
cat "$work/junk" "$work/k.btf" "$work/junk" >"$work/Image"
run btf extract "$work/Image" -o "$work/x.btf"
check "extract finds BTF in an uncompressed (arm64) Image" cmp -s "$work/x.btf" "$work/k.btf"
head -c 65536 /dev/urandom | xz -c >"$work/nobtf"
rm -f "$work/x.btf"
run btf extract "$work/nobtf" -o "$work/x.btf"
check "an image without BTF: exit 1, says so, writes nothing" \
	[ "$rc" = 1 -a ! -e "$work/x.btf" ] && has "$err" "no BTF in it"

# --- a whole crawl of a local archive --------------------------------------
mirror=$work/mirror
pool=$mirror/pool/main/l/linux
mkdir -p "$pool" "$mirror/dists/bookworm/main/binary-amd64"
mkdeb() { # package version file-in-package content
	local d=$work/deb-$1
	mkdir -p "$d/DEBIAN" "$d/$(dirname "$3")"
	cp "$4" "$d/$3"
	printf 'Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: t <t@t>\nDescription: test\n' \
		"$1" "$2" >"$d/DEBIAN/control"
	dpkg-deb --root-owner-group -Zxz --build "$d" "$pool/${1}_${2}_amd64.deb" >/dev/null
}
stanza() { # package version
	local f=pool/main/l/linux/${1}_${2}_amd64.deb
	printf 'Package: %s\nVersion: %s\nArchitecture: amd64\nFilename: %s\nSize: %s\nSHA256: %s\n\n' \
		"$1" "$2" "$f" "$(stat -c %s "$mirror/$f")" "$(sha256sum <"$mirror/$f" | cut -d' ' -f1)"
}
mkimage "$work/vmlinuz" xz -c
mkdeb linux-image-9.9.1-test-amd64 9.9.1-1 boot/vmlinuz-9.9.1-test-amd64 "$work/vmlinuz"
# a kernel whose image carries no BTF, and its -dbg package with DWARF
mkdeb linux-image-9.9.2-test-amd64 9.9.2-1 boot/vmlinuz-9.9.2-test-amd64 "$work/nobtf"
mkdeb linux-image-9.9.2-test-amd64-dbg 9.9.2-1 usr/lib/debug/boot/vmlinux-9.9.2-test-amd64 "$work/k.o"
{
	stanza linux-image-9.9.1-test-amd64 9.9.1-1
	stanza linux-image-9.9.2-test-amd64 9.9.2-1
	stanza linux-image-9.9.2-test-amd64-dbg 9.9.2-1
} >"$mirror/dists/bookworm/main/binary-amd64/Packages"
mkrelease() {
	local p=$mirror/dists/bookworm/main/binary-amd64/Packages
	printf 'Codename: bookworm\nSHA256:\n %s %s main/binary-amd64/Packages\n' \
		"$(sha256sum <"$p" | cut -d' ' -f1)" "$(stat -c %s "$p")" >"$mirror/dists/bookworm/InRelease"
}
mkrelease
ar=$work/archive
crawl() { run btf crawl --unsigned --mirror "file://$mirror" --suite bookworm --arch amd64 --dir "$ar" "$@"; }

crawl --json
check "crawl of a local archive: exit 0" [ "$rc" = 0 ]
check "the image's BTF is archived as it was built in" \
	cmp -s <(gzip -dc "$ar/x86_64/9.9.1-test-amd64.btf.gz") "$work/k.btf"
check "... source image, found in the xz payload" \
	[ "$(field "$out" 9.9.1-test-amd64 source)" = image ] && has "$(field "$out" 9.9.1-test-amd64 found)" "xz"
check "an image without BTF falls back to its -dbg package and pahole" \
	[ "$(field "$out" 9.9.2-test-amd64 source)" = dbg ] && gzip -t "$ar/x86_64/9.9.2-test-amd64.btf.gz"
check "the manifest has one JSON line per kernel" [ "$(wc -l <"$ar/manifest.jsonl")" = 2 ]
man=$(<"$ar/manifest.jsonl")
check "manifest: distro, suite, arch (uname -m), release, version, package" \
	[ "$(field "$man" 9.9.1-test-amd64 distro)/$(field "$man" 9.9.1-test-amd64 suite)/$(field "$man" 9.9.1-test-amd64 arch)/$(field "$man" 9.9.1-test-amd64 version)" = debian/bookworm/x86_64/9.9.1-1 ]
check "manifest: sha256 of the BTF, its sizes" \
	[ "$(field "$man" 9.9.1-test-amd64 sha256)/$(field "$man" 9.9.1-test-amd64 btf_size)" = "$(sha256sum <"$work/k.btf" | cut -d' ' -f1)/$(stat -c %s "$work/k.btf")" ]
check "manifest: bytes downloaded and seconds" \
	[ "$(field "$man" 9.9.1-test-amd64 downloaded)" = "$(stat -c %s "$pool/linux-image-9.9.1-test-amd64_9.9.1-1_amd64.deb")" ]
check "packages are removed once used" [ -z "$(ls "$COOLBPF_CACHE_DIR/crawl/pkgs")" ]

crawl --json
check "a second crawl makes nothing: incremental" [ "$rc" = 0 -a -z "$out" ]
check "... and leaves the manifest alone" [ "$(wc -l <"$ar/manifest.jsonl")" = 2 ]
run btf crawl --dry-run --json --unsigned --mirror "file://$mirror" --suite bookworm --arch amd64 --dir "$ar"
check "dry run: both kernels archived" [ "$(field "$out" 9.9.1-test-amd64 archived)/$(field "$out" 9.9.2-test-amd64 archived)" = True/True ]
mv "$mirror/dists/bookworm/main/binary-amd64/Packages" "$work/Packages.away"
run btf crawl --dry-run --json --unsigned --mirror "file://$mirror" --suite bookworm --arch amd64 --dir "$ar"
check "an index unchanged since the last run (same sha256 in InRelease) is not fetched again" \
	[ "$rc" = 0 -a "$(count "$out")" = 2 ]
mv "$work/Packages.away" "$mirror/dists/bookworm/main/binary-amd64/Packages"

# resume: a third kernel whose download stopped halfway
mkimage "$work/vmlinuz3" gzip -c
mkdeb linux-image-9.9.3-test-amd64 9.9.3-1 boot/vmlinuz-9.9.3-test-amd64 "$work/vmlinuz3"
stanza linux-image-9.9.3-test-amd64 9.9.3-1 >>"$mirror/dists/bookworm/main/binary-amd64/Packages"
mkrelease
deb3=$pool/linux-image-9.9.3-test-amd64_9.9.3-1_amd64.deb
half=$(($(stat -c %s "$deb3") / 2))
mkdir -p "$COOLBPF_CACHE_DIR/crawl/pkgs"
head -c $half "$deb3" >"$COOLBPF_CACHE_DIR/crawl/pkgs/$(basename "$deb3").part"
crawl --json
check "an interrupted download is resumed: only the rest is fetched" \
	[ "$rc" = 0 -a "$(field "$out" 9.9.3-test-amd64 downloaded)" = $(($(stat -c %s "$deb3") - half)) ]

# a package that is not what the index says
mkimage "$work/vmlinuz4" xz -c
mkdeb linux-image-9.9.4-test-amd64 9.9.4-1 boot/vmlinuz-9.9.4-test-amd64 "$work/vmlinuz4"
stanza linux-image-9.9.4-test-amd64 9.9.4-1 | sed -E 's/^SHA256: 0/SHA256: 1/; t; s/^SHA256: ./SHA256: 0/' \
	>>"$mirror/dists/bookworm/main/binary-amd64/Packages"
mkrelease
crawl
check "a package whose sha256 differs from the index: exit 1, named" \
	[ "$rc" = 1 ] && has "$err" "is not the package its index describes"
check "... not archived, no download left behind" \
	[ ! -e "$ar/x86_64/9.9.4-test-amd64.btf.gz" -a -z "$(ls "$COOLBPF_CACHE_DIR/crawl/pkgs")" ]
run btf crawl --unsigned --mirror "file://$mirror" --suite bookworm --dir "$ar" --match '9.9.4*' --from image --dry-run
check "--match selects kernels by release" [ "$(count "$out")" = 1 ] && has "$out" 9.9.4-test-amd64

# an index that does not match its Release
echo "Package: tampered" >>"$mirror/dists/bookworm/main/binary-amd64/Packages"
# a cache of its own: the index kept under the Release's sha256 is not fetched again
COOLBPF_CACHE_DIR=$work/cache-fresh crawl
check "a Packages file that does not match InRelease's sha256 is refused" \
	[ "$rc" = 1 ] && has "$err" "does not match the sha256"
mkrelease

# --- RPM: a package with a cpio payload, from repodata ---------------------
python3 - "$work" <<'EOF'
import gzip, hashlib, os, struct, sys
w = sys.argv[1]
repo = w + "/rpmrepo"
os.makedirs(repo + "/Packages", exist_ok=True)
os.makedirs(repo + "/repodata", exist_ok=True)
def cpio(entries):
    out = b""
    for i, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")]):
        n = name.encode() + b"\0"
        out += b"070701" + b"".join(b"%08X" % v for v in
            (i + 1, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(n), 0))
        out += n + b"\0" * ((4 - (110 + len(n)) % 4) % 4)
        out += data + b"\0" * ((4 - len(data) % 4) % 4)
    return out
def header(entries):  # [(tag, type, data)]
    idx = b"".join(struct.pack(">IIII", t, ty, 0, 1) for t, ty, d in entries)
    data = b"".join(d for t, ty, d in entries)
    return b"\x8e\xad\xe8\x01\0\0\0\0" + struct.pack(">II", len(entries), len(data)) + idx + data
rel = "9.9.5-1.el9.x86_64"
lead = b"\xed\xab\xee\xdb\x03\x00" + struct.pack(">HH", 0, 1) + b"kernel-core".ljust(66, b"\0") \
    + struct.pack(">HH", 1, 5) + b"\0" * 16
sig = header([(1000, 4, b"\0\0\0\x01")])  # 36 bytes: padded to 8 after it
sig += b"\0" * ((8 - len(sig) % 8) % 8)
hdr = header([(1000, 6, b"kernel-core\0")])
payload = gzip.compress(cpio([("./lib", 0o40755, b""),
    ("./lib/modules/%s/vmlinuz" % rel, 0o100644, open(w + "/vmlinuz", "rb").read())]))
rpm = lead + sig + hdr + payload
name = "kernel-core-9.9.5-1.el9.x86_64.rpm"
open(repo + "/Packages/" + name, "wb").write(rpm)
primary = ("""<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" packages="1">
<package type="rpm"><name>kernel-core</name><arch>x86_64</arch>
<version epoch="0" ver="9.9.5" rel="1.el9"/><checksum type="sha256" pkgid="YES">%s</checksum>
<size package="%d" installed="0" archive="0"/><location href="Packages/%s"/></package>
</metadata>
""" % (hashlib.sha256(rpm).hexdigest(), len(rpm), name)).encode()
pz = gzip.compress(primary)
open(repo + "/repodata/primary.xml.gz", "wb").write(pz)
open(repo + "/repodata/repomd.xml", "w").write("""<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><data type="primary">
<checksum type="sha256">%s</checksum><location href="repodata/primary.xml.gz"/></data></repomd>
""" % hashlib.sha256(pz).hexdigest())
EOF
run btf crawl --distro centos --mirror "file://$work/rpmrepo" --suite 9 --arch x86_64 --dir "$ar" --json
check "rpm: kernel-core's vmlinuz out of its cpio payload, its BTF archived" \
	[ "$rc" = 0 ] && cmp -s <(gzip -dc "$ar/x86_64/9.9.5-1.el9.x86_64.btf.gz") "$work/k.btf"
check "rpm: manifest line" [ "$(field "$(<"$ar/manifest.jsonl")" 9.9.5-1.el9.x86_64 package)" = kernel-core ]

# --- one crawl at a time --------------------------------------------------
exec 9>"$ar/.crawl.lock"
flock 9
crawl
check "a second crawl on the same archive refuses to start" [ "$rc" = 1 ] && has "$err" "another crawl is running"
exec 9>&-

echo "crawl.sh: $passes passed, $fails failed"
[ "$fails" = 0 ]
