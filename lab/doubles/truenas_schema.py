"""Parameter models of the TrueNAS DOUBLE, written from truenas/middleware's versioned API models
(src/middlewared/middlewared/api/v25_10_5, v26_0_0, v25_04_2; the vendor's pydantic models, read, not copied).

Validation behaves like the middleware's ``accept_params``: positional params are named after the fields of the
method's Args model, unknown keys are refused ("Extra inputs are not permitted": every model has
extra="forbid"), missing required keys ("Field required"), wrong types in pydantic's lax mode ("Input should be
a valid string", "... a valid integer", ...) and Literal choices ("Input should be 'A', 'B' or 'C'"). Each error
is (attribute, message) with the attribute a dotted path from the Args field, as the middleware reports it.
"""

import re

REQUIRED = object()


class Spec:
    def check(self, value, loc, errors):
        return value


def _fmt_choices(choices):
    quoted = ["'%s'" % c if isinstance(c, str) else repr(c) for c in choices]
    if len(quoted) == 1:
        return quoted[0]
    return '%s or %s' % (', '.join(quoted[:-1]), quoted[-1])


class Str(Spec):
    def __init__(self, min_length=0, max_length=None, pattern=None):
        self.min_length, self.max_length, self.pattern = min_length, max_length, pattern

    def check(self, value, loc, errors):
        if not isinstance(value, str):
            errors.append((loc, 'Input should be a valid string'))
        elif len(value) < self.min_length:
            plural = '' if self.min_length == 1 else 's'
            errors.append((loc, 'String should have at least %d character%s' % (self.min_length, plural)))
        elif self.max_length is not None and len(value) > self.max_length:
            errors.append((loc, 'String should have at most %d characters' % self.max_length))
        elif self.pattern and not re.match(self.pattern, value):
            errors.append((loc, "String should match pattern '%s'" % self.pattern))
        return value


class Int(Spec):
    def __init__(self, ge=None, le=None):
        self.ge, self.le = ge, le

    def check(self, value, loc, errors):
        if isinstance(value, bool):
            value = int(value)  # pydantic lax mode takes a bool for an int
        elif (isinstance(value, str) and re.match(r'^-?\d+$', value.strip())) or (
                isinstance(value, float) and value.is_integer()):
            value = int(value)
        if not isinstance(value, int):
            errors.append((loc, 'Input should be a valid integer'))
            return value
        if self.ge is not None and value < self.ge:
            errors.append((loc, 'Input should be greater than or equal to %d' % self.ge))
        if self.le is not None and value > self.le:
            errors.append((loc, 'Input should be less than or equal to %d' % self.le))
        return value


class Bool(Spec):
    TRUE = ('true', 'yes', 'on', '1', 't', 'y')
    FALSE = ('false', 'no', 'off', '0', 'f', 'n')

    def check(self, value, loc, errors):
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.lower() in self.TRUE + self.FALSE:
            return value.lower() in self.TRUE
        errors.append((loc, 'Input should be a valid boolean'))
        return value


class Enum(Spec):
    def __init__(self, *choices, **kwargs):
        self.choices = choices
        self.fold_case = kwargs.get('fold_case', False)  # 25.04's legacy schemas took 'lz4' for 'LZ4'

    def check(self, value, loc, errors):
        if value in self.choices:
            return value
        if self.fold_case and isinstance(value, str) and value.upper() in self.choices:
            return value.upper()
        errors.append((loc, 'Input should be %s' % _fmt_choices(self.choices)))
        return value


class Any_(Spec):
    pass


class Null(Spec):
    def __init__(self, inner):
        self.inner = inner

    def check(self, value, loc, errors):
        return None if value is None else self.inner.check(value, loc, errors)


class Either(Spec):
    """A union: the first member that takes the value wins; else every member's complaint, joined by 'or'."""

    def __init__(self, *members):
        self.members = members

    def check(self, value, loc, errors):
        messages = []
        for member in self.members:
            local = []
            result = member.check(value, loc, local)
            if not local:
                return result
            messages.extend(message for _loc, message in local)
        errors.append((loc, ' or '.join(messages)))
        return value


class List(Spec):
    def __init__(self, item=None, min_length=0, unique=False):
        self.item, self.min_length, self.unique = item or Any_(), min_length, unique

    def check(self, value, loc, errors):
        if not isinstance(value, list):
            errors.append((loc, 'Input should be a valid list'))
            return value
        if len(value) < self.min_length:
            errors.append((loc, 'List should have at least %d item after validation, not %d'
                           % (self.min_length, len(value))))
        result = [self.item.check(item, '%s.%d' % (loc, index), errors) for index, item in enumerate(value)]
        if self.unique and len(set(map(repr, result))) != len(result):
            errors.append((loc, 'List must be unique'))
        return result


