"""The company's own mail domains: the only places an e-mail may carry personal data to.

A list holds one rule per line:

- ``example.com`` covers addresses at example.com, and only there;
- ``*.example.com`` covers addresses at any subdomain of example.com (``mail.example.com``,
  ``bj.mail.example.com``) but not example.com itself: list both when both are used.

No other wildcard is accepted, and a rule names at least two labels (``*.com`` is refused).
Domains are compared case-insensitively in their IDNA form (UTS #46 mapping, then
punycode), so ``例子.中国``, ``例子。中国`` and ``xn--fsqu00a.xn--fiqs8s`` are one rule; the
list is stored in that form, which also shows look-alike letters for what they are.
"""

import idna
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

SUBDOMAINS = "*."


def normalise_domain(text: str) -> str:
    """The IDNA (punycode, lower-case) form of a domain; ``ValueError`` if it is not one."""
    text = (text or "").strip()
    if text.endswith((".", "。", "．", "｡")):
        text = text[:-1]
    if not text:
        raise ValueError("empty domain")
    try:
        encoded = idna.encode(text, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError) as exc:
        raise ValueError(str(exc)) from None
    labels = encoded.split(".")
    if len(labels) < 2 or labels[-1].isdigit():
        raise ValueError("not a registered domain name")
    return encoded


def normalise_rule(line: str) -> str:
    """One rule in its stored form; ``ValidationError`` naming the line otherwise."""
    text = line.strip()
    if "@" in text:
        raise ValidationError(
            _("“%(line)s”: write the domain only (the part after @), e.g. example.com."),
            code="address",
            params={"line": text},
        )
    subdomains = text.startswith(SUBDOMAINS)
    base = text[len(SUBDOMAINS) :] if subdomains else text
    if "*" in base:
        raise ValidationError(
            _("“%(line)s”: the only wildcard allowed is a leading “*.” for the subdomains of a domain."),
            code="wildcard",
            params={"line": text},
        )
    try:
        domain = normalise_domain(base)
    except ValueError:
        raise ValidationError(
            _("“%(line)s” is not a domain name such as example.com."), code="invalid", params={"line": text}
        ) from None
    return SUBDOMAINS + domain if subdomains else domain


def parse_rules(text: str) -> list[str]:
    """Every rule of ``text`` (one per line) in stored form, without repeats; raises one
    ``ValidationError`` listing every bad line."""
    rules, errors = [], []
    for line in (text or "").splitlines():
        if not line.strip():
            continue
        try:
            rule = normalise_rule(line)
        except ValidationError as exc:
            errors.append(exc)
            continue
        if rule not in rules:
            rules.append(rule)
    if errors:
        raise ValidationError(errors)
    return rules


def validate_rules(value: str) -> None:
    parse_rules(value)


def stored_rules(text: str) -> list[str]:
    """The rules of a stored list; a line that no longer parses covers nothing."""
    rules = []
    for line in (text or "").splitlines():
        try:
            rules.append(normalise_rule(line))
        except ValidationError:
            continue
    return rules


def display_rule(rule: str) -> str:
    """A rule as people read it (``例子.中国`` rather than its punycode)."""
    subdomains = rule.startswith(SUBDOMAINS)
    base = rule[len(SUBDOMAINS) :] if subdomains else rule
    try:
        base = idna.decode(base)
    except (idna.IDNAError, UnicodeError):
        pass
    return SUBDOMAINS + base if subdomains else base


def address_domain(address: str) -> str | None:
    """The normalised domain of an e-mail address, or None when it is not a plain address
    at a domain name (an IP literal, a display name, a second address …)."""
    address = (address or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        return None
    try:
        return normalise_domain(address.rsplit("@", 1)[1])
    except ValueError:
        return None


def domain_allowed(domain: str, rules: list[str]) -> bool:
    for rule in rules:
        if rule.startswith(SUBDOMAINS):
            if domain.endswith("." + rule[len(SUBDOMAINS) :]):
                return True
        elif domain == rule:
            return True
    return False


def address_allowed(address: str, rules: list[str]) -> bool:
    """Whether ``address`` is at one of the company's domains that ``rules`` name."""
    domain = address_domain(address)
    return domain is not None and domain_allowed(domain, rules)


def split_addresses(value: str) -> list[str]:
    """The addresses of a comma-separated field (as Wagtail's form pages store them)."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]
