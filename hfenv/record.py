"""A small frozen value class for the modules `hfenv shell` imports at every shell start.

`import dataclasses` pulls in inspect (and with it ast, dis, tokenize, linecache): a third of
what `hfenv shell` may cost in all. A :class:`Record` subclass behaves like a frozen
dataclass for what hfenv uses: fields from its annotations in order, class values as
defaults (``Default(factory)`` for a fresh mutable one), keyword or positional __init__,
__repr__, __eq__ and __hash__ over the fields, and no assignment after __init__.
"""

from __future__ import annotations


class Default:
    """A default made fresh for each instance (dataclasses' default_factory)."""

    __slots__ = ("factory",)

    def __init__(self, factory):
        self.factory = factory


class Record:
    _fields: tuple[str, ...] = ()
    _defaults: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = [name for name in cls.__dict__.get("__annotations__", {}) if not name.startswith("_")]
        cls._fields = (*cls._fields, *(n for n in own if n not in cls._fields))
        cls._defaults = {**cls._defaults, **{n: cls.__dict__[n] for n in own if n in cls.__dict__}}
        for name in own:  # the default lives in _defaults; an instance always has its own value
            if name in cls.__dict__:
                delattr(cls, name)

    def __init__(self, *args, **kwargs):
        fields = type(self)._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__}() takes {len(fields)} arguments, {len(args)} given")
        values = dict(zip(fields, args))
        for name, value in kwargs.items():
            if name not in fields or name in values:
                raise TypeError(f"{type(self).__name__}() got an unexpected or repeated argument {name!r}")
            values[name] = value
        for name in fields:
            if name not in values:
                if name not in self._defaults:
                    raise TypeError(f"{type(self).__name__}() missing argument {name!r}")
                default = self._defaults[name]
                values[name] = default.factory() if isinstance(default, Default) else default
            object.__setattr__(self, name, values[name])

    def _values(self) -> tuple:
        return tuple(getattr(self, name) for name in self._fields)

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__qualname__}({inner})"

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r} of a frozen {type(self).__name__}")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r} of a frozen {type(self).__name__}")

    def __reduce__(self):
        return (type(self), self._values())
