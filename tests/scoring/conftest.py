import pytest

from tests.scoring.workflow_cast import Cast


@pytest.fixture
def cast(so, scheme):
    return Cast(so, scheme)
