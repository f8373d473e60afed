"""module_utils/_harvest/_window.py: the off-peak window, normalised, and its OnCalendar."""

import pytest

from ansible_collections.homelab.cluster.plugins.module_utils._harvest._window import WindowError
from ansible_collections.homelab.cluster.plugins.module_utils._harvest._window import parse_window


@pytest.mark.parametrize('value, start, end, duration, days, calendar, text', [
    ('01:00-06:00', 3600, 21600, 18000, list(range(7)), '*-*-* 01:00:00', '01:00-06:00 every day'),
    ('22:30-05:00', 81000, 18000, 23400, list(range(7)), '*-*-* 22:30:00', '22:30-05:00 every day'),
    ('1:05-1:05', 3900, 3900, 86400, list(range(7)), '*-*-* 01:05:00', '01:05-01:05 every day'),
    ('00:00:10-00:00:50', 10, 50, 40, list(range(7)), '*-*-* 00:00:10', '00:00:10-00:00:50 every day'),
    ({'start': '23:00', 'end': '02:00', 'days': ['sat', 'Sunday']}, 82800, 7200, 10800, [5, 6],
     'Sat,Sun *-*-* 23:00:00', '23:00-02:00 starting Sat,Sun'),
])
def test_windows(value, start, end, duration, days, calendar, text):
    window = parse_window(value)
    assert window == {'always': False, 'start_s': start, 'end_s': end, 'duration_s': duration, 'days': days,
                      'on_calendar': calendar, 'text': text}


@pytest.mark.parametrize('value', [None, 'always', 'ALWAYS', '', 'any'])
def test_always(value):
    window = parse_window(value)
    assert window['always'] is True
    assert window['on_calendar'] is None
    assert window['text'] == 'always'


@pytest.mark.parametrize('value, message', [
    ('01:00', "pi5.harvester_window: expected 'HH:MM-HH:MM'"),
    ('25:00-06:00', "pi5.harvester_window.start: expected a time of day 'HH:MM' or 'HH:MM:SS', got '25:00'"),
    ('01:00-06:60', "pi5.harvester_window.end: expected a time of day"),
    (3600, "pi5.harvester_window: expected 'HH:MM-HH:MM', a mapping with start, end, days, or always, got 3600"),
    ({'start': '01:00'}, 'pi5.harvester_window.end: required'),
    ({'start': '01:00', 'end': '02:00', 'hours': 1}, 'pi5.harvester_window.hours: unknown key'),
    ({'start': '01:00', 'end': '02:00', 'days': 'mon'}, 'pi5.harvester_window.days: expected a non-empty list'),
    ({'start': '01:00', 'end': '02:00', 'days': ['someday']}, "pi5.harvester_window.days: expected one of mon, "
                                                              "tue, wed, thu, fri, sat, sun, got 'someday'"),
    ({'start': True, 'end': '02:00'}, 'pi5.harvester_window.start: expected a time of day'),
])
def test_errors_name_the_host_and_field(value, message):
    with pytest.raises(WindowError) as err:
        parse_window(value, 'pi5.harvester_window')
    assert message in str(err.value)
