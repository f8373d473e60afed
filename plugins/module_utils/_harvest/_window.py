# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The harvest window (off-peak hours), without I/O: parse, normalise, and the systemd OnCalendar of its start.

PRIVATE to the homelab.cluster collection; its API may change without notice.

A window is written as ``'01:00-06:00'`` (seconds allowed: ``'01:00:00-06:00:30'``), as a mapping
``{start: '22:30', end: '05:00', days: [mon, tue, ...]}`` or as ``always`` (no window). It is the host's local
time; a window whose end is not after its start runs past midnight, and ``days`` name the day it starts on.
The normalised form is what the worker's config holds (it only does arithmetic on it)::

    {'always': False, 'start_s': 3600, 'end_s': 21600, 'duration_s': 18000, 'days': [0, ..., 6],
     'on_calendar': '*-*-* 01:00:00', 'text': '01:00-06:00 every day'}
"""

from __future__ import annotations

import re

DAYS = ('mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun')
_SYSTEMD_DAYS = ('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')
_TIME = re.compile(r'^([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$')
DAY = 86400


class WindowError(ValueError):
    """A window that cannot be read: ``<where>: expected ..., got ...``."""


def _clock(where, value):
    match = _TIME.match(str(value).strip()) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if not match:
        raise WindowError("%s: expected a time of day 'HH:MM' or 'HH:MM:SS', got %r" % (where, value))
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def _hms(seconds):
    return '%02d:%02d:%02d' % (seconds // 3600, seconds % 3600 // 60, seconds % 60)


def _short(seconds):
    text = _hms(seconds)
    return text[:5] if text.endswith(':00') else text


def _days(where, value):
    if value is None:
        return list(range(7))
    if isinstance(value, str) or not isinstance(value, (list, tuple)) or not value:
        raise WindowError('%s.days: expected a non-empty list of %s, got %r' % (where, ', '.join(DAYS), value))
    out = set()
    for day in value:
        key = str(day).strip().lower()[:3]
        if key not in DAYS:
            raise WindowError('%s.days: expected one of %s, got %r' % (where, ', '.join(DAYS), day))
        out.add(DAYS.index(key))
    return sorted(out)


def parse_window(value, where='window'):
    """The normalised window (see the module docstring) of a string, a mapping or ``always``/None."""
    if value is None or (isinstance(value, str) and value.strip().lower() in ('always', 'any', '')):
        return {'always': True, 'start_s': 0, 'end_s': 0, 'duration_s': DAY, 'days': list(range(7)),
                'on_calendar': None, 'text': 'always'}
    if isinstance(value, str):
        parts = value.split('-')
        if len(parts) != 2:
            raise WindowError("%s: expected 'HH:MM-HH:MM' (or a mapping with start, end, days, or always), got %r"
                              % (where, value))
        spec = {'start': parts[0], 'end': parts[1]}
    elif isinstance(value, dict) or hasattr(value, 'items'):
        spec = dict(value.items())
        unknown = sorted(set(spec) - {'start', 'end', 'days'})
        if unknown:
            raise WindowError('%s.%s: unknown key; known keys: start, end, days' % (where, unknown[0]))
        for key in ('start', 'end'):
            if key not in spec:
                raise WindowError('%s.%s: required' % (where, key))
    else:
        raise WindowError("%s: expected 'HH:MM-HH:MM', a mapping with start, end, days, or always, got %r"
                          % (where, value))
    start = _clock('%s.start' % where, spec['start'])
    end = _clock('%s.end' % where, spec['end'])
    days = _days(where, spec.get('days'))
    duration = (end - start) % DAY or DAY
    if len(days) == 7:
        calendar, day_text = '*-*-* %s' % _hms(start), 'every day'
    else:
        names = [_SYSTEMD_DAYS[d] for d in days]
        calendar, day_text = '%s *-*-* %s' % (','.join(names), _hms(start)), 'starting ' + ','.join(names)
    return {'always': False, 'start_s': start, 'end_s': end, 'duration_s': duration, 'days': days,
            'on_calendar': calendar, 'text': '%s-%s %s' % (_short(start), _short(end), day_text)}
