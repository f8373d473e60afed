# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host view: the one reader of the ``homelab_*`` host-var contract (pure, no I/O).

PRIVATE to the homelab.cluster collection; its API may change without notice.

Three kinds of ``homelab_*`` names, kept apart:

* COMPUTED: what the ``homelab.cluster.tiers`` inventory writes (``_classify.host_vars``). A host whose vars
  were written by hand (a molecule scenario, a static inventory) gets the same defaults the hardware file has.
* SETTINGS: what a user may set in group_vars/host_vars (``homelab_power_priority``, ``homelab_wake_secureon``,
  ...). Each has one type and one default, here. House-wide settings (the power limit, the webhook) are read
  from the view of the host the play runs on (usually localhost, which gets group_vars/all).
* RUNTIME: facts a play sets (``homelab_gaming``, from homelab.cluster.gaming_info).

Every filter, action plugin, module_util, template (through the ``homelab.cluster.host_view`` filter) and lab
script reads host vars through ``host_view``; nothing else knows a default. An unknown ``homelab_*`` name, a
value of the wrong type and a host that is not in the inventory are errors that name the host and the field.
"""

from __future__ import annotations

import difflib

PREFIX = 'homelab_'

# os -> family. ``debian`` means apt works and the collection's Debian roles may configure the host; TrueNAS
# SCALE is Debian underneath but an appliance whose apt is disabled, so it is not.
OS_FAMILY = {
    'debian': 'debian', 'ubuntu': 'debian', 'raspios': 'debian', 'jetpack': 'debian', 'proxmox': 'debian',
    'truenas': 'appliance', 'opnsense': 'freebsd', 'pfsense': 'freebsd', 'freebsd': 'freebsd',
    'windows': 'windows', 'macos': 'darwin', 'rhel': 'redhat', 'rocky': 'redhat', 'alma': 'redhat',
    'fedora': 'redhat', 'alpine': 'alpine', 'arch': 'archlinux', 'nixos': 'nixos', 'linux': 'linux',
}
# The families whose hosts the collection's roles configure (the ``provisionable`` group).
PROVISIONABLE_FAMILIES = ('debian',)

PRIORITIES = ('essential', 'standard', 'speculative')
DEFAULT_BOOT_S = 60
DEFAULT_READY_PORT = 22
_FIRST_LOGIC = object()  # default: the first host of role_logic (the always-on logic node), else localhost
_FIRST_LOGIC_ONLY = object()  # the same, without the localhost fallback
_ON_READER = object()  # a state path on the power reader: /var/lib/homelab/power/..., ~/.local/state/... on localhost
STATE_DIRS = {'reader': '/var/lib/homelab/power', 'localhost': '~/.local/state/homelab'}
STATE_FILES = {'power_state_file': 'guard.json', 'power_log_file': 'guard.log', 'power_ups_state_file': 'ups.json'}


class HostViewError(Exception):
    """A host var that cannot be read: ``host.field: expected ..., got ...``."""


def _describe(value):
    if value is None:
        return 'nothing (null)'
    if isinstance(value, bool):
        return 'a boolean %s' % ('true' if value else 'false')
    if isinstance(value, (dict, list)):
        return 'a %s %r' % ('mapping' if isinstance(value, dict) else 'list', value)
    return repr(value)


# ------------------------------------------------------------------------------------------ value kinds

_TRUE = ('true', 'yes', 'on', '1')
_FALSE = ('false', 'no', 'off', '0')


def _bool(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError('expected a boolean (true/false)')


def _number(minimum=None, exclusive=False, integer=False):
    def check(value):
        if isinstance(value, bool):
            raise ValueError('expected a number')
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                raise ValueError('expected a number') from None
        if not isinstance(value, (int, float)):
            raise ValueError('expected a number')
        if integer:
            if float(value) != int(value):
                raise ValueError('expected a whole number')
            value = int(value)
        if minimum is not None and (value <= minimum if exclusive else value < minimum):
            raise ValueError('expected a number %s %s' % ('above' if exclusive else 'of at least', minimum))
        return value
    return check


def _text(value):
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return str(value)
    raise ValueError('expected a string')


def _strings(value):
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError('expected a list of strings')
    if not all(isinstance(item, str) and item for item in value):
        raise ValueError('expected a list of non-empty strings')
    return [str(item) for item in value]


def _choice(*choices):
    def check(value):
        if value not in choices:
            raise ValueError('expected one of %s' % ', '.join(choices))
        return str(value)
    return check


def _mapping(value):
    if not isinstance(value, dict) and not hasattr(value, 'items'):
        raise ValueError('expected a mapping')
    return _plain(value)


def _list(value):
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError('expected a list')
    return _plain(value)


def _plain(value):
    """A deep copy in plain dicts and lists (hostvars hand out lazy or proxied containers)."""
    if isinstance(value, dict) or (hasattr(value, 'items') and not isinstance(value, str)):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# --------------------------------------------------------------------------------- the three kinds

# COMPUTED: written by the tiers inventory. name -> (check, default). ``power``/``wake``/``hardware`` are
# completed key by key below, so a partial mapping written by hand gets the hardware file's defaults.
COMPUTED = {
    'tier': (_text, None),
    'tier_reason': (_text, None),
    'roles': (_strings, ()),
    'role_reasons': (_mapping, {}),
    'gpus': (_list, ()),
    'vram_gb': (_number(0), None),
    'vram_max_gb': (_number(0), None),
    'power': (_mapping, {}),
    'wake': (_mapping, {}),
    'always_on': (_bool, False),
    'volatile': (_bool, False),
    'python': (_bool, True),
    'quorum_votes': (_number(0, integer=True), 0),
    'hardware': (_mapping, {}),
    'facts_used': (_strings, ()),
    'proxmox': (_mapping, {}),  # nodes and guests of the live Proxmox VE source (vmid, node, type, status, tags)
}

# SETTINGS: set by the user. name -> (check, default, what it is). Read per host, or (house-wide) from the
# play host's view.
SETTINGS = {
    # power guard, UPS shutdown (per host)
    'power_priority': (_choice(*PRIORITIES), None, 'shedding class; none: essential roles, else standard'),
    'power_shed_services': (_strings, (), 'services the guard may stop to save power'),
    'power_shutdown_services': (_strings, (), 'services stopped cleanly before a UPS shutdown (databases first)'),
    'power_has_jobs': (_bool, False, 'the host runs Slurm jobs the guard may suspend'),
    'power_off_timeout_s': (_number(0, exclusive=True), 120, 'seconds to confirm a poweroff'),
    # power guard, UPS shutdown (house-wide)
    'power_limit_w': (_number(0, exclusive=True), None, 'the house limit in watts (the guard needs it)'),
    'power_margin_w': (_number(0), 100, 'the guard aims this far under the limit'),
    'power_hysteresis_w': (_number(0), 150, 'how far under the target before it restores'),
    'power_webhook': (_text, '', 'ntfy/n8n-style URL for alerts (it may carry a token: never logged)'),
    'power_reader': (_text, _FIRST_LOGIC, 'the host that reads the UPS, plugs and sensors'),
    'power_group': (_text, 'all', 'the group the guard and the UPS shutdown consider'),
    'power_state_file': (_text, _ON_READER, 'the guard state file, on the reader (the logic node), 0600'),
    'power_log_file': (_text, _ON_READER, 'the guard and UPS shutdown decision log, on the reader, 0600'),
    'power_lock_stale_s': (_number(0, exclusive=True), 600, 'a guard lock older than this is stale and broken'),
    'power_ups_state_file': (_text, _ON_READER, 'the hosts the UPS shutdown took down, woken when power is back'),
    'power_ha_url': (_text, None, 'Home Assistant URL for the house and solar sensors'),
    'power_ha_token': (_text, None, 'Home Assistant long-lived token (never logged)'),
    'power_house_entity': (_text, None, 'Home Assistant entity of the house meter'),
    'power_solar_entity': (_text, None, 'Home Assistant entity of the solar production'),
    'power_validate_certs': (_bool, True, 'verify TLS of plugs and Home Assistant'),
    'power_ups': (_text, None, 'the UPS the shutdown follows (name@host); none: the only one read'),
    'power_ups_threshold_pct': (_number(0), 30, 'battery charge below which the UPS shutdown starts'),
    'power_ups_last': (_choice('never', 'poweroff'), 'never', 'whether the logic node and firewall go down too'),
    # wake, sleep (per host)
    'wake_address': (_text, None, 'address to probe for readiness, when not ansible_host'),
    'wake_relay': (_text, _FIRST_LOGIC, 'the host on the target network that sends the magic packet'),
    'wake_secureon': (_text, None, 'SecureOn password (6 bytes, aa:bb:cc:dd:ee:ff)'),
    'wake_max_wakes': (_number(1, integer=True), 3, 'wake-storm guard: wakes allowed in the window'),
    'wake_window_s': (_number(0, exclusive=True), 3600, 'wake-storm guard window, seconds'),
    'wake_min_off_s': (_number(0), 120, 'no wake sooner than this after a shutdown, seconds'),
    'wake_force': (_bool, False, 'override the wake-storm guard'),
    'sleep_idle_minutes': (_number(0), 30, 'idle minutes before sleep_idle powers a host off'),
    'sleep_max_load': (_number(0), 0.25, 'load per CPU under which a host is idle'),
    'sleep_max_gpu_util': (_number(0), 5, 'GPU utilization percent under which a host is idle'),
    'sleep_busy_processes': (_strings, (), 'process names that keep a host awake'),
    'sleep_stop_services': (_strings, (), 'services stopped before sleep, in order'),
    'sleep_confirm_timeout_s': (_number(0, exclusive=True), 120, 'seconds to confirm a host went to sleep'),
    # gaming guard, placement, VRAM plan
    'gaming_processes': (_strings, (), 'extra process names that mean a game runs'),
    'gaming_cluster_processes': (_strings, (), 'cluster GPU processes stopped for a game'),
    'slurm_controller': (_text, None, 'the Slurm controller host the gaming guard drains nodes on'),
    'vram_lineup': (_list, None, 'the models vram_plan.yml plans onto this host'),
    # inference tier (catalog: module_utils/_inference/catalog.py)
    'inference_servers': (_list, (), 'the model servers of this host (Ollama, llama.cpp, vLLM, OpenAI-compatible)'),
    'inference_engine': (_text, 'docker', 'the container engine service inference_recover.yml restarts'),
    # quorum
    'quorum_qnetd': (_text, _FIRST_LOGIC_ONLY, 'the quorum device host'),
    'quorum_settle_s': (_number(0), 60, 'seconds quorum.yml waits for every vote'),
    # the simulated homelab marks its overlay
    'lab': (_bool, False, 'the host is a container of make lab'),
}

# RUNTIME: facts a play sets. None means not probed in this run.
RUNTIME = {
    'gaming': (_bool, None),
}

KNOWN = sorted(set(COMPUTED) | set(SETTINGS) | set(RUNTIME))


# ------------------------------------------------------------------------------------------- the view

def _first_logic(groups, fallback):
    logic = list((groups or {}).get('role_logic') or ())
    return logic[0] if logic else fallback


def _read(name, hv, key, check, default):
    full = PREFIX + key
    value = hv.get(full) if full in hv else None
    if value is None:
        return _plain(default) if isinstance(default, (dict, list, tuple)) else default
    try:
        return check(value)
    except ValueError as exc:
        raise HostViewError('%s.%s: %s, got %s' % (name, full, exc, _describe(_plain(value)))) from None


def _unknown(name, hv):
    for key in hv:
        if isinstance(key, str) and key.startswith(PREFIX) and key[len(PREFIX):] not in KNOWN:
            short = key[len(PREFIX):]
            close = difflib.get_close_matches(short, KNOWN, n=1)
            raise HostViewError('%s.%s: unknown homelab_* variable%s; the known ones are listed in the host view '
                                '(plugins/module_utils/_hostview.py)'
                                % (name, key, " (did you mean '%s%s'?)" % (PREFIX, close[0]) if close else ''))


def _gpus(name, gpus):
    out = []
    for i, gpu in enumerate(gpus):
        if not isinstance(gpu, dict):
            raise HostViewError('%s.homelab_gpus[%d]: expected a mapping, got %s' % (name, i, _describe(gpu)))
        vendor = gpu.get('vendor') or 'unknown'
        vram = gpu.get('vram_gb') or 0
        try:
            vram = _number(0)(vram)
        except ValueError as exc:
            raise HostViewError('%s.homelab_gpus[%d].vram_gb: %s, got %s' % (name, i, exc, _describe(vram))) from None
        pcie = gpu.get('pcie') or {}
        out.append({'model': gpu.get('model') or '%s accelerator' % vendor, 'vendor': vendor,
                    'kind': gpu.get('kind') or ('npu' if vendor in ('google', 'hailo') else 'gpu'),
                    'vram_gb': vram, 'shared': bool(gpu.get('shared', False)),
                    'pcie': {'gen': pcie.get('gen'), 'lanes': pcie.get('lanes')},
                    'tdp_w': gpu.get('tdp_w'), 'tops': gpu.get('tops')})
    return out


def _power(name, power):
    out = dict(power)
    for key in ('idle_w', 'peak_w'):
        try:
            out[key] = _number(0)(power[key]) if power.get(key) is not None else 0
        except ValueError as exc:
            raise HostViewError('%s.homelab_power.%s: %s, got %s' % (name, key, exc, _describe(power[key]))) from None
    out['estimated'] = bool(power.get('estimated', power.get('idle_w') is None or power.get('peak_w') is None))
    out.setdefault('plug', None)
    out.setdefault('ups', None)
    return out


def _wake(name, wake, mac, always_on):
    out = {'method': wake.get('method') or ('wol' if mac and not always_on else 'none'),
           'mac': wake.get('mac') or mac,
           'boot_s': wake.get('boot_s', DEFAULT_BOOT_S),
           'ready_port': wake.get('ready_port', DEFAULT_READY_PORT)}
    if out['method'] not in ('wol', 'none'):
        raise HostViewError('%s.homelab_wake.method: expected one of wol, none, got %s'
                            % (name, _describe(out['method'])))
    for key in ('boot_s', 'ready_port'):
        try:
            out[key] = _number(0)(out[key])
        except ValueError as exc:
            raise HostViewError('%s.homelab_wake.%s: %s, got %s' % (name, key, exc, _describe(out[key]))) from None
    return out


def host_view(name, hv, groups=None):
    """The view of one host from its vars (``hostvars[name]``). ``groups`` defaults to ``hv['groups']``.

    Returns a plain dict; raises HostViewError naming the host and the field on a value it cannot read.
    """
    if hv is None:
        raise HostViewError('%s: not an inventory host' % (name,))
    if groups is None:
        groups = hv.get('groups') if 'groups' in hv else {}
    _unknown(name, hv)
    view = {'name': name}
    for key, (check, default) in COMPUTED.items():
        view[key] = _read(name, hv, key, check, default)
    for key, (check, default, _doc) in SETTINGS.items():
        if default is _FIRST_LOGIC:
            default = _first_logic(groups, 'localhost')
        elif default is _FIRST_LOGIC_ONLY:
            default = _first_logic(groups, None)
        elif default is _ON_READER:
            where = 'localhost' if view['power_reader'] == 'localhost' else 'reader'
            default = '%s/%s' % (STATE_DIRS[where], STATE_FILES[key])
        view[key] = _read(name, hv, key, check, default)
    for key, (check, default) in RUNTIME.items():
        view[key] = _read(name, hv, key, check, default)

    hardware = view.pop('hardware')
    cpu = hardware.get('cpu') or {}
    os_name = hardware.get('os') or 'linux'
    view.update({
        'address': _plain(hv.get('ansible_host')) if hv.get('ansible_host') else hardware.get('address'),
        'mac': hardware.get('mac') or (view['wake'] or {}).get('mac'),
        'os': os_name,
        'os_family': OS_FAMILY.get(os_name, 'linux'),
        'form_factor': hardware.get('form_factor') or 'tower',
        'cpu': {key: cpu.get(key) for key in ('model', 'arch', 'cores', 'threads', 'ghz')},
        'ram_gb': hardware.get('ram_gb'),
        'description': hardware.get('description'),
        'groups': sorted(_plain(hv.get('group_names') or ())),
    })
    view['gpus'] = _gpus(name, view['gpus'])
    vrams = [g['vram_gb'] for g in view['gpus'] if g['kind'] == 'gpu']
    if view['vram_gb'] is None:
        view['vram_gb'] = sum(vrams)
    if view['vram_max_gb'] is None:
        view['vram_max_gb'] = max(vrams) if vrams else 0
    view['power'] = _power(name, view['power'])
    view['wake'] = _wake(name, view['wake'], view['mac'], view['always_on'])
    view['wakeable'] = ('wakeable' in view['groups'] if 'group_names' in hv else
                        bool(view['wake']['mac']) and view['wake']['method'] == 'wol' and not view['always_on'])
    view['provisionable'] = view['os_family'] in PROVISIONABLE_FAMILIES
    # whether the tiers inventory classified the host (it always writes homelab_tier and homelab_hardware)
    view['classified'] = view['tier'] is not None and bool(hardware)
    return view


def host_views(hostvars, names, groups=None):
    """The views of ``names`` (in that order); a name not in the inventory is an error.

    ``hostvars`` is either Ansible's ``hostvars`` or a play's ``vars`` (every variable of the current host, play
    and role vars included). With ``vars``, the current host's view comes from them, so a setting given as a play
    var (``vars:`` on an imported playbook, a role parameter) counts as it does everywhere else in Ansible; other
    hosts come from its ``hostvars``, which hold their inventory vars, facts and extra vars.
    """
    current = None
    if 'hostvars' in hostvars and 'inventory_hostname' in hostvars:
        current, everything, hostvars = hostvars['inventory_hostname'], hostvars, hostvars['hostvars']
    out = []
    for name in names:
        if name == current:
            out.append(host_view(name, everything, groups))
            continue
        if name not in hostvars:
            raise HostViewError('%s: not an inventory host' % (name,))
        out.append(host_view(name, hostvars[name], groups))
    return out
