# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Map gathered Ansible facts (``setup``) to hardware file fields (pure, no I/O).

PRIVATE to the homelab.cluster collection; its API may change without notice.

``hardware_from_facts(facts)`` returns a flat mapping of dotted hardware fields (``ram_gb``, ``cpu.threads``,
...) to normalized values. Facts only ever fill what the hardware file leaves out.
"""

from __future__ import annotations

import re

from ansible_collections.homelab.cluster.plugins.module_utils._schema import ARCHES

_GHZ_RE = re.compile(r'@\s*([0-9]+(?:\.[0-9]+)?)\s*GHz', re.IGNORECASE)
_MAC_RE = re.compile(r'^[0-9a-f]{2}(:[0-9a-f]{2}){5}$')
_FORM_FACTORS = {
    'notebook': 'laptop', 'laptop': 'laptop', 'portable': 'laptop', 'convertible': 'laptop',
    'detachable': 'laptop', 'sub notebook': 'laptop', 'hand held': 'laptop', 'tablet': 'laptop',
    'desktop': 'tower', 'tower': 'tower', 'mini tower': 'tower', 'main server chassis': 'tower',
    'low profile desktop': 'sff', 'space-saving': 'sff', 'mini pc': 'sff', 'all in one': 'sff',
    'lunch box': 'sff', 'stick pc': 'sff',
    'rack mount chassis': 'rack', 'blade': 'rack', 'blade enclosure': 'rack', 'multi-system chassis': 'rack',
}
_ARCH_ALIASES = {'amd64': 'x86_64', 'arm64': 'aarch64', '64-bit': 'x86_64', 'armhf': 'armv7l'}
_DISTRIBUTIONS = {
    'debian': 'debian', 'ubuntu': 'ubuntu', 'fedora': 'fedora', 'redhat': 'rhel', 'rocky': 'rocky',
    'almalinux': 'alma', 'archlinux': 'arch', 'alpine': 'alpine', 'nixos': 'nixos', 'freebsd': 'freebsd',
    'macosx': 'macos', 'opnsense': 'opnsense', 'pfsense': 'pfsense', 'truenas': 'truenas',
}


def _fact(facts, name):
    """Facts are cached as ``ansible_<name>``; accept the bare ``<name>`` and ``ansible_facts`` too."""
    if 'ansible_' + name in facts:
        return facts['ansible_' + name]
    if name in facts:
        return facts[name]
    nested = facts.get('ansible_facts')
    if isinstance(nested, dict):
        return nested.get(name, nested.get('ansible_' + name))
    return None


def _int(value):
    if isinstance(value, bool):
        return None
    try:
        value = int(value)
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


def _cpu_model(processor):
    """``ansible_processor`` is ['0', 'GenuineIntel', 'Intel(R) Core(TM) ...', '1', ...]; take the first model."""
    if not isinstance(processor, list):
        return None
    for item in processor:
        text = str(item).strip()
        if text and not text.isdigit() and text not in ('GenuineIntel', 'AuthenticAMD', 'ARM'):
            return text
    return None


def _os_name(facts):
    kernel = str(_fact(facts, 'kernel') or '')
    if kernel.endswith('-pve') or '-pve' in kernel:
        return 'proxmox'
    if str(_fact(facts, 'os_family') or '').lower() == 'windows':
        return 'windows'
    distribution = str(_fact(facts, 'distribution') or '').lower().replace(' ', '')
    if distribution == 'debian' and 'rpi' in kernel:
        return 'raspios'
    if 'tegra' in kernel:
        return 'jetpack'
    return _DISTRIBUTIONS.get(distribution)


def hardware_from_facts(facts):
    """Return {dotted_field: value} for every hardware field the facts can tell."""
    if not isinstance(facts, dict):
        return {}
    out = {}
    mem = _int(_fact(facts, 'memtotal_mb'))
    if mem:
        out['ram_gb'] = round(mem / 1024.0, 2)
    vcpus = _int(_fact(facts, 'processor_vcpus'))
    if vcpus:
        out['cpu.threads'] = vcpus
    cores, count = _int(_fact(facts, 'processor_cores')), _int(_fact(facts, 'processor_count'))
    if cores:
        out['cpu.cores'] = cores * (count or 1)
    if vcpus and out.get('cpu.cores', 0) > vcpus:
        out['cpu.cores'] = vcpus
    arch = str(_fact(facts, 'architecture') or '').lower()
    arch = _ARCH_ALIASES.get(arch, arch)
    if arch in ARCHES:
        out['cpu.arch'] = arch
    model = _cpu_model(_fact(facts, 'processor'))
    if model:
        out['cpu.model'] = model
        ghz = _GHZ_RE.search(model)
        if ghz:
            out['cpu.ghz'] = float(ghz.group(1))
    os_name = _os_name(facts)
    if os_name:
        out['os'] = os_name
    form = _FORM_FACTORS.get(str(_fact(facts, 'form_factor') or '').strip().lower())
    if form:
        out['form_factor'] = form
    ipv4 = _fact(facts, 'default_ipv4')
    if isinstance(ipv4, dict):
        mac = str(ipv4.get('macaddress') or '').lower()
        if _MAC_RE.match(mac) and not int(mac[:2], 16) & 1:
            out['mac'] = mac
    return out
