# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the house collector reads, turned into metrics (pure: text and parsed JSON in, Metrics out).

Installed by homelab.cluster.monitoring in /usr/local/lib/homelab-monitoring; unit tests in
tests/unit/roles/monitoring/test_sources.py. The metric names are documented in roles/monitoring/README.md.
"""

import json
import re

# --------------------------------------------------------------------------------------------- power state


def asleep(host, reachable, history, seen_up_at, slurm_powered_down, shed):
    """Whether a host that does not answer is asleep by design, and who put it to sleep (None: not asleep).

    Only a wakeable host can be asleep. Evidence, newest wins against the last time this collector saw it up:
    the wake relay's history (``last_sleep`` at or after ``last_up``: sleep_idle and the power guard confirm every
    poweroff through the relay with ``wake state=down``, which records it; a probe that merely saw the host down
    moves ``last_down`` only, so a crash is never taken for a sleep), Slurm power saving (POWERED_DOWN or
    POWERING_DOWN now) and the power guard's shed actions (a ``power_off`` not yet restored). A host that answers
    is awake whatever the records say; a host that went away on its own has no such record and is down.
    """
    if not host.get('wakeable') or reachable:
        return None
    if slurm_powered_down:
        return 'slurm'
    history = history or {}
    last_down, last_up = history.get('last_sleep'), history.get('last_up')
    if isinstance(last_down, (int, float)) and (not isinstance(last_up, (int, float)) or last_down >= last_up) \
            and (seen_up_at is None or last_down >= seen_up_at):
        return 'relay'
    if shed and (seen_up_at is None or shed >= seen_up_at):
        return 'power_guard'
    return None


def guard_shed(state):
    """{host: when} of the power guard's ``power_off`` actions not yet restored (guard.json's shed_log)."""
    out = {}
    for entry in (state or {}).get('shed_log') or []:
        if isinstance(entry, dict) and entry.get('action') == 'power_off' and entry.get('host'):
            when = entry.get('epoch') or entry.get('at') or (state or {}).get('epoch') or 0
            out[entry['host']] = float(when) if isinstance(when, (int, float)) else 0.0
    return out


def last_decision(lines):
    """The newest decision of the guard's log (one JSON object a line; step records are skipped)."""
    found = None
    for line in lines:
        line = line.strip()
        if not line.startswith('{'):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and 'plan' in entry and 'readings' in entry:
            found = entry
    return found


def guard_metrics(metrics, decision, when):
    """The readings and the plan of the guard's newest decision; ``when``: its epoch seconds."""
    readings, plan = decision.get('readings') or {}, decision.get('plan') or {}
    metrics.add('homelab_power_house_watts', readings.get('house_w'), 'The house draw the power guard last read, W.',
                source=readings.get('house_source'))
    metrics.add('homelab_power_limit_watts', decision.get('limit_w'), 'The house limit (homelab_power_limit_w), W.')
    metrics.add('homelab_power_target_watts', plan.get('target_w'), 'What the guard aims under (limit - margin), W.')
    metrics.add('homelab_power_solar_watts', readings.get('solar_w'), 'Solar production at the last decision, W.')
    for host, reading in sorted((readings.get('hosts') or {}).items()):
        metrics.add('homelab_power_host_watts', (reading or {}).get('watts'), 'A host\'s draw at the last decision, W.',
                    host=host, source=(reading or {}).get('source'))
    if plan.get('state'):
        metrics.add('homelab_power_guard_state', 1, 'The guard\'s state at its last decision (label state).',
                    state=plan['state'])
    metrics.add('homelab_power_guard_last_decision_timestamp_seconds', when, 'When the guard last decided.')
    metrics.add('homelab_power_unavailable_sources', len(readings.get('unavailable') or []),
                'Power sources the guard could not read at its last decision.')


# ------------------------------------------------------------------------------------------------- NUT

_VAR = re.compile(r'^VAR \S+ (\S+) "(.*)"$')


def parse_nut_vars(text):
    """{variable: value} from upsd's answer to ``LIST VAR <ups>``."""
    out = {}
    for line in text.splitlines():
        match = _VAR.match(line.strip())
        if match:
            out[match.group(1)] = match.group(2).replace('\\"', '"').replace('\\\\', '\\')
    return out


def _float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def ups_metrics(metrics, ups, variables):
    """One UPS (``name@host``): None when NUT did not answer."""
    metrics.add('homelab_ups_up', 0 if variables is None else 1, 'Whether upsd answered for the UPS.', ups=ups)
    if variables is None:
        return
    flags = (variables.get('ups.status') or '').split()
    for flag in flags:
        metrics.add('homelab_ups_status', 1, 'The UPS status flags (OL, OB, LB, CHRG, ...).', ups=ups, flag=flag)
    metrics.add('homelab_ups_on_battery', int('OB' in flags), 'The UPS runs on battery (OB).', ups=ups)
    metrics.add('homelab_ups_low_battery', int('LB' in flags), 'The UPS says its battery is low (LB).', ups=ups)
    for name, key, doc in (('homelab_ups_battery_charge_percent', 'battery.charge', 'Battery charge, %.'),
                           ('homelab_ups_battery_runtime_seconds', 'battery.runtime', 'Runtime left on battery, s.'),
                           ('homelab_ups_load_percent', 'ups.load', 'Load, % of the UPS rating.'),
                           ('homelab_ups_realpower_watts', 'ups.realpower', 'Real power out, W.'),
                           ('homelab_ups_input_voltage_volts', 'input.voltage', 'Input voltage, V.')):
        metrics.add(name, _float(variables.get(key)), doc, ups=ups)


