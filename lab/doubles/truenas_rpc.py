"""JSON-RPC error shapes and the query filters of the TrueNAS DOUBLE (truenas/middleware
api/base/server/ws_handler/rpc.py send_truenas_error / send_truenas_validation_error; utils/filter_list.py)."""

import copy
import re
import time

EINVAL, ENOENT, EEXIST, EFAULT = 22, 2, 17, 14
ERRNAMES = {1: 'EPERM', 2: 'ENOENT', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 22: 'EINVAL', 95: 'EOPNOTSUPP',
            207: 'ENOTAUTHENTICATED'}


class RpcError(Exception):
    def __init__(self, code, message, data=None):
        super().__init__(message)
        self.code, self.message, self.data = code, message, data

    def error(self):
        error = {'code': self.code, 'message': self.message}
        if self.data is not None:
            error['data'] = self.data
        return error


def _error_data(errno_, reason, extra=None, klass='CallError'):
    return {'error': errno_, 'errname': ERRNAMES.get(errno_, 'EFAULT'), 'reason': reason,
            'trace': {'class': klass, 'formatted': 'Traceback (most recent call last):\n  (the double)\n',
                      'repr': '%s(%r)' % (klass, reason)}, 'extra': extra}


def call_error(message, errno_=EFAULT):
    reason = '[%s] %s' % (ERRNAMES.get(errno_, 'EFAULT'), message)
    return RpcError(-32001, 'Method call error', _error_data(errno_, reason))


def validation_error(errors):
    reason = ''.join('[EINVAL] %s: %s\n' % (attribute, message) for attribute, message in errors)
    return RpcError(-32602, 'Invalid params', _error_data(
        EINVAL, reason, [[attribute, message, EINVAL] for attribute, message in errors], 'ValidationErrors'))


def _get(row, path):
    for part in path.split('.'):
        if not isinstance(row, dict):
            return None
        row = row.get(part)
    return row


def _match(row, flt):
    if len(flt) == 2 and flt[0] == 'OR':
        return any(_match(row, sub) for sub in flt[1])
    field, op, value = flt
    have = _get(row, field)
    return {
        '=': lambda: have == value, '!=': lambda: have != value, 'in': lambda: have in value,
        'nin': lambda: have not in value, '^': lambda: isinstance(have, str) and have.startswith(value),
        '$': lambda: isinstance(have, str) and have.endswith(value),
        '~': lambda: isinstance(have, str) and re.search(value, have) is not None,
        '>': lambda: have > value, '<': lambda: have < value, '>=': lambda: have >= value, '<=': lambda: have <= value,
    }.get(op, lambda: False)()


def query(rows, filters, options):
    for flt in filters:
        if not isinstance(flt, (list, tuple)) or len(flt) not in (2, 3):
            raise validation_error([('filters', 'Invalid filter %r' % (flt,))])
    result = [copy.deepcopy(row) for row in rows if all(_match(row, flt) for flt in filters)]
    for key in reversed(options.get('order_by') or []):
        reverse = key.startswith('-')
        field = key.lstrip('-')
        result.sort(key=lambda row, k=field: (_get(row, k) is None, _get(row, k)), reverse=reverse)
    if options.get('select'):
        result = [{key: _get(row, key) for key in options['select'] if isinstance(key, str)} for row in result]
    if options.get('count'):
        return len(result)
    if options.get('get'):
        if not result:
            raise RpcError(-32001, 'Method call error', _error_data(ENOENT, 'MatchNotFound()', None, 'MatchNotFound'))
        return result[0]
    return result


def _now():
    return {'$date': int(time.time() * 1000)}
