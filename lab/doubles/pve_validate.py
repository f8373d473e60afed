"""Request and response validation for the PVE API DOUBLE, driven by the committed schema extract.

Written after pve-common's ``PVE::JSONSchema`` (``validate``, ``check_type``, ``parse_property_string``) as far
as the endpoints in ``pve_api_schema.json`` need: unknown parameters are refused when ``additionalProperties``
is 0, parameters that are not ``optional`` are required, and every value is checked for its type (integers,
numbers and booleans arrive as strings in a form or a query), ``enum``, ``pattern`` (anchored, as Perl's
``^(?:...)$``), ``minimum``/``maximum``, ``maxLength`` and ``format``. A format given as a mapping is a
property string (``virtio=AA:BB:..,bridge=vmbr0,tag=30``) whose keys and values are checked the same way; a
named format with a ``typetext`` of ``[key=<..>] [,key=<..>]`` (``pve-qm-hostpci``) has its keys checked.
Errors come back as PVE returns them: ``{param: message}``, answered with HTTP 400 "Parameter verification
failed.".
"""

import re


class ApiError(Exception):
    """An answer other than 200: status, message and (for 400) the errors per parameter."""

    def __init__(self, status, message, errors=None):
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


# Indexed parameters (``net[n]``): the highest index + 1 qemu-server / pve-cluster accept.
INDEX_LIMITS = {'hostpci': 16, 'net': 32, 'ide': 4, 'sata': 6, 'scsi': 31, 'virtio': 16, 'ipconfig': 32,
                'numa': 8, 'serial': 4, 'parallel': 3, 'usb': 14, 'unused': 256, 'link': 8, 'mp': 256,
                'virtiofs': 10}
_BOOL = {'1': True, '0': False, 'true': True, 'false': False, 'yes': True, 'no': False, 'on': True, 'off': False}
_NAMED = {
    'pve-node': r'[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?',
    'pve-vmid': r'[1-9][0-9]{2,8}',
    'pve-storage-id': r'[a-z][a-z0-9\-_.]*[a-z0-9]',
    'pve-bridge-id': r'[-_.\w\d]+',
    'pve-tag-list': r'([a-z0-9_][a-z0-9_\-+.]*)([;, ]+[a-z0-9_][a-z0-9_\-+.]*)*',
    'pve-poolid': r'[A-Za-z0-9_\-]+',
    'urlencoded': r"[-%a-zA-Z0-9_.!~*'()]*",
    'pve-storage-content-list': r'[a-z]+(,[a-z]+)*',
    'pve-node-list': r'[a-zA-Z0-9\-]+([,; ][a-zA-Z0-9\-]+)*',
    'mac-addr': r'[a-fA-F0-9]{2}(:[a-fA-F0-9]{2}){5}',
}
_NAMED_MESSAGES = {'urlencoded': 'invalid urlencoded string'}


def _num(value):
    return float(value) if isinstance(value, str) else value


