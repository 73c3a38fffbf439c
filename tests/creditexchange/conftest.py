import pytest

from .partner_list_helpers import Scene, build_scene


@pytest.fixture
def scene(db) -> Scene:
    """Lists to partners: a term past its application and registration windows, Hanbit and Garam with students."""
    return build_scene()
