"""The image and the compose deployment under podman: the images are built once per session
(tests/support/containers.py), each test file starts the containers it needs."""

from __future__ import annotations

import pytest

from ..support.containers import Images, build_images, require_podman


@pytest.fixture(scope="session")
def images() -> Images:
    require_podman()
    return build_images(Images())
