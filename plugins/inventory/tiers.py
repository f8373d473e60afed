# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: tiers
short_description: Classify a heterogeneous homelab from a hardware file into tiers and roles
version_added: 0.1.0
author:
  - Homelab Cluster Team (@homelab-cluster)
description:
  - Reads a declarative hardware file (each machine's CPU, RAM, GPUs, power, wake method, ...), validates it,
    classifies every host into a capability tier and functional roles, and emits the groups and C(homelab_*)
    host vars that every role of the collection relies on.
  - "Tiers, first match wins: V(ultralow) (RAM below 1 GB or CPU below 1 GHz), V(portable) (laptops),
    V(modern) (a dedicated GPU with at least 8 GB, or 16+ threads with 32+ GB RAM), V(legacy) (the rest).
    The thresholds and the rules are data you can override with O(thresholds), O(tier_rules) and O(role_rules)."
  - "Roles, inferred unless a host declares C(roles): V(firewall) (os opnsense/pfsense), V(storage) (os truenas),
    V(hypervisor) (os proxmox), V(volatile) (a gaming/desktop machine a person may grab, default for windows),
    V(edge) (form factor sbc, or tier ultralow), V(logic) (always on, idle at most 30 W, not storage, firewall or edge:
    the always-on gatekeeper and quorum device), V(inference) (a dedicated GPU with at least 8 GB, not volatile)."
  - "Groups: C(tier_<tier>) and C(role_<role>) (always created, so playbooks never target a missing group),
    C(gpu_<vendor>), C(os_<os>), C(os_family_<family>) (V(debian) for debian, ubuntu, raspios, jetpack and proxmox;
    V(appliance) for truenas; V(freebsd) for opnsense, pfsense and freebsd; V(windows); V(linux) when not
    declared; ...), C(provisionable) (the Debian-family hosts the collection's roles configure), C(always_on),
    C(wakeable) (has a MAC, wake method wol, not always on), C(quorum_voters) (quorum_votes above 0) and
    C(no_python). Playbooks select hosts with these positive groups."
  - "Host vars: C(ansible_host) (from C(address)), C(homelab_tier), C(homelab_tier_reason) (why the host got its tier,
    for example V(gpu RTX 4070 Ti Super: 16 GB >= 8)), C(homelab_roles), C(homelab_role_reasons),
    C(homelab_gpus), C(homelab_vram_gb) (sum), C(homelab_vram_max_gb) (largest single GPU), C(homelab_power)
    (C(idle_w), C(peak_w), C(estimated)), C(homelab_wake) (C(method), C(mac), C(boot_s), C(ready_port)),
    C(homelab_always_on), C(homelab_volatile), C(homelab_python), C(homelab_quorum_votes),
    C(homelab_hardware) (C(address), C(mac), C(os), C(form_factor), C(cpu), C(ram_gb), C(description): what has
    no var of its own, so each fact is emitted once), C(homelab_facts_used) (fields filled from cached facts),
    and the host's own C(vars). Read them through the P(homelab.cluster.host_view#filter) filter, which owns
    every default."
  - "Every problem in the hardware file is reported in one error as C(host.field: expected ..., got ...) with its
    line, unknown keys get a suggestion, duplicate MACs and addresses name both hosts. Nothing is added to the
    inventory when the file is invalid."
  - When fact caching is configured (O(fact_cache), and C(fact_caching) in C(ansible.cfg)), fields a host leaves out
    (RAM, CPU threads/cores/arch/model, OS, form factor, MAC) are filled from its cached facts. Declared values
    always win. List only names and MACs, run C(ansible.builtin.setup) once, and the hosts get their tiers.
  - "C(ansible-inventory --list), C(--export) and C(--host) print plain values as plain strings (AWX imports that
    JSON); a string holding template markers (C({{), C({%), C({#)) stays untrusted and is never templated."
  - A config file with an unknown option and a hardware file without hosts are errors, not an empty inventory.
  - With O(cache) on, the raw hardware file is cached (not the formatted inventory); groups and vars are rebuilt
    every run, and an entry is ignored once the file changes.
  - The config file must end in C(.tiers.yml) or C(.tiers.yaml). Keep a separate O(hardware) file outside a
    directory you pass to C(-i), or ansible's C(yaml) inventory plugin reads it as well; inline O(hosts) avoid this.
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
  - homelab.cluster.proxmox.plugins
options:
  plugin:
    description: The name of this plugin; it must always be set to V(homelab.cluster.tiers).
    type: str
    required: true
    choices: [homelab.cluster.tiers]
  hardware:
    description:
      - Path to the hardware file, relative to this config file. Its top-level keys are C(defaults) and C(hosts).
      - This is the only option that may be a template (for example an environment lookup).
      - Mutually exclusive with O(hosts).
    type: str
  hosts:
    description:
      - The hardware of each host, inline. Keys are inventory host names; values hold the fields below.
        A host with no fields (C(pentium:)) is valid.
      - "Fields: C(address) (becomes C(ansible_host)), C(mac), C(os) (V(debian), V(ubuntu), V(proxmox), V(truenas),
        V(opnsense), V(pfsense), V(windows), V(raspios), V(jetpack), V(linux) (default), ...),
        C(form_factor) (V(tower) (default), V(rack), V(sff), V(laptop), V(sbc), V(appliance)),
        C(cpu) (C(model), C(arch), C(cores), C(threads), C(ghz)), C(ram_gb) (fractional allowed: V(0.0625) is 64 MB),
        C(gpus) (list of C(model), C(vendor) (inferred from the model when absent), C(vram_gb), C(shared) (uses
        system RAM, like a Jetson), C(pcie) (C(gen), C(lanes)), C(tdp_w), C(tops)),
        C(power) (C(idle_w), C(peak_w); estimated from form factor and GPUs when absent; C(plug) (C(kind)
        V(shelly_gen2)/V(shelly_gen1)/V(tasmota), C(host), C(port), C(channel), C(tls)) and C(ups) (C(host),
        C(name) (default V(ups)), C(port) (default 3493)) say where M(homelab.cluster.power_info) reads the host's
        draw and its UPS),
        C(always_on), C(volatile) (default true for windows), C(wake) (C(method) V(wol)/V(none), C(boot_s) (default 60),
        C(ready_port) (default 22)), C(python) (default true, false for windows; false puts the host in C(no_python)),
        C(quorum_votes) (default 0), C(tier) and C(roles) (declare instead of inferring), C(vars) (extra host vars),
        C(description)."
      - "C(vars) are extra host vars, screened because a hardware file may come from a shared repository: of the
        C(ansible_*) variables only C(ansible_host) (checked like C(address), and only without it), C(ansible_port),
        C(ansible_user), C(ansible_python_interpreter) (an absolute path), C(ansible_become),
        C(ansible_become_user) and C(ansible_become_method) (V(sudo), V(su), V(doas)) are taken; connection,
        executable and shell variables (C(ansible_connection), C(ansible_ssh_common_args), C(ansible_*_executable),
        ...), C(homelab_*) names and the inputs of this collection's roles (C(baseline_*), C(vault_*), C(slurm_*),
        ...) are refused with an error naming the host and the variable. Put those in C(group_vars/) or
        C(host_vars/), which are your own files. Names and addresses are checked so that no newline, quote or
        leading C(-) reaches a shell, ssh or a config file."
    type: dict
  defaults:
    description: Fields deep-merged under every host (inline form of the hardware file's C(defaults)).
    type: dict
  thresholds:
    description:
      - Overrides of the default thresholds used by the built-in tier and role rules.
      - "Keys: C(ultralow_ram_gb) (1), C(ultralow_ghz) (1.0), C(modern_vram_gb) (8), C(modern_threads) (16),
        C(modern_ram_gb) (32), C(inference_vram_gb) (8), C(logic_idle_w) (30)."
    type: dict
    default: {}
  tier_rules:
    description:
      - Replaces the tier rules. A list of C(tier) and C(when) (a condition); the first match wins and the last
        rule must match everything (C(when) empty).
      - "A condition is C({}) (always), C({all: [...]}), C({any: [...]}), C({not: cond}), C({gpu: {field: test}})
        (some GPU passes every test) or C({field: test}). Fields: C(ram_gb), C(cpu.ghz), C(cpu.threads),
        C(cpu.cores), C(cpu.arch), C(os), C(form_factor), C(vram_gb), C(vram_max_gb), C(gpu_count),
        C(power.idle_w), C(always_on), C(volatile), ... A test is a value (equality) or operators C(eq), C(ne),
        C(lt), C(le), C(gt), C(ge), C(in), C(not_in)."
    type: list
    elements: dict
  role_rules:
    description:
      - Role name to condition. A built-in role's condition is replaced, a new name adds a custom role
        (group C(role_<name>)), and V(null) disables a role.
      - "Role conditions may also test C(tier) and C({role: name}) (roles given earlier in the order)."
    type: dict
    default: {}
  fact_cache:
    description: Fill fields a host leaves out from its cached facts when fact caching is configured.
    type: bool
    default: true
"""

EXAMPLES = r"""
---
# homelab.tiers.yml -- the minimal config: a hardware file beside it (kept outside any -i directory)
plugin: homelab.cluster.tiers
hardware: ../hardware.yml

---
# homelab.tiers.yml -- hardware inline, so `-i inventory/` works with a directory source
plugin: homelab.cluster.tiers
defaults:
  os: debian
hosts:
  forge:
    address: 10.0.30.10
    mac: "a8:a1:59:00:00:01"
    os: proxmox
    cpu: {model: "Ryzen 9 9950X", cores: 16, threads: 32, ghz: 5.7}
    ram_gb: 128
    gpus:
      - {model: "RTX 4070 Ti Super", vendor: nvidia, vram_gb: 16, tdp_w: 285}
    power: {idle_w: 95, peak_w: 850}
    wake: {method: wol, boot_s: 90}
    quorum_votes: 1
  penny:
    cpu: {model: "Pentium II", ghz: 0.3}
    ram_gb: 0.0625
    python: false

---
# Stricter GPU threshold, a custom role, and the edge role switched off
plugin: homelab.cluster.tiers
hardware: ../hardware.yml
thresholds:
  modern_vram_gb: 12
role_rules:
  media:
    gpu: {vendor: intel}
  edge: null

---
# Your own tiers (first match wins; the last must match everything)
plugin: homelab.cluster.tiers
hardware: ../hardware.yml
tier_rules:
  - tier: big
    when: {any: [{vram_max_gb: {ge: 20}}, {ram_gb: {ge: 128}}]}
  - tier: small
    when: {}

---
# Constructed features and the inventory cache of the raw hardware file
plugin: homelab.cluster.tiers
hardware: ../hardware.yml
compose:
  ansible_user: "'admin' if homelab_python else 'root'"
keyed_groups:
  - key: homelab_hardware.form_factor
    prefix: form
groups:
  big_iron: homelab_vram_gb >= 24
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/homelab-tiers
"""

import os

from ansible import constants as C
from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin
from ansible.plugins.inventory import Cacheable
from ansible.plugins.inventory import Constructable
from ansible.plugins.loader import cache_loader
from ansible.release import __version__ as ansible_version

from ansible_collections.homelab.cluster.plugins.module_utils._classify import FIXED_GROUPS
from ansible_collections.homelab.cluster.plugins.module_utils._classify import classify
from ansible_collections.homelab.cluster.plugins.module_utils._classify import host_groups
from ansible_collections.homelab.cluster.plugins.module_utils._classify import host_vars
from ansible_collections.homelab.cluster.plugins.module_utils._classify import warnings_for
from ansible_collections.homelab.cluster.plugins.module_utils._hardware import normalize_hardware
from ansible_collections.homelab.cluster.plugins.module_utils._rules import build_role_rules
from ansible_collections.homelab.cluster.plugins.module_utils._rules import build_tier_rules
from ansible_collections.homelab.cluster.plugins.module_utils._schema import HardwareError
from ansible_collections.homelab.cluster.plugins.module_utils._schema import Problem
from ansible_collections.homelab.cluster.plugins.module_utils._schema import suggest
from ansible_collections.homelab.cluster.plugins.plugin_utils._pve_source import proxmox_source
from ansible_collections.homelab.cluster.plugins.plugin_utils._tiers import cached_source_is_current
from ansible_collections.homelab.cluster.plugins.plugin_utils._tiers import format_problems
from ansible_collections.homelab.cluster.plugins.plugin_utils._tiers import read_fact_cache
from ansible_collections.homelab.cluster.plugins.plugin_utils._tiers import read_hardware_file

_MEMORY_CACHES = ('memory', 'ansible.builtin.memory')


MAX_WARNINGS = 10

# Values reach plays and `ansible-inventory --list` so that a plain string is a plain string (AWX and scripts
# import that JSON) and a string holding template markers is never templated. ansible-core 2.19 serializes
# every string it does not trust as {"__ansible_unsafe": ...} and never templates it; older cores template
# plain strings. So: on 2.19+ plain strings are marked trusted (templating them is a no-op: they hold no
# markers) and marked strings stay untrusted; before 2.19 marked strings are wrapped unsafe, the rest plain.
_MARKERS = ('{{', '{%', '{#')

if tuple(int(part) for part in ansible_version.split('.')[:2]) < (2, 19):
    from ansible.utils.unsafe_proxy import wrap_var

    def _mark_string(value):
        return wrap_var(value) if any(m in value for m in _MARKERS) else value
else:
    from ansible.template import trust_as_template

    def _mark_string(value):
        return value if any(m in value for m in _MARKERS) else trust_as_template(value)


def _marked(value):
    """The host vars with every string marked as above (containers copied, other scalars as they are)."""
    if isinstance(value, str):
        return _mark_string(value)
    if isinstance(value, dict):
        return {key: _marked(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_marked(item) for item in value]
    return value


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    """options -> sources -> validate -> classify -> groups/hostvars."""

    NAME = 'homelab.cluster.tiers'
    # ansible-core 2.19 trust model: only these options are ever templated.
    TEMPLATABLE_OPTIONS = ('hardware',)

    def verify_file(self, path):
        return super(InventoryModule, self).verify_file(path) and path.endswith(('.tiers.yml', '.tiers.yaml'))

    def _templated_option(self, name):
        value = self.get_option(name)
        if name in self.TEMPLATABLE_OPTIONS and isinstance(value, str) and '{{' in value:
            value = self.templar.template(value)
        return value

    def parse(self, inventory, loader, path, cache=True):
        super(InventoryModule, self).parse(inventory, loader, path, cache=cache)
        self._read_config_data(path)
        self._refuse_unknown_options(path)

        tier_rules, problems = build_tier_rules(self.get_option('tier_rules'), self.get_option('thresholds'))
        role_rules, role_problems = build_role_rules(self.get_option('role_rules'), self.get_option('thresholds'))
        problems += role_problems
        if problems:
            raise AnsibleParserError(format_problems(problems, path, what='the plugin config'))

        source, error_file = self._source(path, cache)
        data = source['data']
        live = proxmox_source(self, path, cache)  # the live Proxmox VE source, None unless proxmox_url is set
        if live is not None:
            data = live.merge(data)
        facts = self._facts(data)
        tiers = [rule['tier'] for rule in tier_rules]
        roles = sorted({name for name, _cond in role_rules})
        try:
            records = normalize_hardware(data, facts, known_tiers=tiers, known_roles=roles)
        except HardwareError as exc:
            raise AnsibleParserError(format_problems(exc.problems, error_file)) from None
        if not records:
            raise AnsibleParserError('homelab.cluster.tiers: %s defines no hosts; nothing was added to the inventory '
                                     '(give each machine under hosts:, only its name is required)' % error_file)
        self._populate(records, tier_rules, role_rules, tiers, roles)
        if live is not None:
            live.add_facts(self.inventory, _marked)
            live.add_groups(self.inventory)

    def _refuse_unknown_options(self, path):
        """A misspelt option in the config file is an error, not an option silently left at its default."""
        raw = self.loader.load_from_file(path, cache='none') or {}
        known = set(self.get_options())
        unknown = sorted(str(key) for key in raw if key not in known) if isinstance(raw, dict) else []
        if unknown:
            problems = [Problem((key,), 'unknown option%s' % suggest(key, sorted(known))) for key in unknown]
            raise AnsibleParserError(format_problems(problems, path, what='the plugin config'))

    def _source(self, path, cache):
        """Raw hardware data, from the inventory cache when it is on and current. Returns (source, file)."""
        hardware = self._templated_option('hardware')
        inline = self.get_option('hosts') is not None or self.get_option('defaults') is not None
        if hardware and inline:
            raise AnsibleParserError('homelab.cluster.tiers: %s: set either hardware (a file) or hosts/defaults '
                                     '(inline), not both' % path)
        if not hardware:
            data = {'defaults': self.get_option('defaults'), 'hosts': self.get_option('hosts')}
            return {'data': data}, path
        hardware = os.path.join(os.path.dirname(path), os.path.expanduser(str(hardware)))
        use_cache = self.get_option('cache')
        key = self.get_cache_key(path)
        if use_cache and cache:
            try:
                cached = self._cache[key]
            except KeyError:
                cached = None
            if cached_source_is_current(cached, hardware):
                return cached, hardware
        source = read_hardware_file(hardware)
        if use_cache:
            self._cache[key] = source
        return source, hardware

    def _facts(self, data):
        if not self.get_option('fact_cache') or C.CACHE_PLUGIN in _MEMORY_CACHES:
            return {}
        hosts = data.get('hosts') if isinstance(data, dict) else None
        if not isinstance(hosts, dict):
            return {}
        try:
            plugin = cache_loader.get(C.CACHE_PLUGIN)
        except Exception as exc:
            self.display.warning('homelab.cluster.tiers: fact cache %s unavailable, using declared hardware only: %s'
                                 % (C.CACHE_PLUGIN, exc))
            return {}
        if plugin is None:
            return {}
        facts, failures = read_fact_cache(plugin, [str(name) for name in hosts if isinstance(name, str)])
        for failure in failures:
            self.display.warning('homelab.cluster.tiers: cached facts unusable, using declared hardware only: %s'
                                 % failure)
        return facts

    def _warn(self, warnings):
        """Print each warning; past MAX_WARNINGS, one line counts the rest so a big lab is not drowned."""
        for warning in warnings[:MAX_WARNINGS]:
            self.display.warning('homelab.cluster.tiers: %s' % warning)
        if len(warnings) > MAX_WARNINGS:
            self.display.warning('homelab.cluster.tiers: %d more warnings of these kinds not shown'
                                 % (len(warnings) - MAX_WARNINGS))

    def _populate(self, records, tier_rules, role_rules, tiers, roles):
        """Add every group first (sorted, tier/role groups even when empty), then hosts, vars and memberships."""
        inventory = self.inventory
        hosts = []
        groups = set(['tier_%s' % t for t in tiers] + ['role_%s' % r for r in roles] + list(FIXED_GROUPS))
        warnings = []
        for name, record in records.items():
            cls = classify(record, tier_rules, role_rules)
            warnings.extend(warnings_for(record))
            memberships = host_groups(record, cls)
            groups.update(memberships)
            hosts.append((name, host_vars(record, cls), memberships))
        self._warn(warnings)
        for group in sorted(groups):
            inventory.add_group(group)
        strict = self.get_option('strict')
        compose = self.get_option('compose')
        composed_groups = self.get_option('groups')
        keyed = self.get_option('keyed_groups')
        for name, variables, memberships in hosts:
            # one marking for everything below: the host vars and the compose/groups/keyed_groups templates
            variables = _marked(variables)
            inventory.add_host(name)
            for key, value in variables.items():
                inventory.set_variable(name, key, value)
            for group in memberships:
                inventory.add_child(group, name)
            if compose:
                self._set_composite_vars(compose, variables, name, strict=strict)
                # composed values follow the same rule as ours (a plain result prints as a plain string)
                host_vars_now = inventory.get_host(name).vars
                for key in compose:
                    if key in host_vars_now:
                        inventory.set_variable(name, key, _marked(host_vars_now[key]))
            if composed_groups:
                self._add_host_to_composed_groups(composed_groups, variables, name, strict=strict)
            if keyed:
                self._add_host_to_keyed_groups(keyed, variables, name, strict=strict)
