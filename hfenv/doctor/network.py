"""Section "network": proxy variables (never a credential) and the certificates huggingface_hub trusts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..i18n import N_, _, local
from .client import ClientFacts
from .context import Context, Section
from .report import Finding, Findings
from .values import host_of


@dataclass(frozen=True)
class NetworkFacts:
    """Proxy variables as they may be shown (never a credential), which one the endpoint uses, the CA."""

    variables: dict[str, str]  # name -> value without credentials
    unparsable: dict[str, str]  # name -> why it cannot be parsed (its value is not shown)
    endpoint_proxy: str | None  # the proxy requests to the endpoint go through
    ca: dict[str, str]  # the CA variables set, in hubcheck.CA_VARIABLES' order
    endpoint_proxy_problem: str | None = None

    def to_json(self) -> dict:
        facts = {"variables": self.variables, "unparsable": self.unparsable, "endpoint_proxy": self.endpoint_proxy,
                 "ca": self.ca}
        if self.endpoint_proxy_problem:
            facts["endpoint_proxy_problem"] = self.endpoint_proxy_problem
        return facts


def proxy_facts(env: Mapping[str, str], endpoint: str | None) -> NetworkFacts:
    from .. import hubcheck

    used, problem = None, None
    if endpoint:
        try:
            used = hubcheck.proxy_for(endpoint)
        except hubcheck.ProxyError as exc:
            problem = str(exc)
        except Exception:  # a malformed endpoint URL: reported by the checks themselves
            used = None
    return NetworkFacts(hubcheck.shown_proxies(env), hubcheck.proxy_problems(env), used,
                        {name: env[name] for name in hubcheck.CA_VARIABLES if env.get(name)}, problem)


def judge_network(facts: NetworkFacts, endpoint: str, client: dict) -> list[Finding]:
    out = Findings("network")
    variables = facts.variables
    if not any(not n.lower().startswith("no_") for n in variables):
        out.ok("direct", _("no proxy variables: connections go direct"))
    elif facts.endpoint_proxy:
        out.ok("proxy", _("requests to {host} go through the proxy {proxy} "
                          "(huggingface_hub and hfenv both honour the proxy variables)").format(
            host=host_of(endpoint), proxy=facts.endpoint_proxy))
    else:
        out.ok("bypass", _("requests to {host} bypass the proxy (NO_PROXY)").format(host=host_of(endpoint)))
    for name, value in variables.items():
        out.info("variable", f"{name}={local(value)}")
    lowered: dict[str, set] = {}
    for name, value in variables.items():
        lowered.setdefault(name.lower(), set()).add(value)
    for name, values in lowered.items():
        if len(values) > 1:
            out.warn("case-differs", _("{name} and {upper} differ: most tools use the lowercase one, some "
                                       "the uppercase").format(name=name, upper=name.upper()),
                     _("give {name} and {upper} the same value").format(name=name, upper=name.upper()))
    socks = [n for n, v in variables.items() if v.lower().startswith("socks")]
    if socks and not client.get("socksio") and not client.get("error"):
        out.error("socks", _("{names} is a SOCKS proxy, but huggingface_hub's HTTP client needs the "
                             "socksio package for it: downloads fail").format(names=", ".join(socks)),
                  "`pip install socksio`")
    for name, why in facts.unparsable.items():
        out.error("proxy-unparsable", _("{name} cannot be parsed ({why}); its value is not shown: requests "
                                        "through it fail").format(name=name, why=local(why)),
                  _("percent-encode the special characters of the password in {name}, or fix its host:port")
                  .format(name=name))
    ca = facts.ca
    for name, path in ca.items():  # in hubcheck.CA_VARIABLES' order
        if not (os.path.isdir if name == "SSL_CERT_DIR" else os.path.isfile)(path):
            out.error("ca-missing", _("{name}={path} does not exist: TLS connections fail").format(
                name=name, path=path),
                      (_("point {name} at an existing directory, or unset it") if name == "SSL_CERT_DIR" else
                       _("point {name} at an existing PEM file, or unset it")).format(name=name))
    version = str(client.get("version") or "")
    if version[:1].isdigit():
        from .. import hubcheck

        trust = hubcheck.client_trust(version, ca)
        ignored = [n for n in ca if n not in trust.variables]
        if ignored and not trust.source:
            out.warn("ca-bundle", _("{names} is set, but huggingface_hub {version} ({client}) reads {reads} "
                                    "instead: a certificate trusted only through it is not trusted by "
                                    "huggingface_hub, nor by hfenv's checks").format(
                names=", ".join(ignored), version=version, client=trust.client,
                reads=_(" or ").join(trust.variables)),
                     f"export {trust.advice}={ca[ignored[0]]}")
        elif ca:
            used = (_("certificates: huggingface_hub {version} ({client}) trusts {source}; set: {values}")
                    if trust.source else
                    _("certificates: huggingface_hub {version} ({client}) uses its default store; set: {values}"))
            out.info("ca", used.format(version=version, client=trust.client, source=trust.source,
                                       values=", ".join(f"{k}={v}" for k, v in ca.items())))
    elif ca:
        out.info("ca", _("certificates: {values}").format(values=", ".join(f"{k}={v}" for k, v in ca.items())))
    return out.items



def gather(ctx: Context) -> NetworkFacts:
    client = ctx.of(ClientFacts)
    return proxy_facts(ctx.env, client.endpoint if client.usable_url else None)


def judge(ctx: Context, facts: NetworkFacts) -> list[Finding]:
    return judge_network(facts, ctx.of(ClientFacts).endpoint, ctx.of(ClientFacts).answer)


SECTION = Section("network", N_("Proxies and certificates"), gather, judge, lambda facts: {"network": facts.to_json()})
