import pytest


@pytest.fixture(autouse=True)
def job_root(tmp_path, monkeypatch):
    """Every job dir the migrated code makes lands under the test's own tmp_path."""
    root = tmp_path / "workflows"
    monkeypatch.setenv("WORKFLOW_TEMP_ROOT", str(root))
    return root
