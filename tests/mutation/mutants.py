"""The deliberate bugs `make mutate` plants in the pure logic, one at a time; the unit tests must catch each.

Each mutant: an id, the file under plugins/module_utils, the exact text it replaces (found exactly once, so a
refactor that moves it makes the run fail loudly instead of testing nothing), the replacement, what the bug
means, and the unit test files that must fail with it.
"""

MU = 'tests/unit/plugins/module_utils/'
FILTER = 'tests/unit/plugins/filter/'
MODULES = 'tests/unit/plugins/modules/'

TIERS = [MU + 'test_rules.py', MU + 'test_classify.py', MU + 'test_hardware.py', 'tests/unit/plugins/plugin_utils/']
QUORUM = [MU + 'test_quorum.py', MODULES + 'test_quorum_modules.py']
POWER = [MU + 'test_power.py', FILTER + 'test_power_plan.py', FILTER + 'test_ups_shutdown_plan.py']
VRAM = [MU + 'test_vram.py', FILTER + 'test_gpu_filters.py']
PLACE = [MU + 'test_placement.py', FILTER + 'test_place.py']
WOL = [MU + 'test_wol.py', MODULES + 'test_wake.py']

MUTANTS = [
    # ------------------------------------------------------------------------------------ tier thresholds
    ('tier-ultralow-ram-inclusive', '_rules.py',
     "{'ram_gb': {'lt': t['ultralow_ram_gb']}}", "{'ram_gb': {'le': t['ultralow_ram_gb']}}",
     'a host with exactly 1 GB RAM counts as ultralow', TIERS),
    ('tier-modern-vram-exclusive', '_rules.py',
     "{'gpu': {'vram_gb': {'ge': t['modern_vram_gb']}", "{'gpu': {'vram_gb': {'gt': t['modern_vram_gb']}",
     'an 8 GB GPU no longer makes a host modern', TIERS),
    ('tier-modern-threads-exclusive', '_rules.py',
     "{'cpu.threads': {'ge': t['modern_threads']}}", "{'cpu.threads': {'gt': t['modern_threads']}}",
     '16 threads and 32 GB no longer make a host modern', TIERS),
    ('tier-modern-shared-gpu', '_rules.py',
     "{'gpu': {'vram_gb': {'ge': t['modern_vram_gb']}, 'shared': False}}",
     "{'gpu': {'vram_gb': {'ge': t['modern_vram_gb']}, 'shared': True}}",
     'a shared (integrated) GPU counts towards modern instead of a dedicated one', TIERS),
    ('tier-compare-lt', '_rules.py',
     "'lt': actual < expected,", "'lt': actual <= expected,",
     'the rule operator lt compares inclusively', TIERS),
    # ------------------------------------------------------------------------------------ quorum verdict
    ('quorum-lost-is-degraded', '_quorum.py',
     "    if not quorum['quorate']:\n        return 'lost'", "    if quorum['quorate'] is None:\n        return 'lost'",
     'a node without quorum is called degraded, not lost', QUORUM),
    ('quorum-silent-device', '_quorum.py',
     "if device_expected and quorum['qdevice_votes'] == 0:", "if device_expected and quorum['qdevice_votes'] < 0:",
     'a configured quorum device that casts no vote goes unnoticed', QUORUM),
    ('quorum-missing-votes', '_quorum.py',
     'if expected and total < expected and not missing:', 'if expected and total < expected - 1 and not missing:',
     'one missing vote without a named node is not reported', QUORUM),
    ('quorum-expected-members', '_quorum.py',
     "if node['nodeid'] not in ids and node['name'] not in names", "if node['nodeid'] not in ids and False",
     'a node missing from the membership is never named', QUORUM),
    ('quorum-hex-node-ids', '_quorum.py',
     r"_ROW = re.compile(r'^\s*(0x[0-9A-Fa-f]+|\d+)", r"_ROW = re.compile(r'^\s*(\d+)",
     "pvecm status's hex node ids (0x00000001) are not read: no members", QUORUM),
    ('quorum-device-row-votes', '_quorum.py',
     "device_row = (votes, re.search", "device_row = (1, re.search",
     "the Qdevice row's vote count is ignored (a device casting 0 counts as voting)", QUORUM),
    # ------------------------------------------------------------------------------ shedding and restore
    ('shed-restore-to-target', '_power.py',
     "if projected + entry['saves_w'] > floor:", "if projected + entry['saves_w'] > target:",
     'a restore brings back shed work up to the target instead of the floor (flaps)', POWER),
    ('shed-restore-at-floor', '_power.py',
     'elif log and house_w >= floor:', 'elif log and house_w > floor:',
     'a house exactly at the floor restores instead of holding', POWER),
    ('shed-restore-order', '_power.py',
     'for entry in reversed(log):', 'for entry in log:',
     'restores the first shed action first instead of the last', POWER),
    ('shed-standard-first', '_power.py',
     "SHED_ORDER = ('speculative', 'standard')", "SHED_ORDER = ('standard', 'speculative')",
     'standard work is shed before speculative work', POWER),
    ('shed-essential-storage', '_power.py',
     "ESSENTIAL_ROLES = ('firewall', 'logic', 'storage')", "ESSENTIAL_ROLES = ('firewall', 'logic')",
     'the NAS may be shed', POWER),
    ('shed-more-above-target', '_power.py',
     'if house_w > limit_w or (log and house_w > target):', 'if house_w > limit_w:',
     'with something shed, a house between the target and the limit holds instead of shedding more', POWER),
    ('shed-stops-at-target', '_power.py',
     "                if projected <= target:\n                    break\n                if (action",
     "                if projected < target - 50:\n                    break\n                if (action",
     'sheds past the target (more disruption than needed)', POWER),
    ('ups-threshold-inclusive', '_power.py',
     'charge is not None and charge < threshold_pct)', 'charge is not None and charge <= threshold_pct)',
     'the UPS shutdown starts at exactly the threshold', POWER),
    # ------------------------------------------------------------------------------------------ VRAM fit
    ('vram-fit-exclusive', '_vram.py',
     "fits = [c for c in cards if _free(c) >= need['total_gb']]",
     "fits = [c for c in cards if _free(c) > need['total_gb']]",
     'a model that fills a card exactly does not fit', VRAM),
    ('vram-utilization-ignored', '_vram.py',
     "budget_gb=card['vram_gb'] * max_utilization", "budget_gb=card['vram_gb']",
     'the plan may use the whole card, not max_utilization of it', VRAM),
    ('vram-split-mixes-vendors', '_vram.py',
     "if (c['vendor'] or '') == vendor)", 'if True)',
     'one model split across CUDA and ROCm cards', VRAM),
    ('vram-partial-all-layers', '_vram.py',
     "layers = min(layers, need['layers'] - 1)", "layers = min(layers, need['layers'])",
     'a partial offload claims every layer on the GPU', VRAM),
    ('place-vram-on-the-largest-card', '_placement.py',
     "return (sum(sizes) if workload['multi_gpu'] else max(sizes)), gpus", 'return sum(sizes), gpus',
     'a workload that needs one card is placed on several small ones', PLACE),
    ('place-vram-inclusive', '_placement.py',
     "if vram < workload['vram_gb']:", "if vram <= workload['vram_gb']:",
     'a GPU with exactly the VRAM needed is rejected', PLACE),
    ('place-gaming-default', '_placement.py',
     "candidate.get('gaming', True)", "candidate.get('gaming', False)",
     'a volatile host with no gaming flag is used', PLACE),
    # ----------------------------------------------------------------------------------- wake destination
    ('wake-limited-broadcast', '_wol.py',
     "            return (str(iface.network.broadcast_address), str(iface.ip),\n"
     "                    'directed broadcast of %s (%s), the network of %s'",
     "            return ('.'.join(['255'] * 4), str(iface.ip),\n"
     "                    'directed broadcast of %s (%s), the network of %s'",
     "the magic packet goes to the limited broadcast (out of the default route's interface)", WOL),
    ('wake-first-interface', '_wol.py',
     'if address in iface.network:', 'if True:',
     "the packet leaves by the first interface, not the target's network", WOL),
    ('wake-loopback', '_wol.py',
     '        if iface.ip.is_loopback:\n            continue\n', '',
     'the loopback interface counts as a network', WOL),
    # ---------------------------------------------------------------------------------------- storm guard
    ('storm-max-wakes-off-by-one', '_wol.py',
     'if max_wakes is not None and len(recent) >= max_wakes:',
     'if max_wakes is not None and len(recent) > max_wakes:',
     'one wake more than max_wakes goes out', WOL),
    ('storm-window-forgotten', '_wol.py',
     "recent = [t for t in history['wakes'] if now - t < window_s]",
     "recent = [t for t in history['wakes'] if now - t < 0]",
     'earlier wakes never count', WOL),
    ('storm-min-off-inclusive', '_wol.py',
     'if min_off_s and went_down is not None and now - went_down < min_off_s:',
     'if min_off_s and went_down is not None and now - went_down < min_off_s - 1:',
     'a host may be powered on again a second before min_off_s', WOL),
    ('storm-earliest-down', '_wol.py',
     'went_down = max(known) if known else None', 'went_down = min(known) if known else None',
     'the older of last_down and last_up is used (the guard lets a wake out too early)', WOL),
]
