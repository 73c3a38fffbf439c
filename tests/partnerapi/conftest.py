import pytest

from .helpers import ApiScene, build_api_scene


@pytest.fixture
def api(db) -> ApiScene:
    return build_api_scene()