class Dict(Spec):
    """A free-form mapping (``dict`` in a model)."""

    def __init__(self, values=None):
        self.values = values

    def check(self, value, loc, errors):
        if not isinstance(value, dict):
            errors.append((loc, 'Input should be a valid dictionary'))
            return value
        if self.values is None:
            return dict(value)
        return {k: self.values.check(v, '%s.%s' % (loc, k), errors) for k, v in value.items()}


class Model(Spec):
    """A BaseModel with extra='forbid'. fields: {name: (spec, default)}; default REQUIRED for required ones,
    None-able defaults are plain values; ``partial`` makes every field optional (ForUpdateMetaclass)."""

    def __init__(self, name, fields, partial=False, validator=None):
        self.name, self.fields, self.partial, self.validator = name, fields, partial, validator

    def updated(self, name=None, add=None, drop=(), partial=None):
        fields = {k: v for k, v in self.fields.items() if k not in drop}
        fields.update(add or {})
        return Model(name or self.name, fields, self.partial if partial is None else partial, self.validator)

    def check(self, value, loc, errors):
        if not isinstance(value, dict):
            errors.append((loc, 'Input should be a valid dictionary or instance of %s' % self.name))
            return value
        result = {}
        for key, _item in value.items():
            if key not in self.fields:
                errors.append(('%s.%s' % (loc, key) if loc else key, 'Extra inputs are not permitted'))
        before = len(errors)
        for key, (spec, default) in self.fields.items():
            where = '%s.%s' % (loc, key) if loc else key
            if key in value:
                result[key] = spec.check(value[key], where, errors)
            elif self.partial:
                continue
            elif default is REQUIRED:
                errors.append((where, 'Field required'))
            elif callable(default):
                result[key] = default()
            else:
                result[key] = default
        if self.validator and len(errors) == before:
            message = self.validator(result, value)
            if message:
                errors.append((loc, 'Value error, %s' % message))
        return result


class Tagged(Spec):
    """A discriminated union (pydantic Discriminator): the tag field picks the model."""

    def __init__(self, tag, models):
        self.tag, self.models = tag, models

    def check(self, value, loc, errors):
        if not isinstance(value, dict):
            errors.append((loc, 'Input should be a valid dictionary'))
            return value
        if self.tag not in value:
            errors.append(('%s.%s' % (loc, self.tag), 'Field required'))
            return value
        model = self.models.get(value[self.tag])
        if model is None:
            errors.append((loc, "Input tag '%s' found using '%s' does not match any of the expected tags: %s"
                           % (value[self.tag], self.tag, ', '.join("'%s'" % t for t in self.models))))
            return value
        return model.check(value, loc, errors)


def args(*fields):
    """The Args model of a method: [(name, spec, default)] in positional order."""
    return list(fields)


def accept(arg_fields, params):
    """params (a JSON list) -> (validated list, [(attribute, message)])."""
    errors = []
    if len(params) > len(arg_fields):
        return params, [('', 'Too many arguments (expected %d, found %d)' % (len(arg_fields), len(params)))]
    result = []
    for index, (name, spec, default) in enumerate(arg_fields):
        if index < len(params):
            result.append(spec.check(params[index], name, errors))
        elif default is REQUIRED:
            errors.append((name, 'Field required'))
        else:
            result.append(default() if callable(default) else default)
    return result, errors


# ------------------------------------------------------------------------------------------ common models

CRON_FIELD = r'^(\*|\d{1,2}|[a-z]{3})([-,/](\d{1,2}|[a-z]{3}|\*))*$'


def _cron_check(data, raw=None):
    for key in ('minute', 'hour', 'dom', 'month', 'dow'):
        if key in data and not re.match(CRON_FIELD, str(data[key]).lower()):
            return 'Please ensure fields match cron syntax - %s=%r' % (key, data[key])
    return None


def cron(name, **defaults):
    fields = {key: (Str(), defaults.get(key, '*')) for key in ('minute', 'hour', 'dom', 'month', 'dow')}
    if 'begin' in defaults:
        fields['begin'] = (Str(pattern=r'^\d{2}:\d{2}$'), defaults['begin'])
        fields['end'] = (Str(pattern=r'^\d{2}:\d{2}$'), defaults['end'])
    return Model(name, fields, validator=_cron_check)


QUERY_OPTIONS = Model('QueryOptions', {
    'extra': (Dict(), dict), 'order_by': (List(Str()), list), 'select': (List(), list), 'count': (Bool(), False),
    'get': (Bool(), False), 'offset': (Int(ge=0), 0), 'limit': (Int(ge=0, le=10000), 0),
    'force_sql_filters': (Bool(), False),
})
QUERY = args(('filters', List(), list), ('options', QUERY_OPTIONS, lambda: QUERY_OPTIONS.check({}, 'options', [])))
