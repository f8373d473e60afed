# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hardware file schema: field types, validators and the problem list they fill (pure, no I/O).

PRIVATE to the homelab.cluster collection; its API may change without notice.

Every check appends a ``Problem`` (``host.field: expected ..., got ...``) instead of raising, so one run reports
every mistake in a file; ``_hardware.normalize_hardware`` raises ``HardwareError`` with all of them.
"""

from __future__ import annotations

import difflib
import ipaddress
import re

OS_CHOICES = (
    'alma', 'alpine', 'arch', 'debian', 'fedora', 'freebsd', 'jetpack', 'linux', 'macos', 'nixos', 'opnsense',
    'pfsense', 'proxmox', 'raspios', 'rhel', 'rocky', 'truenas', 'ubuntu', 'windows',
)
FORM_FACTORS = ('appliance', 'laptop', 'rack', 'sbc', 'sff', 'tower')
ARCHES = ('aarch64', 'armv6l', 'armv7l', 'i386', 'i686', 'ppc64le', 'riscv64', 's390x', 'x86_64')
WAKE_METHODS = ('none', 'wol')
GPU_VENDORS = ('amd', 'google', 'hailo', 'intel', 'nvidia')
# Accelerators that have no memory of their own: a vram_gb above 0 on them is an impossible value.
VRAMLESS_VENDORS = ('google', 'hailo')
PCIE_LANES = (1, 2, 4, 8, 16)

# Default estimates (watts) used when a host declares no power figures; flagged as ``estimated``.
IDLE_W_BY_FORM = {'sbc': 5, 'laptop': 8, 'sff': 15, 'appliance': 20, 'tower': 45, 'rack': 90}
CPU_PEAK_W_BY_FORM = {'sbc': 10, 'laptop': 45, 'sff': 65, 'appliance': 65, 'tower': 125, 'rack': 200}
GPU_W_PER_GB = 15
NPU_W = 5

DEFAULT_BOOT_S = 60
DEFAULT_READY_PORT = 22

# \Z, not $: $ also matches before a trailing newline, and a name or address with a newline reaches shell code
HOSTNAME_RE = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*\Z')
_MAC_RE = re.compile(r'^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){4}\Z')
_DNS_LABEL_RE = re.compile(r'^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)\Z')
_GROUP_SAFE_RE = re.compile(r'^[a-z][a-z0-9_]*\Z')
VENDOR_HINTS = (
    ('nvidia', ('nvidia', 'geforce', 'rtx', 'gtx', 'quadro', 'tesla', 'jetson', 'orin')),
    ('amd', ('amd', 'radeon', ' rx ', 'instinct')),
    ('intel', ('intel', 'arc ', 'b580', 'a770', 'a750', 'a380', 'iris')),
    ('hailo', ('hailo',)),
    ('google', ('coral', 'edge tpu', 'edgetpu')),
)


class Problem:
    """One validation problem: where (a path of keys/indexes) and what."""

    __slots__ = ('path', 'message')

    def __init__(self, path, message):
        self.path = tuple(path)
        self.message = message

    def label(self):
        return format_path(self.path)

    def __str__(self):
        return '%s: %s' % (self.label(), self.message)

    def __repr__(self):
        return 'Problem(%r, %r)' % (self.path, self.message)


class HardwareError(ValueError):
    """Raised with every problem found, so a user fixes the whole file in one pass."""

    def __init__(self, problems):
        self.problems = list(problems)
        super(HardwareError, self).__init__('\n'.join(str(p) for p in self.problems))


def format_path(path):
    """('hosts', 'forge', 'gpus', 1, 'vram_gb') -> 'forge.gpus[1].vram_gb'."""
    if len(path) >= 2 and path[0] == 'hosts':
        path = path[1:]
    out = ''
    for part in path:
        if isinstance(part, int):
            out += '[%d]' % part
        else:
            out += ('.' if out else '') + str(part)
    return out or '(top level)'


def suggest(word, choices):
    """A ' (did you mean ...?)' suffix, or '' when nothing is close."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return " (did you mean '%s'?)" % close[0] if close else ''


