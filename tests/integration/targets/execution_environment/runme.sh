#!/usr/bin/env bash
# The AWX execution environment's build context (make ee, part of make test): ansible-builder create into
# .build/ee/context, then the parts of the image build that need no base image, checked (see check.py).
set -euo pipefail
root=$(cd "$(dirname "$0")/../../../.." && pwd)
exec python3 "$(dirname "$0")/check.py" "$root" "$root/.build/ee"