# ----------------------------------------------------------------------------------------------- Slurm

_IDX = re.compile(r'IDX:([^)]*)\)')


def parse_scontrol_nodes(text):
    """Nodes from ``scontrol show node -o`` (one line per node, Key=Value; Reason may hold spaces)."""
    nodes = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith('NodeName='):
            continue
        fields, key = {}, None
        for token in line.split(' '):
            name, sep, value = token.partition('=')
            if sep and re.match(r'^[A-Za-z][A-Za-z0-9_]*$', name):
                key = name
                fields[key] = value
            elif key:
                fields[key] += ' ' + token
        nodes.append(fields)
    return nodes


def _indexes(text):
    out = []
    for part in text.split(','):
        part = part.strip()
        if re.match(r'^\d+-\d+$', part):
            low, high = part.split('-')
            out.extend(str(i) for i in range(int(low), int(high) + 1))
        elif part.isdigit():
            out.append(part)
    return out


def gpu_indexes(gres_used):
    """The allocated GPU indexes of GresUsed (``gpu:rtx:1(IDX:0),gpu:amd:2(IDX:1-2)``)."""
    out = []
    for item in re.split(r',(?=gpu)', gres_used or ''):
        if item.startswith('gpu') and 'IDX:' in item:
            match = _IDX.search(item)
            if match:
                out.extend(_indexes(match.group(1)))
    return sorted(set(out), key=int)


def slurm_node_metrics(metrics, node):
    name = node.get('NodeName')
    states = [s for s in (node.get('State') or 'UNKNOWN').upper().split('+') if s]
    base, flags = states[0].rstrip('*~#%!@^-'), set(states[1:])
    reason = re.sub(r'\s*\[[^\]]*\]$', '', node.get('Reason') or '').strip()
    powered = bool(flags & {'POWERED_DOWN', 'POWERING_DOWN', 'POWER_DOWN'})
    down = (base in ('DOWN', 'FAIL', 'FAILING') or 'NOT_RESPONDING' in flags) and not powered \
        and 'POWERING_UP' not in flags
    metrics.add('homelab_slurm_node_info', 1, 'A Slurm node and its full state as scontrol reports it.', host=name,
                state='+'.join(states).lower(), reason=reason)
    metrics.add('homelab_slurm_node_down', int(down), 'The node is DOWN, FAIL or not responding (power saving '
                'excluded).', host=name, reason=reason if down else '')
    metrics.add('homelab_slurm_node_drained', int(bool(flags & {'DRAIN', 'DRAINING', 'DRAINED'}) or base == 'DRAINED'),
                'The node is drained or draining.', host=name, reason=reason)
    metrics.add('homelab_slurm_node_powered_down', int(powered), 'Slurm power saving has the node off.', host=name)
    gpus = gpu_indexes(node.get('GresUsed'))
    for index in gpus:
        metrics.add('homelab_slurm_gpu_allocated', 1, 'A GPU (index) a job holds.', host=name, gpu=index)
    metrics.add('homelab_slurm_node_gpus_allocated', len(gpus), 'GPUs jobs hold on the node.', host=name)
    return name, powered


def slurm_queue_metrics(metrics, text):
    """Job counts by state from ``squeue -h -o %T``."""
    counts = {}
    for line in text.split():
        counts[line.strip().lower()] = counts.get(line.strip().lower(), 0) + 1
    for state in sorted(set(counts) | {'pending', 'running', 'suspended'}):
        metrics.add('homelab_slurm_jobs', counts.get(state, 0), 'Slurm jobs by state.', state=state)


# ----------------------------------------------------------------------------------- inference, harvest


def inference_metrics(metrics, state):
    """The inference tier's stored health (inference_health.yml's state file on the logic node)."""
    states, since = (state or {}).get('states') or {}, (state or {}).get('since') or {}
    for key, value in sorted(states.items()):
        kind = key.split('/', 1)[0] if '/' in key else key
        metrics.add('homelab_inference_state', 1, 'The inference tier\'s health by endpoint, tier and prognosis.',
                    key=key, kind=kind, state=value)
        metrics.add('homelab_inference_state_since_timestamp_seconds', since.get(key), 'Since when it holds.', key=key)


def harvest_metrics(metrics, status):
    """The quarantine officer's view (status.json of the harvester role)."""
    for edge in status.get('edges') or []:
        host = edge.get('host')
        metrics.add('homelab_harvest_edge_state', 1, 'Each edge harvester\'s state as the officer sees it.', host=host,
                    state=edge.get('state') or 'unknown', item=edge.get('item'))
        metrics.add('homelab_harvest_edge_report_age_seconds', edge.get('age_s'), 'Seconds since its last report.',
                    host=host)
        metrics.add('homelab_harvest_edge_bytes', edge.get('bytes'), 'Bytes of the current item so far.', host=host)
        metrics.add('homelab_harvest_edge_total_bytes', edge.get('total'), 'Size of the current item.', host=host)
    totals = status.get('totals') or {}
    metrics.add('homelab_harvest_rejected_total', totals.get('rejected'), 'Files the officer rejected.', 'counter')
    metrics.add('homelab_harvest_quarantine_files', totals.get('in_quarantine'), 'Files waiting in quarantine.')
    metrics.add('homelab_harvest_archived_files', totals.get('archived_files'), 'Files in the archive.')
    metrics.add('homelab_harvest_archived_bytes', totals.get('archived_bytes'), 'Bytes in the archive.')
    metrics.add('homelab_harvest_status_timestamp_seconds', status.get('generated_at'), 'When the view was built.')