def describe(value):
    """Render a bad value for a message: quoted strings, type names for containers."""
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if value is None:
        return 'nothing (null)'
    if isinstance(value, dict):
        return 'a mapping'
    if isinstance(value, (list, tuple)):
        return 'a list'
    return repr(value)


# --- scalar checkers: each returns (normalized_value, error_message_or_None) -------------------------------

def _number(minimum=None, exclusive=False, integer=False, maximum=None):
    kind = 'an integer' if integer else 'a number'

    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None, 'expected %s, got %s' % (kind, describe(value))
        if integer and int(value) != value:
            return None, 'expected %s, got %s' % (kind, describe(value))
        value = int(value) if integer or isinstance(value, int) else float(value)
        if minimum is not None and (value <= minimum if exclusive else value < minimum):
            return None, 'expected %s %s %s, got %s' % (kind, '>' if exclusive else '>=', minimum, describe(value))
        if maximum is not None and value > maximum:
            return None, 'expected %s <= %s, got %s' % (kind, maximum, describe(value))
        return value, None
    return check


def _string(value):
    if not isinstance(value, str) or not value.strip():
        return None, 'expected a non-empty string, got %s' % describe(value)
    return str(value).strip(), None


def _boolean(value):
    if not isinstance(value, bool):
        return None, 'expected true or false, got %s' % describe(value)
    return bool(value), None


def _choice(choices):
    def check(value):
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            return None, 'expected one of %s, got %s' % (', '.join(str(c) for c in choices), describe(value))
        norm = str(value).strip().lower() if isinstance(value, str) else value
        if norm in choices:
            return norm, None
        return None, 'expected one of %s, got %s%s' % (', '.join(str(c) for c in choices), describe(value),
                                                       suggest(norm, choices))
    return check


def _mac(value):
    if not isinstance(value, str):
        return None, 'expected a MAC address like aa:bb:cc:dd:ee:ff, got %s' % describe(value)
    norm = str(value).strip().lower()
    if not _MAC_RE.match(norm):
        return None, 'expected a MAC address like aa:bb:cc:dd:ee:ff, got %s' % describe(value)
    digits = re.sub(r'[^0-9a-f]', '', norm)
    if int(digits[:2], 16) & 1:
        return None, 'expected a unicast MAC address, got multicast %s' % describe(value)
    return ':'.join(digits[i:i + 2] for i in range(0, 12, 2)), None


def is_address(text):
    """An IPv4 or IPv6 address, or a DNS name (labels of letters, digits, _ and -, none starting or ending with
    -): nothing that a shell, ssh (a leading -) or a config file could read as more than one word."""
    if not isinstance(text, str) or not text or len(text) > 253:
        return False
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        pass
    labels = text[:-1].split('.') if text.endswith('.') else text.split('.')
    if all(label.isdigit() for label in labels):
        return False  # 10.0.300.1 is a broken IPv4 address, not a name
    return all(_DNS_LABEL_RE.match(label) for label in labels)


def _address(value):
    norm = str(value).strip() if isinstance(value, str) else None
    if not is_address(norm):
        return None, 'expected an IP address or DNS name, got %s' % describe(value)
    return norm, None


def _group_safe_name(value):
    """A name that becomes part of a group name (roles)."""
    if not isinstance(value, str) or not _GROUP_SAFE_RE.match(str(value)):
        return None, 'expected a lowercase name of letters, digits and _, got %s' % describe(value)
    return str(value), None


