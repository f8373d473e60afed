# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hardware file normalization: defaults, inference and cross-host checks (pure, no I/O).

PRIVATE to the homelab.cluster collection; its API may change without notice.

``normalize_hardware(data)`` turns the parsed hardware file (``defaults`` + ``hosts``) into one normalized
record per host, or raises ``HardwareError`` listing *every* problem as ``host.field: expected ..., got ...``.
Only the inventory hostname is required; every other field has a documented default or is inferred.
"""

from __future__ import annotations

from ansible_collections.homelab.cluster.plugins.module_utils._schema import CONFIG_KEYS_TOLERATED
from ansible_collections.homelab.cluster.plugins.module_utils._schema import CPU_PEAK_W_BY_FORM
from ansible_collections.homelab.cluster.plugins.module_utils._schema import DEFAULT_BOOT_S
from ansible_collections.homelab.cluster.plugins.module_utils._schema import DEFAULT_READY_PORT
from ansible_collections.homelab.cluster.plugins.module_utils._schema import GPU_VENDORS
from ansible_collections.homelab.cluster.plugins.module_utils._schema import GPU_W_PER_GB
from ansible_collections.homelab.cluster.plugins.module_utils._schema import HOST_SCHEMA
from ansible_collections.homelab.cluster.plugins.module_utils._schema import HOSTNAME_RE
from ansible_collections.homelab.cluster.plugins.module_utils._schema import IDLE_W_BY_FORM
from ansible_collections.homelab.cluster.plugins.module_utils._schema import NPU_W
from ansible_collections.homelab.cluster.plugins.module_utils._schema import TOP_LEVEL_KEYS
from ansible_collections.homelab.cluster.plugins.module_utils._schema import VENDOR_HINTS
from ansible_collections.homelab.cluster.plugins.module_utils._schema import VRAMLESS_VENDORS
from ansible_collections.homelab.cluster.plugins.module_utils._schema import HardwareError
from ansible_collections.homelab.cluster.plugins.module_utils._schema import Problem
from ansible_collections.homelab.cluster.plugins.module_utils._schema import check_power_sources
from ansible_collections.homelab.cluster.plugins.module_utils._schema import check_schema
from ansible_collections.homelab.cluster.plugins.module_utils._schema import describe
from ansible_collections.homelab.cluster.plugins.module_utils._schema import suggest
from ansible_collections.homelab.cluster.plugins.module_utils._vars_screen import check_vars


def deep_merge(base, over):
    """Merge ``over`` onto ``base``: mappings merge key by key, everything else is replaced. Inputs untouched."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def infer_vendor(model):
    text = ' %s ' % model.lower()
    for vendor, hints in VENDOR_HINTS:
        if any(hint in text for hint in hints):
            return vendor
    return None


def _complete_gpu(gpu, path, problems):
    model = gpu.get('model')
    vendor = gpu.get('vendor') or (infer_vendor(model) if model else None)
    if vendor is None:
        problems.append(Problem(path + ('vendor',), 'missing, and not inferable from model %s; expected one of %s'
                                % (describe(model) if model else '(none given)', ', '.join(GPU_VENDORS))))
        vendor = 'unknown'
    vram = gpu.get('vram_gb', 0)
    if vendor in VRAMLESS_VENDORS and vram:
        problems.append(Problem(path + ('vram_gb',), '%s accelerators have no VRAM of their own; expected 0 or '
                                'nothing, got %s' % (vendor, describe(vram))))
    pcie = gpu.get('pcie') or {}
    return {
        'model': model or '%s accelerator' % vendor,
        'vendor': vendor,
        'kind': 'npu' if vendor in VRAMLESS_VENDORS else 'gpu',
        'vram_gb': vram,
        'shared': gpu.get('shared', False),
        'pcie': {'gen': pcie.get('gen'), 'lanes': pcie.get('lanes')},
        'tdp_w': gpu.get('tdp_w'),
        'tops': gpu.get('tops'),
    }


