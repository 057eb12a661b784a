"""`setup --xet auto|on|off`: whether the block also sets HF_HUB_DISABLE_XET=1 (SPEC 10). Pure.

huggingface_hub downloads a Xet-backed file through Xet storage (the CAS host the token route
names) whenever hf_xet is installed, and over the plain HTTP route (the resolve redirect) when
HF_HUB_DISABLE_XET is true. Where the CAS host cannot be reached, the Xet download hangs;
the plain route may still work.

- ``auto`` (default): disable Xet when the Xet route is unreachable and the plain HTTP route
  works; enable it again when a later setup finds the Xet route fine. When the route could not
  be told (not followed, the endpoint lacks the test file), the saved decision stands.
- ``on``: never write the variable. ``off``: always write it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from .i18n import Msg

if TYPE_CHECKING:  # `hfenv shell` and `run` decide without a route: no network library for them
    from .hubcheck import LargeFiles

MODES = ("auto", "on", "off")


@dataclass(frozen=True)
class XetDecision:
    disable: bool
    reason: str  # one line for setup's summary (a Msg: shown with local())

    def to_json(self) -> dict:
        return {"disable": self.disable, "reason": self.reason}


def decide(mode: str, found: LargeFiles | None, previous: bool) -> XetDecision:
    """The decision for `mode`, given the chosen endpoint's large-file route and the saved decision.

    The reason is a Msg: `hfenv shell` and `run` decide on every start and show no reason, so no
    catalog is loaded for them; setup shows it with local()."""
    if mode == "off":
        return XetDecision(True, Msg("Xet: off (--xet off): HF_HUB_DISABLE_XET=1, Xet-backed files download over "
                                     "plain HTTP"))
    if mode == "on":
        return XetDecision(False, Msg("Xet: on (--xet on): HF_HUB_DISABLE_XET is not set"))
    kept = Msg("HF_HUB_DISABLE_XET=1 stays") if previous else Msg("HF_HUB_DISABLE_XET is not set")
    if found is None or found.unknown:
        return XetDecision(previous, Msg("Xet: auto: the large-file route could not be told; {kept}", kept=kept))
    if found.xet is None:
        return XetDecision(False, Msg("Xet: auto: the test file is not Xet-backed here; HF_HUB_DISABLE_XET is not set"))
    if found.xet.ok:
        if previous:
            return XetDecision(False, Msg("Xet: auto: Xet storage {host} answers; HF_HUB_DISABLE_XET is not set "
                                          "(removed: the Xet route works again)", host=found.xet.host))
        return XetDecision(False, Msg("Xet: auto: Xet storage {host} answers; HF_HUB_DISABLE_XET is not set",
                                      host=found.xet.host))
    if found.http.ok:
        return XetDecision(True, Msg("Xet: auto: Xet storage cannot be reached ({status}: {detail}), but the plain "
                                     "HTTP route works ({host}): HF_HUB_DISABLE_XET=1, so huggingface_hub downloads "
                                     "over it instead of hanging",
                                     status=found.xet.status, detail=found.xet.detail, host=found.http.host))
    return XetDecision(previous, Msg("Xet: auto: neither the Xet route ({xet}) nor the plain HTTP route ({http}) "
                                     "brings large files from here; {kept}",
                                     xet=found.xet.status, http=found.http.status, kept=kept))
