#!/usr/bin/env bash
# Regenerates golden.json: needs Debian's cyclonedds-dev and cyclonedds-tools (idlc), and gcc.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
cp msgs.idl golden.c "$tmp"/
(cd "$tmp" && idlc -l c msgs.idl 2>/dev/null && gcc -O1 -o golden golden.c msgs.c -lddsc && ./golden) >golden.json
rm -rf "$tmp"
echo "golden.json: $(grep -c '"type"' golden.json) messages"