def _plain(value):
    """Free-form data (``vars``): copied into plain Python types so nothing arrives marked as a template."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _mapping(value):
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        return None, 'expected a mapping of variable names to values, got %s' % describe(value)
    return _plain(value), None


# --- the schema --------------------------------------------------------------------------------------------

CPU_SCHEMA = {
    'model': _string,
    'arch': _choice(ARCHES),
    'cores': _number(1, integer=True),
    'threads': _number(1, integer=True),
    'ghz': _number(0, exclusive=True),
}
PCIE_SCHEMA = {
    'gen': _number(1, integer=True, maximum=7),
    'lanes': _choice(PCIE_LANES),
}
GPU_SCHEMA = {
    'model': _string,
    'vendor': _choice(GPU_VENDORS),
    'vram_gb': _number(0),
    'shared': _boolean,
    'pcie': PCIE_SCHEMA,
    'tdp_w': _number(0),
    'tops': _number(0),
}
# Where a host's power readings come from (power_info): its smart plug and the UPS that feeds it.
PLUG_KINDS = ('shelly_gen2', 'shelly_gen1', 'tasmota')
PLUG_SCHEMA = {
    'kind': _choice(PLUG_KINDS),
    'host': _string,
    'port': _number(1, integer=True, maximum=65535),
    'channel': _number(0, integer=True),
    'tls': _boolean,
}
UPS_SCHEMA = {
    'name': _string,
    'host': _string,
    'port': _number(1, integer=True, maximum=65535),
}
POWER_SCHEMA = {
    'idle_w': _number(0),
    'peak_w': _number(0),
    'plug': PLUG_SCHEMA,
    'ups': UPS_SCHEMA,
}
WAKE_SCHEMA = {
    'method': _choice(WAKE_METHODS),
    'boot_s': _number(0, exclusive=True),
    'ready_port': _number(1, integer=True, maximum=65535),
}
HOST_SCHEMA = {
    'address': _address,
    'mac': _mac,
    'os': _choice(OS_CHOICES),
    'form_factor': _choice(FORM_FACTORS),
    'cpu': CPU_SCHEMA,
    'ram_gb': _number(0, exclusive=True),
    'gpus': [GPU_SCHEMA],
    'power': POWER_SCHEMA,
    'always_on': _boolean,
    'volatile': _boolean,
    'wake': WAKE_SCHEMA,
    'python': _boolean,
    'quorum_votes': _number(0, integer=True),
    'tier': _group_safe_name,
    'roles': [_group_safe_name],
    'vars': _mapping,
    'description': _string,
}
# power as the inventory emits it (homelab_power) and power_info reads it: the file's fields plus ``estimated``
POWER_VAR_SCHEMA = dict(POWER_SCHEMA, estimated=_boolean)
TOP_LEVEL_KEYS = ('defaults', 'hosts')
# Keys of a plugin config file that may sit beside inline ``defaults``/``hosts`` (the file is then both).
CONFIG_KEYS_TOLERATED = ('plugin',)


def check_schema(schema, value, path, problems):
    """Validate ``value`` against ``schema``; return the normalized value holding only the keys given."""
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            problems.append(Problem(path, 'expected a mapping, got %s' % describe(value)))
            return None
        out = {}
        for key in value:
            sub = value[key]
            if key not in schema:
                problems.append(Problem(path + (str(key),), 'unknown key%s; known keys: %s'
                                        % (suggest(key, schema), ', '.join(sorted(schema)))))
                continue
            norm = check_schema(schema[key], sub, path + (str(key),), problems)
            if norm is not None:
                out[str(key)] = norm
        return out
    if isinstance(schema, list):
        if not isinstance(value, list):
            problems.append(Problem(path, 'expected a list, got %s' % describe(value)))
            return None
        items = [check_schema(schema[0], item, path + (i,), problems) for i, item in enumerate(value)]
        return [item for item in items if item is not None]
    norm, error = schema(value)
    if error:
        problems.append(Problem(path, error))
        return None
    return norm


def check_power_sources(power, path, problems):
    """The fields a plug or UPS needs once it is given (``power.plug.kind``/``host``, ``power.ups.host``)."""
    for key, required in (('plug', ('kind', 'host')), ('ups', ('host',))):
        if power.get(key) is None:
            continue
        for field in required:
            if power[key].get(field) in (None, ''):
                problems.append(Problem(path + (key, field), 'required when power.%s is given' % key))


def problems_text(problems):
    """Problems as one line each: ``path: message``."""
    return '; '.join('%s: %s' % (problem.label(), problem.message) for problem in problems)