def complete_record(name, given, problems, facts=None):
    """Turn the validated, merged fields of one host into the full normalized record.

    ``facts`` holds values from the fact cache (already normalized); they fill only what ``given`` lacks.
    """
    facts = facts or {}
    path = ('hosts', name)
    filled = []

    def pick(key, sub=None):
        source = given.get(key) if sub is None else (given.get(key) or {}).get(sub)
        if source is not None:
            return source
        fact = facts.get(key if sub is None else '%s.%s' % (key, sub))
        if fact is not None:
            filled.append(key if sub is None else '%s.%s' % (key, sub))
        return fact

    os_name = pick('os') or 'linux'
    form = pick('form_factor') or ('sbc' if os_name in ('raspios', 'jetpack') else 'tower')
    cores = pick('cpu', 'cores')
    threads = pick('cpu', 'threads')
    if cores is not None and threads is not None and threads < cores:
        problems.append(Problem(path + ('cpu', 'threads'), 'expected at least cpu.cores (%s), got %s'
                                % (cores, threads)))
    cpu = {
        'model': pick('cpu', 'model'),
        'arch': pick('cpu', 'arch') or ('aarch64' if os_name in ('raspios', 'jetpack') else 'x86_64'),
        'cores': cores,
        'threads': threads if threads is not None else cores,
        'ghz': pick('cpu', 'ghz'),
    }
    gpus = [_complete_gpu(gpu, path + ('gpus', i), problems) for i, gpu in enumerate(given.get('gpus') or [])]

    power = given.get('power') or {}
    idle, peak = power.get('idle_w'), power.get('peak_w')
    if idle is not None and peak is not None and peak < idle:
        problems.append(Problem(path + ('power', 'peak_w'), 'expected at least power.idle_w (%s), got %s'
                                % (idle, peak)))
    estimated = idle is None or peak is None
    if idle is None:
        idle = IDLE_W_BY_FORM[form] if peak is None else min(IDLE_W_BY_FORM[form], peak)
    if peak is None:
        peak = idle + CPU_PEAK_W_BY_FORM[form] + sum(
            g['tdp_w'] if g['tdp_w'] is not None else (NPU_W if g['kind'] == 'npu' else GPU_W_PER_GB * g['vram_gb'])
            for g in gpus)

    check_power_sources(power, path + ('power',), problems)
    sources = {}
    for key in ('plug', 'ups'):
        if power.get(key) is not None:
            sources[key] = dict(power[key], **({'name': power[key].get('name', 'ups'),
                                                'port': power[key].get('port', 3493)} if key == 'ups' else {}))

    mac = pick('mac')
    always_on = given.get('always_on', False)
    volatile = given.get('volatile', os_name == 'windows')
    wake = given.get('wake') or {}
    method = wake.get('method') or ('wol' if mac and not always_on else 'none')
    if method == 'wol' and not mac:
        problems.append(Problem(path + ('wake', 'method'), 'wol needs the host to have a mac, none given'))
    return {
        'name': name,
        'address': given.get('address'),
        'mac': mac,
        'os': os_name,
        'form_factor': form,
        'cpu': cpu,
        'ram_gb': pick('ram_gb'),
        'gpus': gpus,
        'power': dict({'idle_w': idle, 'peak_w': peak, 'estimated': estimated}, **sources),
        'always_on': always_on,
        'volatile': volatile,
        'wake': {
            'method': method,
            'mac': mac,
            'boot_s': wake.get('boot_s', DEFAULT_BOOT_S),
            'ready_port': wake.get('ready_port', DEFAULT_READY_PORT),
        },
        'python': given.get('python', os_name != 'windows'),
        'quorum_votes': given.get('quorum_votes', 0),
        'tier': given.get('tier'),
        'roles': given.get('roles'),
        'vars': given.get('vars') or {},
        'description': given.get('description'),
        'facts_used': sorted(filled),
    }


