#!/usr/bin/env bash
# Golden inventory tests: real ansible-inventory runs compared to committed JSON (UPDATE_GOLDEN=1 rewrites).
set -euo pipefail
exec python3 "$(dirname "$0")/golden.py" "$@"
