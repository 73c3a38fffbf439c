"""Which rows of the kernel's records a staff member sees: the roles are an app's (``accounts.roles``), so it
plugs its filters in here from ``AccountsConfig.ready()`` and the kernel's admin asks without knowing roles.

Fails closed: until a filter is registered, only a superuser sees the outbox and the staff action log.
"""

from collections.abc import Callable

from django.db.models import QuerySet

Scope = Callable[[QuerySet, object], QuerySet]
# Per process: filled from the code at start-up (AppConfig.ready()), the same on every node until a deploy.
_SCOPES: dict[str, Scope] = {}


def scope_register(*, mail: Scope, actions: Scope) -> None:
    """``mail(queryset, user)`` narrows ``OutgoingMail``; ``actions(queryset, user)`` narrows ``BulkAction``."""
    _SCOPES.update(mail=mail, actions=actions)


def _visible(name: str, queryset: QuerySet, user) -> QuerySet:
    if user.is_superuser:
        return queryset
    scope = _SCOPES.get(name)
    return scope(queryset, user) if scope is not None else queryset.none()


def mail_visible_to(queryset: QuerySet, user) -> QuerySet:
    return _visible("mail", queryset, user)


def actions_visible_to(queryset: QuerySet, user) -> QuerySet:
    return _visible("actions", queryset, user)