def validate_sources(data, problems):
    """Check the top-level shape; return (defaults_partial, {host: partial}) holding normalized given fields."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problems.append(Problem((), 'expected a mapping with defaults and hosts, got %s' % describe(data)))
        return {}, {}
    for key in data:
        if key not in TOP_LEVEL_KEYS and key not in CONFIG_KEYS_TOLERATED:
            problems.append(Problem((str(key),), 'unknown top-level key%s; expected defaults and hosts'
                                    % suggest(key, TOP_LEVEL_KEYS)))
    defaults = _screened(check_schema(HOST_SCHEMA, data.get('defaults') or {}, ('defaults',), problems) or {},
                         ('defaults',), problems)
    hosts_raw = data.get('hosts')
    if hosts_raw is None:
        hosts_raw = {}
    if not isinstance(hosts_raw, dict):
        problems.append(Problem(('hosts',), 'expected a mapping of host names to hardware, got %s'
                                % describe(hosts_raw)))
        return defaults, {}
    hosts = {}
    for name, raw in hosts_raw.items():
        if not isinstance(name, str) or not HOSTNAME_RE.match(name):
            # the path shows the name escaped: a name with newlines must not print lines of its own
            label = str(name) if str(name).isprintable() else ascii(str(name))
            problems.append(Problem(('hosts', label), 'expected a host name of letters, digits, _, . and -, '
                                    'got %s' % describe(name)))
            continue
        if raw is None:
            raw = {}
        path = ('hosts', str(name))
        hosts[str(name)] = _screened(check_schema(HOST_SCHEMA, raw, path, problems), path, problems)
    return defaults, hosts


def _screened(fields, path, problems):
    """The fields with their ``vars`` screened (check_vars); ansible_host in vars only where address is absent."""
    if not fields or 'vars' not in fields:
        return fields
    fields = dict(fields, vars=check_vars(fields['vars'], path + ('vars',), problems))
    if 'ansible_host' in fields['vars'] and 'address' in fields:
        problems.append(Problem(path + ('vars', 'ansible_host'), 'refused: address is given; the inventory sets '
                                'ansible_host from it, so give only one of them'))
        del fields['vars']['ansible_host']
    return fields


def _check_unique(records, field, problems, what):
    seen = {}
    for name in sorted(records):
        value = records[name][field]
        if value is None:
            continue
        if value in seen:
            problems.append(Problem(('hosts', name, field), '%s %s is also used by %s' % (what, value, seen[value])))
        else:
            seen[value] = name


def normalize_hardware(data, facts_by_host=None, known_tiers=None, known_roles=None):
    """Validate the whole hardware file and return ``{host: record}`` sorted by host name.

    ``facts_by_host`` maps host -> normalized fact fields (see ``_facts.hardware_from_facts``).
    ``known_tiers``/``known_roles`` restrict the names a host may declare in ``tier``/``roles``.
    Raises ``HardwareError`` with every problem when anything is wrong; nothing is returned half-done.
    """
    problems = []
    facts_by_host = facts_by_host or {}
    defaults, hosts = validate_sources(data, problems)
    records = {}
    for name in sorted(hosts):
        given = hosts[name]
        if given is None:
            continue
        merged = deep_merge(defaults, given) if defaults else given
        record = complete_record(name, merged, problems, facts_by_host.get(name))
        path = ('hosts', name)
        if known_tiers is not None and record['tier'] is not None and record['tier'] not in known_tiers:
            problems.append(Problem(path + ('tier',), 'expected one of %s, got %s%s'
                                    % (', '.join(known_tiers), describe(record['tier']),
                                       suggest(record['tier'], known_tiers))))
        if known_roles is not None and record['roles'] is not None:
            for i, role in enumerate(record['roles']):
                if role not in known_roles:
                    problems.append(Problem(path + ('roles', i), 'expected one of %s, got %s%s'
                                            % (', '.join(known_roles), describe(role), suggest(role, known_roles))))
        records[name] = record
    _check_unique(records, 'mac', problems, 'MAC')
    _check_unique(records, 'address', problems, 'address')
    if problems:
        raise HardwareError(problems)
    return records
