"""Each app gives the staff roles its own permissions (issue 13); accounts.roles keeps the names and the exact sync."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured

import affiliation.roles
import creditexchange.roles
import notices.roles
from accounts import roles
from accounts.roles import ROLE_PERMISSIONS, ensure_roles, role_permissions_register

APP_ROLES = (creditexchange.roles, affiliation.roles, notices.roles)


@pytest.mark.parametrize("module", APP_ROLES, ids=lambda m: m.__name__)
def test_each_app_gives_the_roles_its_permissions(module):
    for role, codenames in module.ROLE_PERMISSIONS.items():
        assert set(codenames) <= set(ROLE_PERMISSIONS[role])


def test_the_synced_groups_hold_what_the_apps_registered(db):
    ensure_roles()
    group = Group.objects.get(name="notice_editor")
    perms = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}
    assert perms == set(notices.roles.ROLE_PERMISSIONS["notice_editor"])


def test_the_order_in_which_apps_register_makes_no_difference(monkeypatch):
    def composed(modules) -> dict[str, list[str]]:
        monkeypatch.setattr(roles, "ROLE_PERMISSIONS", {"registrar": ["core.view_staffjob"], "notice_editor": []})
        for module in modules:
            for role, codenames in module.ROLE_PERMISSIONS.items():
                if role in roles.ROLE_PERMISSIONS:
                    role_permissions_register(role, codenames)
        return roles.ROLE_PERMISSIONS

    assert composed(APP_ROLES) == composed(reversed(APP_ROLES))


def test_a_codename_registered_twice_is_granted_once(monkeypatch):
    monkeypatch.setattr(roles, "ROLE_PERMISSIONS", {"notice_editor": []})
    role_permissions_register("notice_editor", ["notices.view_notice"])
    role_permissions_register("notice_editor", ["notices.view_notice", "notices.add_notice"])
    assert roles.ROLE_PERMISSIONS == {"notice_editor": ["notices.add_notice", "notices.view_notice"]}


def test_it_refuses_a_role_that_does_not_exist():
    with pytest.raises(ImproperlyConfigured, match="notice_editors"):
        role_permissions_register("notice_editors", ["notices.view_notice"])
