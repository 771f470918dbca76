#!/usr/bin/env bash
# The Debian/Ubuntu packages the test suite uses besides pip's: opencv-doc (vtest.avi and messi5.jpg, the
# self-hosted analyzer's test video and picture) and redis-server (the scale-out tests start their own).
#
# Installs what is missing with apt-get when it can (as root, or through passwordless sudo), retried and
# quiet; does nothing when both are present. When it cannot, it says what to run and exits 0: the tests
# that need a missing package are then skipped, each naming it (the README's test command goes on).
set -uo pipefail

VTEST=/usr/share/doc/opencv-doc/examples/data/vtest.avi
missing=()
[ -f "$VTEST" ] || missing+=(opencv-doc)
command -v redis-server > /dev/null 2>&1 || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0

say() { echo "install-test-deps: $*" >&2; }
by_hand="sudo apt-get install -y --no-install-recommends ${missing[*]}"
if ! command -v apt-get > /dev/null 2>&1; then
    say "no apt-get here: install ${missing[*]} yourself (the tests that need them are skipped)"
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo > /dev/null 2>&1 && sudo -n true 2> /dev/null; then
    as_root=(sudo -n)
else
    say "not root: run \`$by_hand\` (until then the tests that need ${missing[*]} are skipped)"
    exit 0
fi
for attempt in 1 2 3; do
    if ${as_root[@]+"${as_root[@]}"} apt-get update -q > /dev/null 2>&1 && \
       ${as_root[@]+"${as_root[@]}"} env DEBIAN_FRONTEND=noninteractive \
           apt-get install -y -q --no-install-recommends "${missing[@]}" > /dev/null 2>&1; then
        exit 0
    fi
    say "apt-get install ${missing[*]} failed (attempt $attempt of 3)"
    [ "$attempt" -lt 3 ] && sleep 10
done
say "could not install ${missing[*]}: run \`$by_hand\` (until then the tests that need them are skipped)"
exit 0
