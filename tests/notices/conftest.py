import pytest
from django.contrib.auth.models import Group

from accounts.roles import ensure_roles

from ..factories import UserFactory

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def notice_editor(db):
    ensure_roles()
    user = UserFactory(username="editor", is_staff=True)
    user.groups.add(Group.objects.get(name="notice_editor"))
    return user


@pytest.fixture
def notice_editor_client(client, notice_editor):
    client.force_login(notice_editor)
    return client