def check_value(schema, value, name, errors):
    """Check one value against its schema; add ``errors[name]`` like PVE does. Returns the typed value."""
    kind = schema.get('type', 'string')
    text = value if isinstance(value, str) else None
    if kind == 'boolean':
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if text is not None and text.lower() in _BOOL:
            return _BOOL[text.lower()]
        errors[name] = 'type check (\'boolean\') failed - got \'%s\'' % value
        return None
    if kind in ('integer', 'number'):
        pattern = r'[+-]?\d+' if kind == 'integer' else r'[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?'
        if isinstance(value, bool) or (text is not None and not re.fullmatch(pattern, text.strip())) or \
                (text is None and not isinstance(value, (int, float))) or \
                (kind == 'integer' and isinstance(value, float)):
            errors[name] = 'type check (\'%s\') failed - got \'%s\'' % (kind, value)
            return None
        number = int(text) if kind == 'integer' and text is not None else (float(text) if text is not None else value)
        if 'minimum' in schema and number < _num(schema['minimum']):
            errors[name] = 'value must have a minimum value of %s' % schema['minimum']
        elif 'maximum' in schema and number > _num(schema['maximum']):
            errors[name] = 'value must have a maximum value of %s' % schema['maximum']
        return number
    if kind == 'array':
        items = value if isinstance(value, list) else [value]
        return [check_value(schema.get('items') or {}, item, name, errors) for item in items]
    if kind == 'object':
        return value
    if not isinstance(value, str):
        value = str(value)
    if 'enum' in schema and value not in schema['enum']:
        errors[name] = "value '%s' does not have a value in the enumeration '%s'" % (value, ', '.join(schema['enum']))
        return None
    if 'maxLength' in schema and len(value) > int(schema['maxLength']):
        errors[name] = 'value may only be %s characters long' % schema['maxLength']
        return None
    if 'minLength' in schema and len(value) < int(schema['minLength']):
        errors[name] = 'value must be at least %s characters long' % schema['minLength']
        return None
    if 'pattern' in schema and not re.fullmatch('(?:%s)' % schema['pattern'].replace('(?^:', '(?:'), value):
        errors[name] = "value does not match the regex pattern"
        return None
    fmt = schema.get('format')
    if isinstance(fmt, dict):
        _check_property_string(fmt, value, name, errors)
    elif isinstance(fmt, str):
        if fmt in _NAMED and not re.fullmatch(_NAMED[fmt], value):
            errors[name] = _NAMED_MESSAGES.get(fmt, "value '%s' does not look like a valid %s" % (value, fmt))
        elif fmt not in _NAMED and schema.get('typetext', '').count('=<') >= 1:
            _check_typetext_keys(schema['typetext'], value, name, errors)
    return value


def parse_property_string(value, default_key=None):
    """'virtio=AA:..,bridge=vmbr0' -> {'virtio': 'AA:..', 'bridge': 'vmbr0'}; a bare first item is the default key."""
    out = {}
    for i, part in enumerate(p for p in value.split(',') if p != ''):
        if '=' in part:
            key, val = part.split('=', 1)
        elif default_key is not None and i == 0:
            key, val = default_key, part
        else:
            raise ValueError("missing key in comma-separated list property ('%s')" % part)
        if key in out:
            raise ValueError("duplicate key in comma-separated list property: %s" % key)
        out[key] = val
    return out


def _check_property_string(fmt, value, name, errors):
    default_key = next((k for k, v in fmt.items() if isinstance(v, dict) and v.get('default_key')), None)
    # qemu's net[n] has the model as key (virtio=MAC): keys listed with an empty schema are accepted as such
    try:
        parsed = parse_property_string(value, default_key)
    except ValueError as exc:
        errors[name] = 'invalid format - %s' % exc
        return
    for key, val in parsed.items():
        sub = fmt.get(key)
        if sub is None:
            errors[name] = "invalid format - property '%s' is not defined in schema" % key
            return
        if isinstance(sub, dict) and sub:
            sub_errors = {}
            check_value(sub, val, key, sub_errors)
            if sub_errors:
                errors[name] = 'invalid format - %s: %s' % (key, sub_errors[key])
                return
    for key, sub in fmt.items():
        if isinstance(sub, dict) and sub.get('type') and not sub.get('optional') and 'default' not in sub \
                and key not in parsed and not sub.get('default_key'):
            errors[name] = "invalid format - property '%s' is missing" % key
            return


def _check_typetext_keys(typetext, value, name, errors):
    keys = set(re.findall(r'([a-z][a-z0-9_-]*)=<', typetext))
    default = re.match(r'\[*\[?([a-z][a-z0-9_-]*)=\]', typetext)
    for i, part in enumerate(p for p in value.split(',') if p):
        if '=' not in part:
            if i == 0 and default:
                continue
            errors[name] = "invalid format - missing key in comma-separated list property ('%s')" % part
            return
        key = part.split('=', 1)[0]
        if key not in keys:
            errors[name] = "invalid format - property '%s' is not defined in schema" % key
            return


