#!/usr/bin/env bash
# ansible-test sanity needs the collection at ansible_collections/<namespace>/<name>: copy the files git knows
# (tracked, and untracked but not ignored) into a temporary tree of that shape and run it there.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
dest="$tmp/ansible_collections/homelab/cluster"
mkdir -p "$dest"
(cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} cp --parents {} "$dest"/ 2>/dev/null || true)
cd "$dest"
git init -q && git add -A && git -c user.name=ci -c user.email=ci@localhost commit -qm sanity
# A venv of its own: ansible-test --requirements installs its pinned linters there, not into .venv.
venv="$root/.build/sanity-venv"
core=$(grep -E '^ansible-core==' "$root/requirements-dev.in")  # the top-level pins (the .txt holds hashes too)
if [ ! -x "$venv/bin/ansible-test" ] || ! "$venv/bin/python" -m pip show ansible-core 2>/dev/null | grep -q "^Version: ${core#ansible-core==}$"; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$core"
fi
# ansible-test bootstraps pip in each test venv with a script it downloads from a host we cannot reach;
# give it the offline stand-in under the name it looks for.
pip_version=$(grep -oP "^\s+pip='\K[0-9.]+" "$("$venv/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py" | head -n1)
mkdir -p "$HOME/.ansible/test/cache"
cp "$root/tests/sanity/get_pip_standin.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
python=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
PATH="$venv/bin:$PATH" "$venv/bin/ansible-test" sanity --local --requirements --python "$python" --color no "$@"
