"""Staff roles are Django groups with model permissions (SPEC §1), kept in code and synced on migrate.

Least privilege (issue 10): the registrar works on exchange students, the affiliation committee on home
students; neither sees the other's people. Besides its permissions each role names the kinds of account
(``ROLE_USER_KINDS``) and the mail (``ROLE_MAIL_KINDS``) its work needs; superusers see everything.
Sync is exact: a group ends up with precisely the listed permissions, and an unknown codename stops the
sync instead of silently granting nothing.
"""

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import IntegerField, OuterRef, Q, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

# The role names, each with the permissions accounts and the layers below it (academics, the kernel, sign-in
# lock-outs) give it. The apps above add theirs in their ``AppConfig.ready()`` (``role_permissions_register``, from
# their ``roles.py``), so this module names none of their permissions; each list is kept sorted, so the order in
# which the apps register makes no difference.
# Per process: filled from the code at start-up (AppConfig.ready()), the same on every node until a deploy.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    "registrar": sorted([
        "academics.view_institution", "academics.add_institution", "academics.change_institution",
        "academics.view_institutioncontact", "academics.add_institutioncontact",
        "academics.change_institutioncontact", "academics.delete_institutioncontact",
        "academics.view_campus", "academics.view_college", "academics.view_department",
        "academics.view_term", "academics.add_term", "academics.change_term",
        "academics.view_termwindow", "academics.add_termwindow", "academics.change_termwindow",
        "accounts.view_user", "accounts.view_temporarystudentid", "accounts.view_idsequence",
        "core.view_outgoingmail", "core.resend_outgoingmail",
        "core.view_staffjob", "core.view_bulkaction",
        "axes.view_accessattempt", "axes.delete_accessattempt",  # sign-in lock-outs: see and lift them
    ]),
    "affiliation_committee": sorted([
        "academics.view_campus", "academics.view_college", "academics.view_department",
        "academics.view_term", "academics.view_termwindow", "accounts.view_user",
        "core.view_staffjob", "core.view_bulkaction",
        "core.view_outgoingmail", "core.resend_outgoingmail",  # its own mail only, see ROLE_MAIL_KINDS
    ]),
    "notice_editor": [],  # the notice board's permissions only (notices/roles.py)
    # PIPA: reads (and exports) the personal-data access log; nothing else.
    "privacy_officer": sorted(["core.view_personaldataaccess", "core.view_bulkaction"]),
}


def role_permissions_register(role: str, codenames: list[str]) -> None:
    """Grant ``role`` the permissions ``codenames`` (``"<app_label>.<codename>"``) too; an app calls this in its ready().

    Registering a codename twice grants it once. The codenames are checked when the roles are synced (``ensure_roles``).
    """
    if role not in ROLE_PERMISSIONS:
        raise ImproperlyConfigured(f"No staff role is named {role!r} (the roles are {', '.join(ROLE_PERMISSIONS)}).")
    ROLE_PERMISSIONS[role] = sorted({*ROLE_PERMISSIONS[role], *codenames})


# The accounts each role may see in the User admin (and pick nowhere: only superusers pick accounts).
ROLE_USER_KINDS: dict[str, list[str]] = {
    "registrar": ["exchange"],
    "affiliation_committee": ["home"],
}

# The outgoing mail each role may see and re-send. A mail about an account (its params carry ``user_id``:
# set_password, email_change, and any later account mail) belongs to the roles that see that account's
# kind (ROLE_USER_KINDS), whatever its kind; any other mail belongs to the role owning its kind, given as
# exact kinds or prefixes ending in ``*``. A mail no role owns (a staff account's, a new kind) is for
# superusers only until a role is given it here.
ROLE_MAIL_KINDS: dict[str, list[str]] = {
    "registrar": ["application_*", "partner_list*", "transcripts"],  # transcripts: issue 15
    "affiliation_committee": ["affiliation_*"],
}


# The staff action log (``core.BulkAction``) each role reads: the actions whose kind starts with one of these
# app labels (``"affiliation.conditions_check"`` → ``affiliation``). Superusers read all.
ROLE_ACTION_APPS: dict[str, list[str]] = {
    "registrar": ["academics", "accounts", "creditexchange"],
    "affiliation_committee": ["affiliation"],
    "privacy_officer": ["retention"],
}


def role_names(user) -> list[str]:
    return list(user.groups.values_list("name", flat=True)) if user.is_authenticated else []


def user_kinds_for(user) -> set[str] | None:
    """The kinds of account ``user`` may see; None means all (a superuser)."""
    if user.is_superuser:
        return None
    return {kind for role in role_names(user) for kind in ROLE_USER_KINDS.get(role, [])}


def mail_kinds_for(user) -> list[str] | None:
    """The mail-kind patterns ``user`` may see (see ROLE_MAIL_KINDS); None means all (a superuser)."""
    if user.is_superuser:
        return None
    return [pattern for role in role_names(user) for pattern in ROLE_MAIL_KINDS.get(role, [])]


def action_apps_for(user) -> set[str] | None:
    """The app labels of the bulk actions ``user`` may read in the staff action log; None means all (a superuser)."""
    if user.is_superuser:
        return None
    return {app for role in role_names(user) for app in ROLE_ACTION_APPS.get(role, [])}


def _last_app_with_models() -> str:
    return [config.label for config in global_apps.get_app_configs() if config.models_module is not None][-1]


def ensure_roles(sender=None, **kwargs) -> None:
    """Make every role group hold exactly its listed permissions.

    Run after migrate (post_migrate fires once per app; only the last app's signal comes after every app's
    permissions exist) and by tests and the demo loader directly.
    """
    if sender is not None and getattr(sender, "label", None) != _last_app_with_models():
        return
    resolved = {}
    for name, codenames in ROLE_PERMISSIONS.items():
        resolved[name] = []
        for dotted in codenames:
            app_label, _, codename = dotted.partition(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is None:
                raise ImproperlyConfigured(
                    f"Role {name!r} lists the unknown permission {dotted!r} (accounts/roles.py or an app's roles.py)."
                )
            resolved[name].append(perm)
    with transaction.atomic():  # all roles or none
        for name, perms in resolved.items():
            group, _ = Group.objects.get_or_create(name=name)
            group.permissions.set(perms)


def mail_scope(queryset, user):
    """The mail ``user``'s roles own (``ROLE_MAIL_KINDS``): a mail about an account by that account's kind, any
    other by its kind. Plugged into ``core.visibility`` (the outbox's admin) by ``AccountsConfig.ready()``."""
    from .models import User

    by_kind = Q(pk__in=[])
    for pattern in mail_kinds_for(user):
        by_kind |= Q(kind__startswith=pattern[:-1]) if pattern.endswith("*") else Q(kind=pattern)
    about_account = Q(params__has_key="user_id")
    queryset = queryset.annotate(
        recipient_account=Cast(KeyTextTransform("user_id", "params"), IntegerField()),
        recipient_kind=Subquery(User.objects.filter(pk=OuterRef("recipient_account")).values("kind")[:1]),
    )
    return queryset.filter((about_account & Q(recipient_kind__in=user_kinds_for(user))) | (~about_account & by_kind))


def action_scope(queryset, user):
    """The staff action log ``user`` reads: their own actions, whatever their kind (e.g. mail sent again), and
    those of the apps their roles own (``ROLE_ACTION_APPS``)."""
    visible = Q(actor=user)
    for app in action_apps_for(user):
        visible |= Q(kind__startswith=f"{app}.")
    return queryset.filter(visible)