def _indexed(properties, name):
    match = re.fullmatch(r'([a-z_]+?)(\d+)', name)
    if not match:
        return None
    base, index = match.group(1), int(match.group(2))
    schema = properties.get('%s[n]' % base)
    if schema is None or index >= INDEX_LIMITS.get(base, 256):
        return None
    return schema


def validate_parameters(spec, params):
    """(typed params, errors) for a request's merged path/query/body parameters against a method's schema."""
    properties = spec.get('parameters', {}).get('properties', {})
    strict = not spec.get('parameters', {}).get('additionalProperties', 0)
    errors, out = {}, {}
    for name, value in params.items():
        schema = properties.get(name) or _indexed(properties, name)
        if schema is None:
            if strict:
                errors[name] = 'property is not defined in schema and the schema does not allow additional properties'
            continue
        out[name] = check_value(schema, value, name, errors)
    for name, schema in properties.items():
        if name.endswith('[n]') or schema.get('optional') or name in params:
            continue
        errors[name] = 'property is missing and it is not optional'
    return out, errors


def check_returns(schema, value, where='data'):
    """Problems of a response against the documented return schema (the double checks its own answers)."""
    kind = schema.get('type')
    problems = []
    if value is None:
        if kind not in (None, 'null') and not schema.get('optional'):
            problems.append('%s: null where %s is documented' % (where, kind))
        return problems
    if kind == 'array':
        if not isinstance(value, list):
            return ['%s: expected an array' % where]
        for i, item in enumerate(value):
            problems += check_returns(schema.get('items') or {}, item, '%s[%d]' % (where, i))
    elif kind == 'object':
        if not isinstance(value, dict):
            return ['%s: expected an object' % where]
        props = schema.get('properties') or {}
        for key, sub in props.items():
            if key not in value:
                if not sub.get('optional'):
                    problems.append('%s.%s: documented as always present, missing' % (where, key))
                continue
            problems += check_returns(sub, value[key], '%s.%s' % (where, key))
        if props and schema.get('additionalProperties') == 0:
            problems += ['%s.%s: not documented' % (where, key) for key in value if key not in props]
    elif kind == 'integer' and (isinstance(value, bool) or not isinstance(value, int)):
        problems.append('%s: expected an integer, got %r' % (where, value))
    elif kind == 'number' and (isinstance(value, bool) or not isinstance(value, (int, float))):
        problems.append('%s: expected a number, got %r' % (where, value))
    elif kind == 'string' and not isinstance(value, str):
        problems.append('%s: expected a string, got %r' % (where, value))
    elif kind == 'boolean' and value not in (0, 1, True, False):
        problems.append('%s: expected a boolean, got %r' % (where, value))
    elif kind == 'string' and 'enum' in schema and value not in schema['enum']:
        problems.append('%s: %r is not one of %s' % (where, value, ', '.join(schema['enum'])))
    return problems


def check_permission(check, privileges_on, params):
    """Evaluate a schema ``permissions.check`` for a caller whose privileges on a path are ``privileges_on(path)``."""
    op = check[0]
    if op == 'perm':
        path = re.sub(r'\{([^}]+)\}', lambda m: str(params.get(m.group(1), '')), check[1])
        wanted = check[2]
        have = privileges_on(path)
        extra = dict(zip(check[3::2], check[4::2]))
        ok = any(p in have for p in wanted) if extra.get('any') else all(p in have for p in wanted)
        return ok, '%s, %s' % (path, '|'.join(wanted))
    if op in ('and', 'or'):
        results = [check_permission(sub, privileges_on, params) for sub in check[1:]]
        ok = all(r[0] for r in results) if op == 'and' else any(r[0] for r in results)
        return ok, (' %s ' % op).join(r[1] for r in results)
    return False, 'unsupported check %s (root@pam only in the double)' % op
