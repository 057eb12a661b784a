"""Section "network": proxy variables (never a credential) and the certificates huggingface_hub trusts."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..i18n import N_
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
        out.ok("direct", "no proxy variables: connections go direct")
    elif facts.endpoint_proxy:
        out.ok("proxy", f"requests to {host_of(endpoint)} go through the proxy {facts.endpoint_proxy} "
                        "(huggingface_hub and hfenv both honour the proxy variables)")
    else:
        out.ok("bypass", f"requests to {host_of(endpoint)} bypass the proxy (NO_PROXY)")
    for name, value in variables.items():
        out.info("variable", f"{name}={value}")
    lowered: dict[str, set] = {}
    for name, value in variables.items():
        lowered.setdefault(name.lower(), set()).add(value)
    for name, values in lowered.items():
        if len(values) > 1:
            out.warn("case-differs", f"{name} and {name.upper()} differ: most tools use the lowercase one, some "
                                     "the uppercase", f"give {name} and {name.upper()} the same value")
    socks = [n for n, v in variables.items() if v.lower().startswith("socks")]
    if socks and not client.get("socksio") and not client.get("error"):
        out.error("socks", f"{', '.join(socks)} is a SOCKS proxy, but huggingface_hub's HTTP client needs the "
                           "socksio package for it: downloads fail", "`pip install socksio`")
    for name, why in facts.unparsable.items():
        out.error("proxy-unparsable", f"{name} cannot be parsed ({why}); its value is not shown: requests "
                                      "through it fail", f"percent-encode the special characters of the "
                                                         f"password in {name}, or fix its host:port")
    ca = facts.ca
    for name, path in ca.items():  # in hubcheck.CA_VARIABLES' order
        if not (os.path.isdir if name == "SSL_CERT_DIR" else os.path.isfile)(path):
            out.error("ca-missing", f"{name}={path} does not exist: TLS connections fail",
                      f"point {name} at an existing {'directory' if name == 'SSL_CERT_DIR' else 'PEM file'}, "
                      "or unset it")
    version = str(client.get("version") or "")
    if version[:1].isdigit():
        from .. import hubcheck

        trust = hubcheck.client_trust(version, ca)
        ignored = [n for n in ca if n not in trust.variables]
        if ignored and not trust.source:
            out.warn("ca-bundle", f"{', '.join(ignored)} is set, but huggingface_hub {version} ({trust.client}) "
                                  f"reads {' or '.join(trust.variables)} instead: a certificate trusted only "
                                  "through it is not trusted by huggingface_hub, nor by hfenv's checks",
                     f"export {trust.advice}={ca[ignored[0]]}")
        elif ca:
            used = f"trusts {trust.source}" if trust.source else "uses its default store"
            out.info("ca", f"certificates: huggingface_hub {version} ({trust.client}) {used}; set: "
                           + ", ".join(f"{k}={v}" for k, v in ca.items()))
    elif ca:
        out.info("ca", "certificates: " + ", ".join(f"{k}={v}" for k, v in ca.items()))
    return out.items



def gather(ctx: Context) -> NetworkFacts:
    client = ctx.of(ClientFacts)
    return proxy_facts(ctx.env, client.endpoint if client.usable_url else None)


def judge(ctx: Context, facts: NetworkFacts) -> list[Finding]:
    return judge_network(facts, ctx.of(ClientFacts).endpoint, ctx.of(ClientFacts).answer)


SECTION = Section("network", N_("Proxies and certificates"), gather, judge, lambda facts: {"network": facts.to_json()})
