# Copyright: (c) 2026, homelab.cluster contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The static pages of the homelab (the power report, the house status page), rendered without I/O: one page
shell with its stylesheet, escaping, number formats, badges and tables. No scripts, nothing fetched: a page opens
offline and from a file.

PRIVATE to the homelab.cluster collection; its API may change without notice.
"""

from __future__ import annotations

import html

CSS = ('body{font-family:sans-serif;max-width:%dpx;margin:1em auto;color:#222}'
       'table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left;vertical-align:top}'
       '.num{text-align:right}.cols{display:flex;gap:2em;flex-wrap:wrap}.decision{border-top:1px solid #ddd}'
       '.why{font-weight:bold}.bad{color:#c0392b}.muted{color:#777}'
       '.b{display:inline-block;padding:0 .5em;border-radius:.8em;font-size:.9em;font-weight:600}'
       '.ok{background:#e3f1e6;color:#1e6b32}.warn{background:#fff3cd;color:#7a5600}'
       '.crit{background:#fde2e1;color:#9b1c1c}.sleep{background:#e0ecfb;color:#1c4f8f}.off{background:#eee;color:#666}')


def esc(value):
    """HTML-escaped text of any value (None is empty)."""
    return html.escape('' if value is None else '%s' % (value,), quote=True)


def fmt(number):
    """A number without trailing zeros (1 decimal); '-' for nothing."""
    return '-' if number is None else ('%.1f' % float(number)).rstrip('0').rstrip('.')


def badge(text, kind):
    """A coloured label: kind ok, warn, crit, sleep or off."""
    return '<span class="b %s">%s</span>' % (esc(kind), esc(text))


def table(headers, rows, numeric=()):
    """A table of already-escaped cells; ``numeric``: indexes of right-aligned columns."""
    head = ''.join('<th>%s</th>' % esc(h) for h in headers)
    body = ''.join('<tr>%s</tr>' % ''.join('<td%s>%s</td>' % (' class="num"' if i in numeric else '', cell)
                                           for i, cell in enumerate(row)) for row in rows)
    return '<table><tr>%s</tr>%s</table>' % (head, body)


def page(title, body, width=820, refresh=None):
    """The whole document; ``refresh``: seconds after which a browser reloads it (a page rewritten by a timer)."""
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>%s</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">%s'
            '<style>%s</style></head><body><h1>%s</h1>\n%s\n</body></html>\n'
            % (esc(title), '<meta http-equiv="refresh" content="%d">' % refresh if refresh else '',
               CSS % width, esc(title), body))
