"""Test-only shortcuts over hfenv's writers: plan or apply setup/reset for bare targets in one call.

The product plans through hfenv.persist (a Scope, a body per target); these
let the writer tests drive hfenv.writers directly with fixed bodies.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from hfenv import endpoints, shells
from hfenv.writers import Change, Target, apply, plan_edits, reset_edit, setup_edit

Bodies = Mapping[Target, bytes] | Callable[[Target], bytes]
POWERSHELL_MARKERS = shells.get("powershell").block_markers


def _body(bodies: Bodies, target: Target) -> bytes:
    return bodies(target) if callable(bodies) else bodies[target]


def plan_setup(targets: Iterable[Target], bodies: Bodies) -> list[Change]:
    """What setup would change, computed from the targets' current content; writes nothing."""
    return plan_edits((t, setup_edit(t, _body(bodies, t))) for t in targets)


def plan_reset(targets: Iterable[Target]) -> list[Change]:
    """What reset would change; writes nothing."""
    return plan_edits((t, reset_edit(t)) for t in targets)


def apply_setup(targets: Iterable[Target], bodies: Bodies, lock_path, **kw) -> list[Change]:
    return apply(plan_setup(targets, bodies), lock_path, **kw)


def apply_reset(targets: Iterable[Target], lock_path, **kw) -> list[Change]:
    return apply(plan_reset(targets), lock_path, **kw)


def save_choice(endpoint: endpoints.Endpoint) -> None:
    """What `hfenv setup` saves, without the rest of setup."""
    endpoints.update_config(lambda config: config.__setitem__("chosen", endpoint.as_dict()))
